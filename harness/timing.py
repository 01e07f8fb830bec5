"""One timing function in the spirit of triton.testing.do_bench, returning a plain Measurement.

The references below are bound when this module is imported, which the candidate worker does
before it imports any candidate code, so later patches of torch or time do not reach the timer.
"""
from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field

import torch

_perf_counter = time.perf_counter
_synchronize = torch.cuda.synchronize
_Event = torch.cuda.Event
_elapsed_time = torch.cuda.Event.elapsed_time
_record = torch.cuda.Event.record

L2_FLUSH_BYTES = 256 * 1024 * 1024
MISMATCH_RATIO = 0.5
MISMATCH_MIN_GAP_MS = 0.05


@dataclass
class Measurement:
    """Times in milliseconds. On CUDA `times` are event times and `host_median` the host view of the same calls."""

    median: float
    mean: float
    std: float
    min: float
    max: float
    n: int
    times: list = field(repr=False)
    host_median: float
    empty_call_ms: float = 0.0
    timing_mismatch: bool = False

    @classmethod
    def from_times(cls, times: list, host_times: list, empty_call_ms: float = 0.0) -> "Measurement":
        median = statistics.median(times)
        host_median = statistics.median(host_times)
        hidden_floor = host_median - empty_call_ms
        mismatch = (median < MISMATCH_RATIO * hidden_floor
                    and hidden_floor - median > MISMATCH_MIN_GAP_MS)
        return cls(median=median, mean=statistics.fmean(times),
                   std=statistics.stdev(times) if len(times) > 1 else 0.0,
                   min=min(times), max=max(times), n=len(times), times=list(times),
                   host_median=host_median, empty_call_ms=empty_call_ms, timing_mismatch=mismatch)


def do_bench(fn, *, device: str = "cuda", trials: int = 100, warmup: int = 10, setup=None,
             teardown=None) -> Measurement:
    """Time `fn()` `trials` times after `warmup` calls. `setup()` and `teardown()`, when given, run
    before and after every call of `fn` (warm-up included), outside the timed region.

    CUDA: the L2 is flushed before every call, the device is synchronized before the start event
    and after the end event (so side-stream work is waited for), and a host clock runs around each
    call. A Measurement whose event median is far below the host median minus the cost of an empty
    call is flagged `timing_mismatch`: work finished outside the timed stream. CPU: wall clock only.
    """
    setup, teardown = setup or _nothing, teardown or _nothing
    if device == "cpu":
        for _ in range(warmup):
            setup()
            fn()
            teardown()
        times = []
        for _ in range(trials):
            setup()
            start = _perf_counter()
            fn()
            times.append((_perf_counter() - start) * 1e3)
            teardown()
        return Measurement.from_times(times, times)

    flush = torch.empty(L2_FLUSH_BYTES // 4, dtype=torch.int32, device=device)
    for _ in range(warmup):
        setup()
        fn()
        _synchronize()
        teardown()
    empty_times, empty_host = _timed_calls(_nothing, _nothing, _nothing, flush, max(10, trials // 4))
    times, host_times = _timed_calls(fn, setup, teardown, flush, trials)
    return Measurement.from_times(times, host_times, empty_call_ms=statistics.median(empty_host))


def _nothing():
    pass


def _timed_calls(fn, setup, teardown, flush: torch.Tensor, trials: int) -> tuple[list, list]:
    events = [(_Event(enable_timing=True), _Event(enable_timing=True)) for _ in range(trials)]
    host_times = []
    for start, end in events:
        setup()
        flush.zero_()
        _synchronize()
        host_start = _perf_counter()
        _record(start)
        fn()
        _record(end)
        _synchronize()
        host_times.append((_perf_counter() - host_start) * 1e3)
        teardown()
    return [_elapsed_time(start, end) for start, end in events], host_times


def speedup(baseline_ms: float, candidate_ms: float) -> float:
    if not (baseline_ms > 0 and candidate_ms > 0):
        return math.nan
    return baseline_ms / candidate_ms
