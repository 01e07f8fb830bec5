import math

import pytest
import torch

from harness.config import Tolerance
from harness.correctness import ConstantTracker, compare, compare_parameters

TOL = Tolerance(atol=1e-4, rtol=1e-4)


def check(candidate, eager, exact=None, tol=TOL):
    exact = eager if exact is None else exact
    return compare("t", [candidate], [eager], [exact.double()], tol)


def test_within_tolerance_passes_and_reports_errors():
    eager = torch.tensor([1.0, -2.0, 0.0, 100.0])
    candidate = eager + torch.tensor([5e-5, 0.0, 0.0, 0.009])  # 0.009 <= 1e-4 + 1e-4 * 100
    verdict = check(candidate, eager)
    assert verdict.passed
    assert verdict.max_abs_err == pytest.approx(0.009, rel=1e-3)
    assert verdict.max_rel_err == pytest.approx(9e-5, rel=1e-2)  # 0.009 / 100


def test_beyond_tolerance_fails_with_count():
    eager = torch.zeros(10)
    candidate = eager.clone()
    candidate[3] = 2e-4
    verdict = check(candidate, eager)
    assert verdict.status == "incorrect" and verdict.mismatched == 1 and "1 of 10" in verdict.message


def test_error_against_float64_reference_is_reported_separately():
    exact = torch.tensor([1.0, 2.0], dtype=torch.float64)
    eager = torch.tensor([1.0, 2.0])
    verdict = check(eager + 1e-5, eager, exact=exact + 1e-3)
    assert verdict.passed and verdict.max_abs_err_fp64 == pytest.approx(1e-3 - 1e-5, rel=1e-3)


@pytest.mark.parametrize("candidate, eager, passed", [
    ([math.nan, 1.0], [math.nan, 1.0], True),
    ([math.nan, 1.0], [0.0, 1.0], False),
    ([0.0, 1.0], [math.nan, 1.0], False),
    ([math.inf, -math.inf], [math.inf, -math.inf], True),
    ([math.inf, 1.0], [-math.inf, 1.0], False),
    ([math.inf, 1.0], [1e30, 1.0], False),
    ([3.0, 1.0], [math.inf, 1.0], False),
])
def test_nan_and_inf_positions_and_signs(candidate, eager, passed):
    assert check(torch.tensor(candidate), torch.tensor(eager)).passed is passed


def test_shape_and_dtype_mismatch():
    eager = torch.zeros(2, 3)
    assert check(torch.zeros(3, 2), eager).status == "shape_mismatch"
    assert check(torch.zeros(2, 3, dtype=torch.float64), eager).status == "dtype_mismatch"
    assert compare("t", [eager, eager], [eager], [eager], TOL).status == "shape_mismatch"


def test_tolerance_is_configurable():
    eager = torch.ones(4)
    assert not check(eager + 5e-3, eager).passed
    assert check(eager + 5e-3, eager, tol=Tolerance(atol=1e-2, rtol=1e-2)).passed


def test_degenerate_when_outputs_constant_across_trials():
    tracker = ConstantTracker()
    for seed in range(5):
        out = torch.zeros(1000)
        out[:5] = torch.randn(5, generator=torch.Generator().manual_seed(seed))
        tracker.update([out])
    assert tracker.fraction == pytest.approx(0.995) and tracker.degenerate


def test_not_degenerate_when_outputs_vary():
    tracker = ConstantTracker()
    for seed in range(5):
        tracker.update([torch.randn(1000, generator=torch.Generator().manual_seed(seed))])
    assert tracker.fraction < 0.01 and not tracker.degenerate


def test_single_trial_is_all_constant_by_definition():
    tracker = ConstantTracker()
    tracker.update([torch.randn(10)])
    assert tracker.fraction == 1.0


def test_parameter_check():
    torch.manual_seed(0)
    a = torch.nn.Linear(3, 2).state_dict()
    same = {k: v.clone() for k, v in a.items()}
    assert compare_parameters(a, same) == ""
    changed = {k: v + 1 for k, v in a.items()}
    assert "bias" in compare_parameters(a, changed) and "weight" in compare_parameters(a, changed)
    assert compare_parameters(a, {"other": torch.zeros(1)}) == ""
