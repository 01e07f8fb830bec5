"""SM clock, power and clock-event reasons while problem 93's solution runs back to back (run on the GPU box).

Calls the solution's kernelbench-v0.1 ModelNew back to back for a few seconds per mode (no L2 flush between
calls) while `nvidia-smi` samples the card every 50 ms into OUT_DIR/smi_<mode>.csv, and prints the time per
call and, from the samples taken while the calls ran (by timestamp: an H100 under load may report no clock-event
reason at all), the SM clock, power and reasons.
A card held at its power limit runs below its maximum clock, so the trace's cycles and a machine's times depend on
it.

Usage: python3 tools/clock_under_load_93.py OUT_DIR [--sol FILE] [--seconds S]
"""
import argparse
import datetime
import os
import subprocess
import time

import pandas as pd
import torch

from ab_93 import build
from bench_fused_93 import SOL, load

QUERY = "timestamp,clocks.sm,clocks.mem,power.draw,power.limit,temperature.gpu,clocks_throttle_reasons.active"
COLUMNS = ["timestamp", "sm_mhz", "mem_mhz", "power_w", "limit_w", "temp_c", "reasons"]


def loaded_samples(csv_path: str, start: float, end: float) -> pd.DataFrame:
    """The samples nvidia-smi took between `start` and `end` (time.time() seconds; its timestamps are local
    time), clock and power as numbers."""
    d = pd.read_csv(csv_path, skipinitialspace=True, header=0, names=COLUMNS)
    for col, unit in (("sm_mhz", " MHz"), ("power_w", " W"), ("limit_w", " W")):
        d[col] = d[col].str.replace(unit, "").astype(float)
    stamps = pd.to_datetime(d.timestamp, format="%Y/%m/%d %H:%M:%S.%f")
    lo, hi = (datetime.datetime.fromtimestamp(t) for t in (start, end))
    return d[(stamps >= lo) & (stamps <= hi)]


def run_mode(sol, mode: str, seconds: float, csv_path: str) -> tuple[float, float, float]:
    """ms per call over `seconds` of back-to-back calls, with nvidia-smi sampling into csv_path; and the
    time.time() bounds of those calls."""
    model, x = build(sol, "v0.1", mode, "rand")
    with torch.no_grad():
        for _ in range(5):
            model(x)
        torch.cuda.synchronize()
        with open(csv_path, "w") as sink:
            smi = subprocess.Popen(["nvidia-smi", f"--query-gpu={QUERY}", "--format=csv", "-lms", "50"], stdout=sink)
            time.sleep(0.5)
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            t0, calls = time.time(), 0
            start.record()
            while time.time() - t0 < seconds:
                for _ in range(50):
                    model(x)
                calls += 50
                torch.cuda.synchronize()
            end.record()
            torch.cuda.synchronize()
            t1 = time.time()
            time.sleep(0.3)
            smi.terminate()
            smi.wait()
    return start.elapsed_time(end) / calls, t0, t1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--sol", default=SOL)
    ap.add_argument("--seconds", type=float, default=4.0)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    sol = load(args.sol, "clock_probe")
    torch.backends.cudnn.allow_tf32 = True
    for mode in ("tf32", "bf16"):
        csv_path = f"{args.out_dir}/smi_{mode}.csv"
        ms, start, end = run_mode(sol, mode, args.seconds, csv_path)
        d = loaded_samples(csv_path, start, end)
        print(f"{mode}: {ms:.4f} ms per call; {len(d)} loaded samples: SM clock median {d.sm_mhz.median():.0f} MHz, "
              f"power median {d.power_w.median():.0f} W of {d.limit_w.max():.0f}, reasons "
              f"{d.reasons.value_counts().to_dict()}", flush=True)


if __name__ == "__main__":
    main()
