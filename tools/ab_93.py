"""Paired A/B timing of problem-93 solution files in one process (run on the GPU box).

The variants' calls alternate (A B A B ...), each after an L2 flush, so drifts of the card's clock or of
the host hit every variant alike; the result is each variant's median and, per variant against the
first, the median of the paired differences with a bootstrap 95% interval. Each file must build its
extension under its own name (`load_inline(name=...)`), or the builds overwrite each other.

Usage: python3 tools/ab_93.py [--regime sync|queued] [--trials N] [--configs v0.1,v0] [--modes tf32,fp32,bf16]
                              [--dist problem|rand|randn] [--keep-output] NAME=FILE NAME=FILE [...]
  sync:   device-wide sync before each call's start event, as run.py times (the host path counts)
  queued: flush and call enqueued back to back, as tools/bench_fused_93.py's time_fn (kernel time). Its first
          ~0.1 s of calls run at the boost clock, later ones at the power-limited clock, and kernels can rank
          differently at the two (perf log, thirty-third session); tools/clock_ab_93.py splits an A/B by clock
  dist:   the inputs: the config's problem file's (default; torch.rand makes nearly every v0.1 output 0), or
          rand / randn for every config
  --keep-output: each variant's output lives until its next call has returned, as in run.py's timing loop (during
          a call two outputs of the variant exist, so the caching allocator alternates between two blocks)
"""
import argparse
import random
import statistics

import torch

from bench_fused_93 import ADD, CONFIGS, MUL, load

L2_FLUSH_BYTES = 256 * 1024 * 1024


def alternating_calls(calls: dict, flush: torch.Tensor, trials: int, sync: bool, keep_output: bool = False) -> list:
    """(name, trial, start event, end event) per call. Trial i of every variant runs back to back, the first
    variant rotating; each call follows an L2 flush and, with `sync`, a device-wide sync before its start event and
    after its end event. With `keep_output` a variant's output is released only when its next call returns."""
    events, kept = [], {}
    order = list(calls)
    for i in range(trials):
        for name in order[i % len(order):] + order[:i % len(order)]:   # rotate who goes first
            flush.zero_()
            if sync:
                torch.cuda.synchronize()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            output = calls[name]()
            end.record()
            if keep_output:
                kept[name] = output
            del output
            if sync:
                torch.cuda.synchronize()
            events.append((name, i, start, end))
    torch.cuda.synchronize()
    return events


def paired_trials(calls: dict, trials: int, sync: bool, keep_output: bool = False) -> dict:
    """Event times in ms per variant, in trial order (alternating_calls, after 5 warm-up calls of each)."""
    flush = torch.empty(L2_FLUSH_BYTES // 4, dtype=torch.int32, device="cuda")
    for fn in calls.values():
        for _ in range(5):
            fn()
    torch.cuda.synchronize()
    times = {name: [] for name in calls}
    for name, _, start, end in alternating_calls(calls, flush, trials, sync, keep_output):
        times[name].append(start.elapsed_time(end))
    return times


def median_interval(diffs: list, resamples: int = 2000, seed: int = 0) -> tuple:
    """Median of the paired differences and its bootstrap 95% interval."""
    rng = random.Random(seed)
    meds = sorted(statistics.median(rng.choices(diffs, k=len(diffs))) for _ in range(resamples))
    return statistics.median(diffs), meds[int(0.025 * resamples)], meds[int(0.975 * resamples) - 1]


def problem_dist(cname: str) -> str:
    """The input distribution of the config's problem file (`get_inputs`): torch.rand for v0.1, randn for v0."""
    return "rand" if cname == "v0.1" else "randn"


def build(sol, cname: str, mode: str, x_dist: str):
    """A seeded ModelNew of `sol` for config `cname` in `mode` and its input (the same for every variant)."""
    batch, cin, cout, h, w, k, s = CONFIGS[cname]
    torch.manual_seed(0)
    model = sol.ModelNew(cin, cout, k, s, ADD, MUL).cuda()
    gen = torch.Generator(device="cuda").manual_seed(1)
    shape = (batch, cin, h, w)
    x = torch.rand(shape, device="cuda", generator=gen) if x_dist == "rand" else torch.randn(
        shape, device="cuda", generator=gen)
    if mode == "bf16":
        model, x = model.bfloat16(), x.bfloat16()
    return model, x


MODES = ("tf32", "fp32", "bf16")


def names_from(allowed):
    """An argparse type: a comma-separated list, every name one of `allowed` (an unknown mode would
    otherwise run as TF32 under its own label)."""
    def parse(text: str) -> list[str]:
        names = text.split(",")
        unknown = [n for n in names if n not in allowed]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {', '.join(unknown)}; choose from {', '.join(allowed)}")
        return names
    return parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--regime", choices=("sync", "queued"), default="sync")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--configs", type=names_from(tuple(CONFIGS)), default="v0.1,v0")
    ap.add_argument("--modes", type=names_from(MODES), default="tf32,fp32,bf16")
    ap.add_argument("--dist", choices=("problem", "rand", "randn"), default="problem")
    ap.add_argument("--keep-output", action="store_true")
    ap.add_argument("variants", nargs="+", help="NAME=FILE, the first is the reference")
    args = ap.parse_args()
    sols = {}
    for spec in args.variants:
        name, path = spec.split("=", 1)
        sols[name] = load(path, "ab_" + name)
        sols[name]._load_ext()
    print(torch.__version__, torch.cuda.get_device_name(), "regime", args.regime, "inputs", args.dist,
          "outputs kept" if args.keep_output else "", flush=True)
    ref = next(iter(sols))
    for cname in args.configs:
        x_dist = problem_dist(cname) if args.dist == "problem" else args.dist
        for mode in args.modes:
            if cname != "v0.1" and mode != "tf32":
                continue
            torch.backends.cudnn.allow_tf32 = mode != "fp32"
            calls = {}
            for name, sol in sols.items():
                model, x = build(sol, cname, mode, x_dist)
                calls[name] = (lambda m, xx: (lambda: m(xx)))(model, x)
            with torch.no_grad():
                times = paired_trials(calls, args.trials, args.regime == "sync", args.keep_output)
            for name, ts in times.items():
                line = f"{cname:5s} {mode:5s} {name:10s} median {statistics.median(ts):.4f} ms"
                if name != ref:
                    med, lo, hi = median_interval([b - a for a, b in zip(times[ref], ts)])
                    line += f"  vs {ref}: {med:+.4f} ms (95% {lo:+.4f} .. {hi:+.4f})"
                print(line, flush=True)
    torch.backends.cudnn.allow_tf32 = True


if __name__ == "__main__":
    main()
