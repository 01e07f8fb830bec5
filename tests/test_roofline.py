import math

import pytest

from conftest import PROBLEM
from harness.problem import find_problem, load_module
from harness.roofline import DeviceCeilings, Workload, floor_ms, impossible_reason, load_cached_ceilings, \
    save_ceilings, workload
from harness.seeding import Trial, make_inputs

CEILINGS = DeviceCeilings(device="gpu", torch_version="t", copy_gbps=1000.0, fill_gbps=2000.0,
                          tflops={"fp32": 50.0, "tf32": 400.0, "fp16": 800.0, "bf16": 800.0})


@pytest.mark.parametrize("dtype, element", [("fp32", 4), ("bf16", 2)])
def test_workload_of_problem_93_on_meta(test_root, dtype, element):
    problem = find_problem(PROBLEM, test_root)
    module = load_module(problem.path, problem.config().size_set("small").constants)
    inputs = make_inputs(module, Trial("t", 1), "cpu", dtype)
    work = workload(module.Model, module.get_init_inputs(), inputs, dtype)
    n, cin, cout, h, w, k, s = 2, 8, 8, 9, 11, 4, 2
    ho, wo = (h - 1) * s + k, (w - 1) * s + k
    assert work.flops == 2 * n * cin * h * w * cout * k * k
    assert work.output_bytes == n * cout * ho * wo * element
    params = cin * cout * k * k + cout
    assert work.bytes == (n * cin * h * w + params + n * cout * ho * wo) * element


def test_floor_is_the_slower_of_memory_and_compute():
    memory_bound = Workload(flops=10**6, bytes=10**9, output_bytes=0)
    assert floor_ms(memory_bound, CEILINGS, "fp32") == pytest.approx(1.0)
    compute_bound = Workload(flops=10**12, bytes=10, output_bytes=0)
    assert floor_ms(compute_bound, CEILINGS, "tf32") == pytest.approx(2.5)
    assert floor_ms(compute_bound, CEILINGS, "bf16") == pytest.approx(1.25)
    assert math.isnan(floor_ms(memory_bound, None, "fp32"))


def test_exact_fp32_floor_takes_the_tensor_core_rate():
    """Split operands give fp32 accuracy on TF32 tensor cores, so exact fp32 is floored at the TF32
    rate where the device has one (a 3xTF32 solution ran at twice the speed of a fp32-rate floor);
    a CPU has only its fp32 rate."""
    compute_bound = Workload(flops=10**12, bytes=10, output_bytes=0)
    assert floor_ms(compute_bound, CEILINGS, "fp32") == pytest.approx(2.5)
    cpu = DeviceCeilings(device="cpu", torch_version="t", copy_gbps=10.0, fill_gbps=10.0, tflops={"fp32": 1.0})
    assert floor_ms(compute_bound, cpu, "fp32") == pytest.approx(1000.0)
    assert floor_ms(compute_bound, cpu, "bf16") == pytest.approx(1e-6)   # no bf16 rate: bytes alone


def test_impossible_uses_best_bandwidth():
    work = Workload(flops=0, bytes=10**9, output_bytes=0)
    assert impossible_reason(0.6, work, CEILINGS) is None  # slower than 1e9 B at 2000 GB/s = 0.5 ms
    assert "best measured bandwidth" in impossible_reason(0.4, work, CEILINGS)
    assert impossible_reason(0.01, work, None) is None


def test_ceilings_cache_is_keyed_by_device_and_torch(tmp_path):
    path = tmp_path / "device_ceilings.json"
    save_ceilings(path, CEILINGS)
    assert load_cached_ceilings(path, "gpu", "t") == CEILINGS
    assert load_cached_ceilings(path, "gpu", "other") is None


@pytest.mark.gpu
def test_measured_ceilings_are_plausible():
    import torch

    from harness.roofline import measure_ceilings

    ceilings = measure_ceilings(torch.cuda.get_device_name())
    assert 100 < ceilings.copy_gbps < 10_000 and 100 < ceilings.fill_gbps < 10_000
    assert ceilings.tflops["bf16"] > ceilings.tflops["fp32"] > 1
