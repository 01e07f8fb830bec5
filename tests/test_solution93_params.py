"""Problem 93's fused solution keeps the reference's parameters (issue: "Same parameters"): a seeded Model and ModelNew
get the same weights, and state_dicts load both ways. Runs on the CPU: the extension build that ModelNew's constructor
starts is replaced by a no-op, since parameters do not depend on it."""
from pathlib import Path

import pytest
import torch

from harness.problem import load_module

ROOT = Path(__file__).resolve().parents[1]
STEM = "93_ConvTranspose2d_Add_Min_GELU_Multiply"
INIT = {"kernelbench-v0.1": (64, 128, 4, 2, 0.5, 2.0), "kernelbench-v0": (32, 16, 4, 2, 0.5, 2.0),
        "odd": (5, 7, 3, 3, -0.25, 1.5)}


@pytest.fixture(scope="module")
def classes():
    problem = load_module(ROOT / "problems" / "level2" / f"{STEM}.py")
    solution = load_module(ROOT / "solutions" / "level2" / STEM / "fused_implicit_gemm.py")
    solution._load_ext = lambda: None
    return problem.Model, solution.ModelNew


def _seeded(cls, seed, init):
    torch.manual_seed(seed)
    return cls(*init)


@pytest.mark.parametrize("init", INIT.values(), ids=INIT.keys())
def test_a_seeded_pair_has_the_same_state_dict(classes, init):
    Model, ModelNew = classes
    ref, new = _seeded(Model, 123, init), _seeded(ModelNew, 123, init)
    a, b = ref.state_dict(), new.state_dict()
    assert list(a) == list(b) == ["conv_transpose.weight", "conv_transpose.bias"]
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert (new.add_value, new.multiply_value) == init[4:]


@pytest.mark.parametrize("init", INIT.values(), ids=INIT.keys())
def test_state_dicts_load_both_ways(classes, init):
    Model, ModelNew = classes
    ref, new = _seeded(Model, 1, init), _seeded(ModelNew, 2, init)
    assert not torch.equal(ref.conv_transpose.weight, new.conv_transpose.weight)
    new.load_state_dict(ref.state_dict())
    assert torch.equal(new.conv_transpose.weight, ref.conv_transpose.weight)
    other = _seeded(ModelNew, 3, init)
    ref.load_state_dict(other.state_dict())
    assert torch.equal(ref.conv_transpose.bias, other.conv_transpose.bias)
