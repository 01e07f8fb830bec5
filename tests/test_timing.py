import time

import pytest

from harness.timing import Measurement, do_bench, speedup


def test_cpu_do_bench_statistics():
    calls = []
    m = do_bench(lambda: (calls.append(1), time.sleep(0.002)), device="cpu", trials=7, warmup=2)
    assert len(calls) == 9 and m.n == 7 and len(m.times) == 7
    assert 2.0 <= m.min <= m.median <= m.max and m.mean >= 2.0 and m.std >= 0
    assert m.host_median == m.median and not m.timing_mismatch


def test_setup_runs_before_every_call_outside_the_timed_region():
    order = []
    m = do_bench(lambda: order.append("call"), device="cpu", trials=4, warmup=1,
                 setup=lambda: (order.append("setup"), time.sleep(0.02)))
    assert order == ["setup", "call"] * 5
    assert m.max < 10, "the setup's 20 ms sleep is not timed"


def test_timing_mismatch_when_events_miss_host_time():
    hidden = Measurement.from_times([0.01] * 5, [5.0] * 5, empty_call_ms=0.02)
    assert hidden.timing_mismatch
    honest = Measurement.from_times([4.9] * 5, [5.0] * 5, empty_call_ms=0.02)
    assert not honest.timing_mismatch
    tiny = Measurement.from_times([0.005] * 5, [0.03] * 5, empty_call_ms=0.02)
    assert not tiny.timing_mismatch, "gaps below the noise floor are not flagged"


def test_speedup():
    assert speedup(2.0, 0.5) == 4.0
    assert speedup(float("nan"), 1.0) != speedup(float("nan"), 1.0)  # NaN


@pytest.mark.gpu
def test_cuda_do_bench_waits_for_side_streams():
    import torch

    a = torch.randn(4096, 4096, device="cuda")
    side = torch.cuda.Stream()

    def hidden_work():
        with torch.cuda.stream(side):
            for _ in range(20):
                a @ a

    m = do_bench(hidden_work, trials=10, warmup=2)
    assert m.timing_mismatch and m.host_median > 1.0
    joined = do_bench(lambda: [a @ a for _ in range(20)], trials=10, warmup=2)
    assert not joined.timing_mismatch and joined.median > 1.0
