"""Paired A/B of problem-93 solution files, split by the SM clock each call ran at (run on the GPU box).

The SM clock moves with the load: after idle, the first ~0.1 s of back-to-back calls run at the 1980 MHz boost
clock, then the power limit pulls it to 1845-1890 MHz (H200, 700 W); one call per sync (run.py's regime) stays at
1935-1980. Two kernels can rank differently at the two clocks (perf log, thirty-third session: v76's TF32 kernel is
~3 us faster than v73's at <= 1890 MHz and 37-59 us slower at 1980), so a queued A/B that mixes both reports a
mixture. This runs tools/ab_93.py's alternating, L2-flushed calls in three segments -- after 3 s idle, queued;
after 3 s idle, one call per sync; queued again, warm -- while nvidia-smi samples the clock every 10 ms. It prints,
per segment and per sampled clock, each variant's median and its paired difference to the first variant.
nvidia-smi's clock reading lags the card by up to ~0.1 s, so calls near a clock change may land in the wrong row.
The clock is nvidia-smi's reading, not the rate the kernel's cycles ran at (the TF32 kernel's own clock64 over
%globaltimer read 1720-1790 MHz while nvidia-smi reported 1920-1980: perf log, thirty-sixth session), so a row
names a regime and power state rather than a cycle rate.
Raw per-call rows go to OUT_DIR/calls.csv, the samples to OUT_DIR/smi.csv.

Usage: python3 tools/clock_ab_93.py OUT_DIR NAME=FILE NAME=FILE [...] [--trials N] [--config v0.1] [--mode tf32]
                                    [--dist problem|rand|randn]
"""
import argparse
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # the harness, when run from tools/
from harness.clock import read_samples  # noqa: E402
from ab_93 import L2_FLUSH_BYTES, alternating_calls, build, median_interval, problem_dist
from bench_fused_93 import load

SEGMENTS = (("cold queued", False, True), ("sync", True, True), ("warm queued", False, False))  # name, sync, idle first
IDLE_S = 3.0
MIN_CALLS = 10   # fewest paired calls at one clock for a difference to be printed


def clock_samples(csv_path: str) -> pd.DataFrame:
    """nvidia-smi's `timestamp,clocks.sm` rows (csv, noheader) as epoch seconds and MHz; unparsable lines dropped."""
    return pd.DataFrame(read_samples(Path(csv_path).read_text(errors="replace")), columns=["epoch", "sm_mhz"])


def attach_clocks(calls: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """`calls` (a column `epoch`, each call's start) with the clock of the nearest sample, `sm_mhz`; in time order."""
    return pd.merge_asof(calls.sort_values("epoch"), samples.sort_values("epoch"), on="epoch", direction="nearest")


def run_segment(calls: dict, flush: torch.Tensor, trials: int, sync: bool) -> list:
    """Rows (variant, trial, epoch, ms) of tools/ab_93.py's alternating calls."""
    torch.cuda.synchronize()
    ref = torch.cuda.Event(enable_timing=True)
    ref.record()
    host0 = time.time()   # the reference event runs on an idle stream right after this host time
    events = alternating_calls(calls, flush, trials, sync)
    return [(name, i, host0 + ref.elapsed_time(s) / 1e3, s.elapsed_time(e)) for name, i, s, e in events]


def summarize(rows: pd.DataFrame, ref: str) -> pd.DataFrame:
    """Per segment and clock (the reference variant's call sets a trial's clock): calls, each variant's median, and
    the median paired difference to `ref` with its bootstrap 95% interval."""
    wide = rows.pivot_table(index=["segment", "trial"], columns="variant", values="ms")
    clock = rows[rows.variant == ref].set_index(["segment", "trial"]).sm_mhz
    wide = wide.join(clock)
    out = []
    segments = [s for s, _, _ in SEGMENTS] + sorted(set(rows.segment) - {s for s, _, _ in SEGMENTS})

    def run_order(group):
        (segment, mhz), _ = group
        return segments.index(segment), mhz

    for (segment, mhz), g in sorted(wide.groupby(["segment", "sm_mhz"]), key=run_order):
        line = {"segment": segment, "sm_mhz": int(mhz), "calls": len(g)}
        for name in rows.variant.unique():
            line[name] = g[name].median()
            if name != ref and len(g) >= MIN_CALLS:
                med, lo, hi = median_interval(list(g[name] - g[ref]))
                line[f"{name}-{ref}"] = f"{med:+.4f} ({lo:+.4f} .. {hi:+.4f})"
        out.append(line)
    return pd.DataFrame(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("variants", nargs="+", help="NAME=FILE, the first is the reference")
    ap.add_argument("--trials", type=int, default=150)
    ap.add_argument("--config", default="v0.1")
    ap.add_argument("--mode", choices=("tf32", "fp32", "bf16"), default="tf32")
    ap.add_argument("--dist", choices=("problem", "rand", "randn"), default="problem")
    args = ap.parse_args()
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.backends.cudnn.allow_tf32 = args.mode != "fp32"
    x_dist = problem_dist(args.config) if args.dist == "problem" else args.dist
    calls = {}
    for spec in args.variants:
        name, path = spec.split("=", 1)
        model, x = build(load(path, "clock_ab_" + name), args.config, args.mode, x_dist)
        calls[name] = (lambda m, xx: (lambda: m(xx)))(model, x)
    flush = torch.empty(L2_FLUSH_BYTES // 4, dtype=torch.int32, device="cuda")
    rows = []
    with torch.no_grad(), open(out_dir / "smi.csv", "w") as sink:
        for fn in calls.values():
            for _ in range(3):
                fn()
        smi = subprocess.Popen(["nvidia-smi", "--query-gpu=timestamp,clocks.sm", "--format=csv,noheader", "-lms", "10"],
                               stdout=sink)
        try:
            for segment, sync, idle_first in SEGMENTS:
                if idle_first:
                    torch.cuda.synchronize()
                    time.sleep(IDLE_S)
                rows += [(segment, *r) for r in run_segment(calls, flush, args.trials, sync)]
            time.sleep(0.2)
        finally:
            smi.terminate()
            smi.wait()
    table = attach_clocks(pd.DataFrame(rows, columns=["segment", "variant", "trial", "epoch", "ms"]),
                          clock_samples(str(out_dir / "smi.csv")))
    table.to_csv(out_dir / "calls.csv", index=False)
    print(torch.cuda.get_device_name(), args.config, args.mode, x_dist, f"{args.trials} trials per segment")
    with pd.option_context("display.width", 250, "display.max_columns", None, "display.float_format", "{:.4f}".format):
        print(summarize(table, next(iter(calls))).to_string(index=False))


if __name__ == "__main__":
    main()
