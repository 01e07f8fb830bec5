"""tools/clock_ab_93.py splits paired call times by the SM clock nvidia-smi sampled; this checks, without a GPU, its
reading of the samples, the clock each call gets and the per-clock summary."""
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))
import clock_ab_93  # noqa: E402

# `--query-gpu=timestamp,clocks.sm --format=csv,noheader` as driver 580.159 wrote it, with a line it could not fill
SAMPLES = """2026/12/04 08:45:21.699, 1980 MHz
2026/12/04 08:45:21.799, 1860 MHz
[Unknown Error]
2026/12/04 08:45:21.899, 1935 MHz
"""


def epoch(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y/%m/%d %H:%M:%S.%f").timestamp()


def test_clock_samples_reads_local_time_and_mhz_and_drops_unparsable_lines(tmp_path):
    path = tmp_path / "smi.csv"
    path.write_text(SAMPLES)
    got = clock_ab_93.clock_samples(str(path))
    assert list(got.sm_mhz) == [1980, 1860, 1935]
    assert got.epoch.iloc[0] == pytest.approx(epoch("2026/12/04 08:45:21.699"), abs=1e-6)
    assert got.epoch.iloc[2] - got.epoch.iloc[0] == pytest.approx(0.2, abs=1e-6)


def test_attach_clocks_takes_the_nearest_sample(tmp_path):
    path = tmp_path / "smi.csv"
    path.write_text(SAMPLES)
    t0 = epoch("2026/12/04 08:45:21.699")
    calls = pd.DataFrame({"variant": ["a", "b", "a"], "epoch": [t0 + 0.16, t0 - 5.0, t0 + 0.04]})
    got = clock_ab_93.attach_clocks(calls, clock_ab_93.clock_samples(str(path)))
    assert list(got.variant) == ["b", "a", "a"]          # in time order
    assert list(got.sm_mhz) == [1980, 1980, 1935]


def test_summarize_gives_medians_and_paired_differences_per_segment_and_clock():
    rows = []
    for trial in range(20):
        mhz = 1980 if trial < 12 else 1860            # 12 trials at one clock, 8 at the other
        slow = 0.05 if mhz == 1980 else -0.01          # b loses at the boost clock and wins below it
        a = 0.50 + 0.001 * (trial % 3)
        rows += [("sync", "a", trial, a, mhz), ("sync", "b", trial, a + slow, mhz)]
    rows += [("cold queued", "a", 0, 0.49, 1980), ("cold queued", "b", 0, 0.54, 1980)]
    table = pd.DataFrame(rows, columns=["segment", "variant", "trial", "ms", "sm_mhz"])
    got = clock_ab_93.summarize(table, "a")
    assert list(zip(got.segment, got.sm_mhz, got.calls)) == [("cold queued", 1980, 1), ("sync", 1860, 8),
                                                              ("sync", 1980, 12)]
    boost = got[(got.segment == "sync") & (got.sm_mhz == 1980)].iloc[0]
    assert boost["a"] == pytest.approx(0.501)
    assert boost["b-a"].startswith("+0.0500")
    # fewer than MIN_CALLS paired calls at a clock: medians only, no difference
    assert clock_ab_93.MIN_CALLS > 8
    assert pd.isna(got[(got.segment == "sync") & (got.sm_mhz == 1860)].iloc[0]["b-a"])
