"""Nsight Compute counters of problem 93's kernels for several solution files (run on the GPU box).

For each mode and NAME=FILE, ncu profiles one launch of the SS kernel (--kernel prep: of the pre-pass that writes the
channels-last x and the packed weights) after four warm-up calls (kernelbench-v0.1,
`torch.rand` inputs unless --dist randn, `--clock-control none`) in a child process of this script that builds the
file's ModelNew and calls it. Prints one table, a row per counter and a column per mode and variant; ncu's CSV and
log per column go to OUT_DIR. The default counters are those of the perf log's entry "What v66's stores cost": duration and clock,
DRAM bytes, sectors L2 filled from DRAM, the L1 data stage's wavefronts (shared memory, global stores) and the
tensor pipe's activity. ncu flushes the caches before the launch (its default); a file must build its extension
under its own name, as for tools/ab_93.py.

Usage: python3 tools/counters_93.py OUT_DIR NAME=FILE [NAME=FILE ...] [--modes tf32,bf16] [--dist rand|randn]
                                    [--metrics A,B,... | --stalls] [--kernel main|prep]
  modes:  tf32, fp32 (exact fp32: allow_tf32 off), bf16
  dist:   randn makes nearly every epilogue block take the GELU (rand: nearly none)
  stalls: the warp stall reasons per issued instruction (STALL_METRICS) instead of the default counters
"""
import argparse
import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd

from ab_93 import MODES, build, names_from

METRICS = [
    "gpu__time_duration.sum",
    "sm__cycles_elapsed.avg.per_second",
    "dram__bytes_read.sum",
    "dram__bytes_write.sum",
    "lts__d_sectors_fill_device.sum",
    "lts__t_requests_srcunit_tex_op_write.sum",
    "l1tex__data_pipe_lsu_wavefronts.sum",
    "l1tex__data_pipe_lsu_wavefronts.avg.pct_of_peak_sustained_elapsed",
    "l1tex__data_pipe_lsu_wavefronts_mem_shared.sum",
    "l1tex__t_requests_pipe_lsu_mem_global_op_st.sum",
    "sm__pipe_tensor_cycles_active.avg.pct_of_peak_sustained_elapsed",
]
STALL_METRICS = [
    f"smsp__average_warps_issue_stalled_{reason}_per_issue_active.ratio"
    for reason in ("wait", "barrier", "long_scoreboard", "short_scoreboard", "math_pipe_throttle", "mio_throttle",
                   "lg_throttle", "dispatch_stall", "no_instruction", "drain", "membar")
] + ["gpu__time_duration.sum"]
KERNELS = {"main": "regex:ct93_wgmma_ss_kernel", "prep": "regex:prep_wgmma_kernel"}
WARMUP_CALLS = 4


def read_ncu_csv(text: str) -> dict:
    """{metric: value} of the one launch in the output of `ncu --csv --metrics ...` (the program's own lines and
    ncu's ==PROF== lines before the header are skipped; thousands separators removed)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('"ID",')), None)
    if start is None:
        raise ValueError("no ncu CSV header in the output (did the kernel run, and do the metric names exist?)")
    table = list(csv.DictReader(io.StringIO("\n".join(lines[start:]))))
    launches = {row["ID"] for row in table}
    if len(launches) != 1:
        raise ValueError(f"expected one profiled launch, got {len(launches)}")
    return {row["Metric Name"]: float(row["Metric Value"].replace(",", "")) for row in table}


def profile(out_dir: Path, name: str, path: str, mode: str, dist: str, metrics: list, kernel: str = "main") -> dict:
    """Counters of one launch of `path`'s `kernel` (a KERNELS key) in `mode`; ncu's output saved as
    out_dir/name_mode.csv (name_mode_prep.csv for the pre-pass)."""
    stem = f"{name}_{mode}" + ("" if kernel == "main" else f"_{kernel}")
    cmd = ["ncu", "--clock-control", "none", "-k", KERNELS[kernel], "--launch-skip", str(WARMUP_CALLS),
           "--launch-count", "1", "--metrics", ",".join(metrics), "--csv", sys.executable, __file__, "--child", path, name, mode, dist]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    (out_dir / f"{stem}.csv").write_text(run.stdout)
    (out_dir / f"{stem}.log").write_text(run.stderr)
    if run.returncode != 0:
        raise RuntimeError(f"ncu on {name} ({mode}, {kernel}) exited {run.returncode}; see {out_dir}/{stem}.log")
    return read_ncu_csv(run.stdout)


def child(path: str, name: str, mode: str, dist: str) -> None:
    """Build `path`'s kernelbench-v0.1 model in `mode` and call it WARMUP_CALLS + 1 times (ncu profiles the last)."""
    import torch
    from bench_fused_93 import load
    torch.backends.cudnn.allow_tf32 = mode != "fp32"   # fp32: exact fp32, as in tools/ab_93.py
    model, x = build(load(path, name), "v0.1", mode, dist)
    with torch.no_grad():
        for _ in range(WARMUP_CALLS + 1):
            model(x)
    torch.cuda.synchronize()


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("variants", nargs="+", help="NAME=FILE")
    ap.add_argument("--modes", type=names_from(MODES), default="tf32")
    ap.add_argument("--dist", choices=("rand", "randn"), default="rand")
    picks = ap.add_mutually_exclusive_group()
    picks.add_argument("--metrics", default=",".join(METRICS))
    picks.add_argument("--stalls", action="store_true", help="the warp stall reasons (STALL_METRICS)")
    ap.add_argument("--kernel", choices=sorted(KERNELS), default="main")
    args = ap.parse_args()
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = STALL_METRICS if args.stalls else args.metrics.split(",")
    columns = {}
    for mode in args.modes:
        for spec in args.variants:
            name, path = spec.split("=", 1)
            columns[f"{mode} {name}"] = profile(out_dir, name, str(Path(path).resolve()), mode, args.dist, metrics,
                                                args.kernel)
    with pd.option_context("display.width", 250, "display.max_columns", None, "display.float_format", "{:,.4g}".format):
        print(pd.DataFrame(columns).reindex(metrics))


if __name__ == "__main__":
    main()
