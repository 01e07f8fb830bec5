"""Bitwise comparison of two problem-93 solution files on the GPU box.

A kernel change that should not change arithmetic (a schedule, a barrier, a load path) must give the same bits.
For every config of bench_fused_93.CONFIGS, input distribution and mode, both files' seeded ModelNew run on the
same input, each into output memory poisoned with NaN; the outputs must be bitwise equal (NaNs included).
Exit status 1 on any difference.

Usage: python3 tools/eq_check_93.py A_FILE B_FILE [--configs v0.1,v0,...]
"""
import argparse
import sys

import torch

from ab_93 import names_from
from bench_fused_93 import ADD, CONFIGS, MUL, load, make_x, poison

DISTS = ("rand", "randn*4", "special")
MODES = ("tf32", "fp32", "bf16")


def run(sol, init, x, mode, out_bytes):
    torch.manual_seed(0)
    model = sol.ModelNew(*init).cuda()
    if mode == "bf16":
        model, x = model.bfloat16(), x.bfloat16()
    torch.backends.cudnn.allow_tf32 = mode != "fp32"
    poison(out_bytes)
    with torch.no_grad():
        out = model(x)
    torch.cuda.synchronize()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--configs", type=names_from(tuple(CONFIGS)), default=",".join(CONFIGS))
    args = ap.parse_args()
    a, b = load(args.a, "eq_a"), load(args.b, "eq_b")
    failures = cases = 0
    for cname in args.configs:
        batch, cin, cout, h, w, k, s = CONFIGS[cname]
        init = (cin, cout, k, s, ADD, MUL)
        out_bytes = batch * cout * ((h - 1) * s + k) * ((w - 1) * s + k) * 4
        for di, dist in enumerate(DISTS):
            x = make_x((batch, cin, h, w), dist, 1000 + di)
            for mode in MODES:
                oa, ob = run(a, init, x, mode, out_bytes), run(b, init, x, mode, out_bytes)
                bits = {2: torch.int16, 4: torch.int32}[oa.element_size()]
                same = oa.shape == ob.shape and oa.dtype == ob.dtype and torch.equal(oa.view(bits), ob.view(bits))
                cases += 1
                failures += not same
                print(f"{cname:9s} {dist:8s} {mode:5s} {'equal' if same else 'DIFFERENT'}", flush=True)
    torch.backends.cudnn.allow_tf32 = True
    print(f"{cases - failures}/{cases} bitwise equal")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
