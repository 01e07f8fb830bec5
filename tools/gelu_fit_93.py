"""The GELU constants of problem 93's epilogue: how they are fitted, and what they cost in accuracy (CPU only).

The epilogue applies GELU to clamped values v = min(pre + add, 0) only, where 1 + erf(v / sqrt2) = erfc(t),
t = -v / sqrt2 >= 0. Two forms (solution file, struct Epilogue):
  gelu_mul        erfc(t) = q P(q) exp(-t^2), q = 1 / (1 + 0.4 t), P of degree 8 (rcp.approx, ex2.approx), with
                  1 + 0.4 t and t^2 formed from v directly (gelu_mul_via_t, exact fp32's, forms t first);
  gelu_mul_near0  for |v| <= 1.5: 1 + erf(v / sqrt2) = 1 + v G(v^2), G of degree 5 in v^2 (no MUFU).
Both are fitted in float64 by least squares reweighted toward the smallest largest relative error (Lawson's
iteration). `emulate_*` evaluate the solution's constants in float32 as the kernel does (one rounding per operation,
fma rounded once), optionally with the MUFU results off by their error bounds, against float64 truth.

Usage: python3 tools/gelu_fit_93.py    prints the refitted constants and the error table of the solution's constants
"""
import math
import re
from pathlib import Path

import torch

SOLUTION = (Path(__file__).resolve().parents[1] / "solutions" / "level2" /
            "93_ConvTranspose2d_Add_Min_GELU_Multiply" / "fused_implicit_gemm.py")
Q_SCALE = 0.4          # q = 1 / (1 + Q_SCALE t)
T_MAX = 9.5            # exp(-t^2) flushes to 0 in float32 beyond ~9.3
NEAR0 = 1.5            # gelu_mul_near0 serves |v| <= NEAR0
Q_SLOPE = -Q_SCALE / math.sqrt(2)                  # 1 + Q_SCALE t = 1 + Q_SLOPE v
EXP_SCALE = math.sqrt(math.log2(math.e) / 2)     # t^2 log2(e) = (EXP_SCALE v)^2
RCP_ULPS, EX2_ULPS = 1, 2   # PTX: rcp.approx.f32 and ex2.approx.f32 maximum errors


def lawson_fit(x: torch.Tensor, target: torch.Tensor, degree: int, iterations: int) -> torch.Tensor:
    """Coefficients c (lowest power first, float64) of the polynomial sum c_k x^k that nearly minimizes the largest
    relative error against target."""
    powers = torch.stack([x ** k for k in range(degree + 1)], dim=1)
    weights = torch.ones_like(x)
    for _ in range(iterations):
        root = weights.sqrt()
        coeffs = torch.linalg.lstsq(powers / target[:, None] * root[:, None], root[:, None], driver="gelsd").solution[:, 0]
        err = (powers @ coeffs / target - 1).abs()
        weights = weights * err
        weights = weights / weights.sum()
    return coeffs


def fit_erfc_form(degree: int = 8) -> torch.Tensor:
    """P with erfc(t) = q P(q) exp(-t^2), q = 1 / (1 + Q_SCALE t), over t in [0, T_MAX]."""
    t = torch.cat([torch.linspace(0, 2, 4000, dtype=torch.float64), torch.linspace(2, T_MAX, 4000, dtype=torch.float64)])
    q = 1 / (1 + Q_SCALE * t)
    return lawson_fit(q, torch.special.erfcx(t) / q, degree, 60)


def fit_near0_form(degree: int = 5) -> torch.Tensor:
    """G with 1 + erf(v / sqrt2) = 1 + v G(v^2), over |v| <= NEAR0 (G(w) = erf(sqrt(w / 2)) / sqrt(w))."""
    w = torch.linspace(0, NEAR0 ** 2, 20000, dtype=torch.float64)
    root = w.sqrt()
    g = torch.where(w > 0, torch.special.erf(root / math.sqrt(2)) / root.clamp_min(1e-300), math.sqrt(2 / math.pi))
    return lawson_fit(w, g, degree, 80)


def solution_constants(path: Path = SOLUTION) -> tuple:
    """(P, G): the Horner constants of gelu_mul and gelu_mul_near0 in the solution file, lowest power first."""
    src = path.read_text()

    def horner(var: str, arg: str) -> list:
        first = re.search(rf"float {var} = ([-0-9.e+]+)f;", src)
        rest = re.findall(rf"{var} = fmaf\({var}, {arg}, ([-0-9.e+]+)f\);", src)
        if not first or not rest:
            raise ValueError(f"no Horner chain of {var} in {path}")
        return [float(c) for c in reversed([first.group(1)] + rest)]

    return horner("r", "q"), horner("g", "w")


def _f32(x: torch.Tensor) -> torch.Tensor:
    return x.to(torch.float32)


def _fma(a, b, c) -> torch.Tensor:
    """float32 fma: the float64 product of two float32 values is exact, so one rounding of a*b + c remains."""
    return _f32(a.double() * b.double() + torch.as_tensor(c, dtype=torch.float64))


def _horner(coeffs: list, x: torch.Tensor) -> torch.Tensor:
    acc = torch.full_like(x, float(torch.tensor(coeffs[-1], dtype=torch.float32)))
    for c in reversed(coeffs[:-1]):
        acc = _fma(acc, x, float(torch.tensor(c, dtype=torch.float32)))
    return acc


def emulate_erfc_form(v: torch.Tensor, p: list, rcp_err: float = 0.0, ex2_err: float = 0.0, mul: float = 2.0,
                      via_t: bool = False):
    """gelu_mul(v) (via_t: gelu_mul_via_t(v)) in float32; rcp_err / ex2_err: relative errors given to the two MUFU
    results."""
    v = _f32(v)
    if via_t:
        t = v * _f32(torch.tensor(-0.70710678118654752440))
        q_arg = _fma(torch.full_like(t, Q_SCALE), t, 1.0)
        exponent = t * t * _f32(torch.tensor(-1.44269504088896340736))
    else:
        q_arg = _fma(v, torch.full_like(v, Q_SLOPE), 1.0)
        u = v * _f32(torch.tensor(EXP_SCALE))
        exponent = u * -u
    q = _f32((1 / q_arg.double()) * (1 + rcp_err))
    r = _horner(p, q)
    e = _f32(torch.exp2(exponent.double()) * (1 + ex2_err))
    return v * _f32(torch.tensor(0.5 * mul)) * (q * r * e)


def emulate_near0_form(v: torch.Tensor, g: list, mul: float = 2.0) -> torch.Tensor:
    v = _f32(v)
    return v * _f32(torch.tensor(0.5 * mul)) * _fma(v, _horner(g, v * v), 1.0)


def pytorch_formula(v: torch.Tensor, mul: float = 2.0) -> torch.Tensor:
    """PyTorch's float32 v * 0.5 * (1 + erf(v / sqrt2)) * mul, with erf rounded from float64."""
    v = _f32(v)
    erf = _f32(torch.special.erf((v * _f32(torch.tensor(0.70710678118654752440))).double()))
    return v * 0.5 * (1 + erf) * mul


def exact(v: torch.Tensor, mul: float = 2.0) -> torch.Tensor:
    v = v.double()
    return v * 0.5 * torch.special.erfc(-v / math.sqrt(2)) * mul


def errors(got: torch.Tensor, v: torch.Tensor) -> tuple:
    """(largest absolute, largest relative) error of got against float64, over the nonzero exact values."""
    want = exact(v)
    err = (got.double() - want).abs()
    nonzero = want != 0
    return err.max().item(), (err[nonzero] / want[nonzero].abs()).max().item()


def worst_erfc_form(v: torch.Tensor, p: list, via_t: bool = False) -> tuple:
    """errors() of gelu_mul (via_t: gelu_mul_via_t) with its MUFU results at every combination of their error
    bounds."""
    worst = (0.0, 0.0)
    for rcp in (-RCP_ULPS, 0, RCP_ULPS):
        for ex2 in (-EX2_ULPS, 0, EX2_ULPS):
            got = emulate_erfc_form(v, p, rcp * 2.0 ** -23, ex2 * 2.0 ** -23, via_t=via_t)
            worst = tuple(max(a, b) for a, b in zip(worst, errors(got, v)))
    return worst


def main():
    p, g = solution_constants()
    for name, fitted in (("P (gelu_mul)", fit_erfc_form()), ("G (gelu_mul_near0)", fit_near0_form())):
        print(f"{name}, refitted, lowest power first:", ", ".join(f"{c:.9e}f" for c in fitted.to(torch.float32).tolist()))
    v = -torch.linspace(0, 12, 1_200_001, dtype=torch.float64).to(torch.float32)
    near = v[v >= -NEAR0]
    rows = [("gelu_mul, v in [-12, 0], MUFU at their error bounds", worst_erfc_form(v, p)),
            ("gelu_mul_near0, v in [-1.5, 0]", errors(emulate_near0_form(near, g), near)),
            ("PyTorch's formula, v in [-1.5, 0]", errors(pytorch_formula(near), near)),
            ("PyTorch's formula, v in [-12, 0]", errors(pytorch_formula(v), v))]
    print("error against float64 (mul = 2)           largest absolute   largest relative")
    for label, (abs_err, rel_err) in rows:
        print(f"  {label:52s} {abs_err:.2e}           {rel_err:.2e}")


if __name__ == "__main__":
    main()
