"""Verdicts: candidate outputs against the eager reference (tolerance) and a float64 reference (error report)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .config import Tolerance

DEGENERATE_FRACTION = 0.99


@dataclass
class TrialVerdict:
    """One trial. `status` is ok, shape_mismatch, dtype_mismatch or incorrect."""

    trial: str
    status: str
    message: str = ""
    max_abs_err: float = math.nan
    max_rel_err: float = math.nan
    max_abs_err_fp64: float = math.nan
    max_rel_err_fp64: float = math.nan
    mismatched: int = 0
    numel: int = 0

    @property
    def passed(self) -> bool:
        return self.status == "ok"


def compare(trial: str, candidate: list, eager: list, reference64: list, tol: Tolerance) -> TrialVerdict:
    """Shapes and dtypes equal; NaN and Inf at the same places (same sign); elsewhere
    |cand - eager| <= atol + rtol * |eager|. Errors are also measured against the float64 reference."""
    if len(candidate) != len(eager):
        return TrialVerdict(trial, "shape_mismatch", f"{len(candidate)} outputs, expected {len(eager)}")
    for i, (got, want) in enumerate(zip(candidate, eager)):
        if tuple(got.shape) != tuple(want.shape):
            return TrialVerdict(trial, "shape_mismatch",
                                f"output {i}: shape {tuple(got.shape)}, expected {tuple(want.shape)}")
        if got.dtype != want.dtype:
            return TrialVerdict(trial, "dtype_mismatch", f"output {i}: dtype {got.dtype}, expected {want.dtype}")

    verdict = TrialVerdict(trial, "ok", max_abs_err=0.0, max_rel_err=0.0,
                           max_abs_err_fp64=0.0, max_rel_err_fp64=0.0)
    problems = []
    for i, (got, want, exact) in enumerate(zip(candidate, eager, reference64)):
        got64, want64 = got.to(want.device, torch.float64), want.to(torch.float64)
        exact64 = exact.to(want.device, torch.float64)
        verdict.numel += got.numel()
        special = _special_mismatch(got64, want64)
        if special:
            problems.append(f"output {i}: {special}")
        finite = torch.isfinite(got64) & torch.isfinite(want64)
        bad = finite & ((got64 - want64).abs() > tol.atol + tol.rtol * want64.abs())
        verdict.mismatched += int(bad.sum())
        abs_err, rel_err = _errors(got64, want64, finite, tol.atol)
        abs64, rel64 = _errors(got64, exact64, finite & torch.isfinite(exact64), tol.atol)
        verdict.max_abs_err = max(verdict.max_abs_err, abs_err)
        verdict.max_rel_err = max(verdict.max_rel_err, rel_err)
        verdict.max_abs_err_fp64 = max(verdict.max_abs_err_fp64, abs64)
        verdict.max_rel_err_fp64 = max(verdict.max_rel_err_fp64, rel64)
    if verdict.mismatched:
        problems.append(f"{verdict.mismatched} of {verdict.numel} elements outside "
                        f"atol={tol.atol:g} rtol={tol.rtol:g} (max abs err {verdict.max_abs_err:.3g})")
    if problems:
        verdict.status, verdict.message = "incorrect", "; ".join(problems)
    return verdict


def _special_mismatch(got: torch.Tensor, want: torch.Tensor) -> str:
    nan_diff = int((torch.isnan(got) != torch.isnan(want)).sum())
    if nan_diff:
        return f"NaN at {nan_diff} positions where the reference differs"
    inf_diff = int(((torch.isinf(got) | torch.isinf(want)) & (got != want)).sum())
    if inf_diff:
        return f"Inf (or its sign) differs at {inf_diff} positions"
    return ""


def _errors(got, want, mask, atol: float) -> tuple[float, float]:
    """Max absolute error over `mask`; max relative error where |want| > atol."""
    if not bool(mask.any()):
        return 0.0, 0.0
    diff = (got - want).abs()[mask]
    scale = want.abs()[mask]
    significant = scale > atol
    rel = float((diff[significant] / scale[significant]).max()) if bool(significant.any()) else 0.0
    return float(diff.max()), rel


class ConstantTracker:
    """Fraction of reference output elements that hold the same value in every trial seen so far."""

    def __init__(self):
        self.first = None
        self.constant = None

    def update(self, outputs: list) -> None:
        flat = torch.cat([o.detach().reshape(-1).to(torch.float64) for o in outputs])
        if self.first is None:
            self.first, self.constant = flat, torch.ones_like(flat, dtype=torch.bool)
        elif flat.shape != self.first.shape:
            self.constant = torch.zeros_like(self.constant)
        else:
            same = (flat == self.first) | (torch.isnan(flat) & torch.isnan(self.first))
            self.constant &= same

    @property
    def fraction(self) -> float:
        if self.constant is None or self.constant.numel() == 0:
            return math.nan
        return float(self.constant.to(torch.float64).mean())

    @property
    def degenerate(self) -> bool:
        return self.fraction > DEGENERATE_FRACTION


def compare_parameters(expected: dict, got: dict) -> str:
    """Empty when the names differ (nothing to check) or all tensors are equal; otherwise a message."""
    if set(expected) != set(got):
        return ""
    differing = []
    for name, want in expected.items():
        have = got[name]
        if (not isinstance(have, torch.Tensor) or have.shape != want.shape or have.dtype != want.dtype
                or not torch.equal(have.cpu(), want.detach().cpu())):
            differing.append(name)
    if differing:
        return (f"parameters differ from Model's built from the same seed: {', '.join(sorted(differing))} "
                "(ModelNew should construct its parameters in the same order as Model)")
    return ""
