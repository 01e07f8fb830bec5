"""harness.clock without a GPU: reading nvidia-smi's samples, the clock each timed call gets, the summary a result
records, and the sampler's process (a stand-in nvidia-smi on PATH)."""
import os
import time
from datetime import datetime

import pytest

from conftest import PROBLEM
from harness.clock import MAX_GAP_S, ClockSampler, call_clocks, clock_summary, read_samples
from harness.evaluate import ProblemEvaluation, Settings, call_windows
from harness.problem import find_problem
from harness.referee import TimedCall

# `--query-gpu=timestamp,clocks.sm --format=csv,noheader` as driver 580.159 wrote it, with lines it could not fill
SAMPLES = """2026/12/04 08:45:21.699, 1980 MHz
2026/12/04 08:45:21.799, 1860 MHz
[Unknown Error]
2026/12/04 08:45:21.849, [N/A]
2026/12/04 08:45:21.899, 1935 MHz
"""


def epoch(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y/%m/%d %H:%M:%S.%f").timestamp()


T0 = epoch("2026/12/04 08:45:21.699")


def sampler_with(samples, error=""):
    sampler = ClockSampler("GPU-test", "unused.csv")
    sampler.samples, sampler.error = samples, error
    return sampler


def test_read_samples_takes_local_time_and_mhz_and_skips_unfilled_lines():
    got = read_samples(SAMPLES)
    assert [mhz for _, mhz in got] == [1980, 1860, 1935]
    assert got[0][0] == pytest.approx(T0, abs=1e-6)
    assert got[2][0] - got[0][0] == pytest.approx(0.2, abs=1e-6)


def test_each_call_gets_the_sample_nearest_its_middle_within_the_gap():
    samples = read_samples(SAMPLES)
    windows = [(T0 + 0.07, T0 + 0.09),            # middle 0.08: nearest 1860 (0.02 away)
               (T0 - 0.002, T0 + 0.002),          # middle on the first sample
               (T0 + 0.19, T0 + 0.25),            # middle 0.22: 1935, 0.02 after it
               (T0 + 0.2 + MAX_GAP_S + 0.01,) * 2,  # past the last sample by more than the gap
               (T0 - 1.0, T0 - 0.9)]              # before any sample
    assert call_clocks(samples, windows) == [1860, 1980, 1935, None, None]


def test_summary_gives_median_min_max_of_the_sampled_calls():
    sampler = sampler_with(read_samples(SAMPLES))
    windows = [(T0, T0), (T0 + 0.1, T0 + 0.1), (T0 + 0.2, T0 + 0.2), (T0 + 5, T0 + 5)]
    assert clock_summary(sampler, windows) == {"median_mhz": 1935, "min_mhz": 1860, "max_mhz": 1980,
                                               "calls_sampled": 3, "calls": 4, "sample_ms": 10}


def test_summary_says_why_there_is_no_clock():
    assert clock_summary(sampler_with([], "nvidia-smi not found"), [(T0, T0)]) == {"error": "nvidia-smi not found"}
    assert "no clock sample within" in clock_summary(sampler_with(read_samples(SAMPLES)), [(T0 + 9, T0 + 9)])["error"]
    assert clock_summary(sampler_with(read_samples(SAMPLES)), []) == {"error": "no timed calls"}


def test_call_windows_run_from_the_referees_start_stamp():
    calls = [TimedCall(seed=1, window_ms=2.0, checksum=0, kept=False, start_s=100.0)]
    assert call_windows(calls) == [(100.0, 100.002)]


@pytest.fixture
def fake_smi(tmp_path, monkeypatch):
    """An nvidia-smi on PATH that records its arguments and prints a 1900 MHz sample every 10 ms."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "nvidia-smi"
    script.write_text(f"""#!/bin/sh
echo "$@" > {tmp_path / 'args.txt'}
while true; do echo "$(date '+%Y/%m/%d %H:%M:%S.%3N'), 1900 MHz"; sleep 0.01; done
""")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path


def test_sampler_runs_nvidia_smi_on_one_gpu_while_open_and_stops_it(fake_smi):
    sampler = ClockSampler("GPU-1234", fake_smi / "clock.csv")
    with sampler:
        time.sleep(0.3)
        start = time.time()
        time.sleep(0.02)
        window = (start, time.time())
    assert sampler._process.poll() is not None, "nvidia-smi still runs after the block"
    args = (fake_smi / "args.txt").read_text().split()
    assert "--id=GPU-1234" in args and "--query-gpu=timestamp,clocks.sm" in args and args[-2:] == ["-lms", "10"]
    assert not sampler.error and len(sampler.samples) >= 5
    assert clock_summary(sampler, [window])["median_mhz"] == 1900


def test_sampler_without_nvidia_smi_records_why(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with ClockSampler("GPU-1234", tmp_path / "clock.csv") as sampler:
        pass
    assert sampler.samples == [] and sampler.error == "nvidia-smi not found"


def test_sampler_keeps_what_nvidia_smi_said_when_it_gave_no_samples(fake_smi):
    (fake_smi / "bin" / "nvidia-smi").write_text('#!/bin/sh\necho "No devices were found"\n')
    with ClockSampler("GPU-1234", fake_smi / "clock.csv") as sampler:
        time.sleep(0.1)
    assert sampler.error == "nvidia-smi gave no clock samples (No devices were found)"


def test_no_sampling_on_the_cpu(test_root, tmp_path):
    settings = Settings(device="cpu", results_dir=tmp_path)
    evaluation = ProblemEvaluation(find_problem(PROBLEM, test_root), "small", settings, test_root)
    with evaluation._clock_sampler(tmp_path / "clock.csv") as clock:
        assert clock is None
