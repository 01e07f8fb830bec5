"""The SM clock nvidia-smi reports over the timed calls, sampled from the trusted parent process.

A GPU's clock follows its load: on the H200s measured for problem 93, nvidia-smi reports the 1980 MHz
boost clock for calls with a sync around each (the harness's timing), and 1785-1890 MHz once
back-to-back calls have run ~0.1 s under the power limit; two kernels can rank differently in the two
regimes (the problem's perf log). So each timed stage records the clock next to its times, and rows
from different machines or clock states can be told apart. nvidia-smi reports every SAMPLE_MS and its
reading lags the card by up to ~0.1 s: this is the state a stage ran in, not a per-call measurement.
Nor is it the rate a kernel's cycles run at: problem 93's TF32 kernel counted 1720-1790 MHz (its own
clock64 over %globaltimer, tools/trace_93.py --light) in calls for which nvidia-smi reported 1920-1980.
"""
from __future__ import annotations

import bisect
import datetime
import shutil
import statistics
import subprocess
from pathlib import Path

SAMPLE_MS = 10
# A call counts as sampled when a sample lies this close to its window's middle: a few sample intervals,
# less than the ~0.1 s in which the clock leaves its boost state under load.
MAX_GAP_S = 0.05
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S.%f"


def gpu_uuid(index: int = 0) -> str:
    """nvidia-smi's id of CUDA device `index` (as this process numbers it under CUDA_VISIBLE_DEVICES)."""
    import torch

    return f"GPU-{torch.cuda.get_device_properties(index).uuid}"


class ClockSampler:
    """Samples one GPU's SM clock with nvidia-smi into `log_path` while the `with` block runs. Afterwards
    `samples` holds (epoch s, MHz) pairs, or stays empty with `error` saying why."""

    def __init__(self, gpu: str, log_path: Path):
        self.gpu, self.log_path = gpu, Path(log_path)
        self.samples: list[tuple[float, int]] = []
        self.error = ""
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> ClockSampler:
        if self.error:
            return self
        executable = shutil.which("nvidia-smi")
        if executable is None:
            self.error = "nvidia-smi not found"
            return self
        with open(self.log_path, "wb") as sink:
            self._process = subprocess.Popen(
                [executable, f"--id={self.gpu}", "--query-gpu=timestamp,clocks.sm", "--format=csv,noheader",
                 "-lms", str(SAMPLE_MS)], stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        text = self.log_path.read_text(errors="replace")
        self.samples = read_samples(text)
        if not self.samples:
            first = next((line.strip() for line in text.splitlines() if line.strip()), "no output")
            self.error = f"nvidia-smi gave no clock samples ({first[:200]})"


def read_samples(text: str) -> list[tuple[float, int]]:
    """(epoch s, MHz) for each `timestamp, clocks.sm` line of nvidia-smi's csv (its timestamps are the
    host's local time); lines it could not fill ('[Unknown Error]', 'N/A') are skipped."""
    samples = []
    for line in text.splitlines():
        parts = [part.strip() for part in line.split(",")]
        if len(parts) != 2 or not parts[1].endswith(" MHz"):
            continue
        try:
            stamp = datetime.datetime.strptime(parts[0], TIMESTAMP_FORMAT).timestamp()
            samples.append((stamp, int(parts[1][:-4])))
        except ValueError:
            continue
    return sorted(samples)


def call_clocks(samples: list[tuple[float, int]], windows: list[tuple[float, float]]) -> list[int | None]:
    """For each (start s, end s) window, the clock of the sample nearest its middle; None when no sample
    lies within MAX_GAP_S of it."""
    times = [t for t, _ in samples]
    clocks = []
    for start, end in windows:
        middle = (start + end) / 2
        i = bisect.bisect_left(times, middle)
        near = [j for j in (i - 1, i) if 0 <= j < len(times)]
        best = min(near, key=lambda j: abs(times[j] - middle), default=None)
        clocks.append(samples[best][1] if best is not None and abs(times[best] - middle) <= MAX_GAP_S else None)
    return clocks


def clock_summary(sampler: ClockSampler, windows: list[tuple[float, float]]) -> dict:
    """The SM clock over the timed calls' windows, as plain data for a result's record: median, min and max
    MHz of the sampled calls, how many were sampled, or `error` when none was."""
    if not windows:
        return {"error": "no timed calls"}
    if sampler.error:
        return {"error": sampler.error}
    clocks = [c for c in call_clocks(sampler.samples, windows) if c is not None]
    if not clocks:
        return {"error": f"no clock sample within {MAX_GAP_S * 1e3:g} ms of a timed call "
                         f"({len(sampler.samples)} samples)"}
    return {"median_mhz": statistics.median(clocks), "min_mhz": min(clocks), "max_mhz": max(clocks),
            "calls_sampled": len(clocks), "calls": len(windows), "sample_ms": SAMPLE_MS}
