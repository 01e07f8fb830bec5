"""The GELU constants in problem 93's solution file, checked on the CPU with tools/gelu_fit_93.py: a refit gives them
back, and evaluated in float32 as the kernel evaluates them they keep the accuracy the solution's comments state."""
import sys
from pathlib import Path

import pytest
import torch

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))
import gelu_fit_93 as fit  # noqa: E402

V = -torch.linspace(0, 12, 400_001, dtype=torch.float64).to(torch.float32)
NEAR = V[V >= -fit.NEAR0]


def test_a_refit_gives_back_the_solution_constants():
    p, g = fit.solution_constants()
    assert (len(p), len(g)) == (9, 6)
    for ours, refit in ((p, fit.fit_erfc_form()), (g, fit.fit_near0_form())):
        # one float32 rounding of the fit apart, give or take the last digits of another LAPACK
        torch.testing.assert_close(torch.tensor(ours, dtype=torch.float64), refit, rtol=1e-6, atol=0)


@pytest.mark.parametrize("via_t, abs_limit, rel_limit", [(False, 3.3e-7, 1.3e-5), (True, 3.3e-7, 1.9e-5)],
                         ids=["gelu_mul", "gelu_mul_via_t"])
def test_erfc_form_keeps_its_stated_accuracy_with_the_mufu_at_their_error_bounds(via_t, abs_limit, rel_limit):
    p, _ = fit.solution_constants()
    abs_err, rel_err = fit.worst_erfc_form(V, p, via_t)
    assert abs_err <= abs_limit and rel_err <= rel_limit, (abs_err, rel_err)


def test_near0_form_keeps_its_stated_accuracy():
    """About 2.7x PyTorch's own float32 error there (its fit's 8e-8 on top of the Horner rounding). Only TF32 and
    16-bit blocks take it (exact fp32 keeps the erfc form), whose products carry 2^-11 or coarser relative error."""
    _, g = fit.solution_constants()
    abs_err, rel_err = fit.errors(fit.emulate_near0_form(NEAR, g), NEAR)
    assert abs_err <= 2.6e-7 and rel_err <= 1.2e-6, (abs_err, rel_err)


def test_pytorchs_formula_cancels_where_the_erfc_form_does_not():
    p, _ = fit.solution_constants()
    far = V[V < -6]
    assert (fit.pytorch_formula(far) == 0).all()
    assert (fit.emulate_erfc_form(far, p) != 0).all()
