"""Where run.py's time goes beyond the kernels (run on the GPU box).

run.py times each call after a device-wide sync, so the host path before the first launch counts. For
kernelbench-v0.1 (TF32, bf16) and kernelbench-v0 (TF32), in that regime (L2 flush, sync, events around one
forward), on the problem files' inputs (torch.rand for v0.1, randn for v0, as run.py and ab_93.py), prints per
config:
- the event window and the host's enqueue time, with the previous output kept alive (as the harness keeps
  it) and without;
- from torch.profiler, per call: flush end -> pre-pass start (host path and launch), the pre-pass,
  pre-pass end -> main kernel start (negative when the main kernel starts early), the main kernel.

Usage: python3 tools/sync_gap_93.py [SOLUTION_FILE]
"""
import statistics
import sys
import time

import torch

from ab_93 import L2_FLUSH_BYTES, build, problem_dist
from bench_fused_93 import SOL, load

CASES = (("v0.1", "tf32"), ("v0.1", "bf16"), ("v0", "tf32"))
TRIALS, WARMUP, PROFILED = 40, 5, 10


def sync_call(model, x, flush):
    """One call in run.py's regime: (event window ms, host enqueue ms, output)."""
    flush.zero_()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    t0 = time.perf_counter()
    start.record()
    out = model(x)
    enqueue = time.perf_counter() - t0
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end), enqueue * 1e3, out


def windows(model, x, flush, keep: bool):
    """Median event window and host enqueue time over TRIALS calls."""
    win, host, last = [], [], None
    for i in range(WARMUP + TRIALS):
        w, h, out = sync_call(model, x, flush)
        last = out if keep else None
        del out
        if i >= WARMUP:
            win.append(w)
            host.append(h)
    return statistics.median(win), statistics.median(host)


def kernel_gaps(model, x, flush):
    """Per profiled call: (flush end -> pre-pass start, pre-pass, pre-pass end -> main start, main), in us."""
    last = None
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
        for _ in range(PROFILED):
            last = sync_call(model, x, flush)[2]
    kernels = sorted((e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA),
                     key=lambda e: e.time_range.start)
    rows = []
    for before, prep, main in zip(kernels, kernels[1:], kernels[2:]):
        if "prep" in prep.name and "prep" not in main.name:
            rows.append((prep.time_range.start - before.time_range.end, prep.time_range.elapsed_us(),
                         main.time_range.start - prep.time_range.end, main.time_range.elapsed_us()))
    del last
    return rows


def main():
    sol = load(sys.argv[1] if len(sys.argv) > 1 else SOL, "gap93")
    flush = torch.empty(L2_FLUSH_BYTES // 4, dtype=torch.int32, device="cuda")
    print(torch.__version__, torch.cuda.get_device_name(), flush=True)
    for cname, mode in CASES:
        model, x = build(sol, cname, mode, problem_dist(cname))
        with torch.no_grad():
            for keep in (True, False):
                win, host = windows(model, x, flush, keep)
                print(f"{cname:5s} {mode}  output kept {keep!s:5s}: window {win:.4f} ms, host enqueue {host:.4f} ms",
                      flush=True)
            rows = kernel_gaps(model, x, flush)
        names = ("flush end -> pre-pass", "pre-pass", "pre-pass end -> main", "main kernel")
        for name, col in zip(names, zip(*rows)):
            print(f"    {name:22s} median {statistics.median(col):8.1f} us (min {min(col):.1f}, max {max(col):.1f})",
                  flush=True)


if __name__ == "__main__":
    main()
