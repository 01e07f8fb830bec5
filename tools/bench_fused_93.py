"""Dev check + timing for solutions/level2/93_*/fused_implicit_gemm.py (run on the GPU box).

Usage: PYTHONUNBUFFERED=1 python3 tools/bench_fused_93.py [--parts check,misc,time] [--quick] [--sol FILE]
Prints a compact table last; full details go to stdout (tee it to a log).
"""
import argparse
import importlib.util
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROB = os.path.join(ROOT, "problems/level2/93_ConvTranspose2d_Add_Min_GELU_Multiply.py")
SOL = os.path.join(ROOT, "solutions/level2/93_ConvTranspose2d_Add_Min_GELU_Multiply/fused_implicit_gemm.py")


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# (batch, cin, cout, H, W, k, s)
CONFIGS = {
    "v0.1": (128, 64, 128, 64, 64, 4, 2),
    "v0": (128, 32, 16, 32, 32, 4, 2),
    "small": (2, 8, 8, 9, 11, 4, 2),
    "odd-k3s2": (3, 5, 7, 13, 17, 3, 2),
    "odd-k5s3": (3, 5, 7, 13, 17, 5, 3),
}
ADD, MUL = 0.5, 2.0
TOL = {"tf32": (5e-3, 5e-3), "fp32": (1e-4, 1e-4), "bf16": (1e-2, 1e-2), "fp16": (1e-2, 1e-2)}


def make_x(shape, dist, gen_seed):
    g = torch.Generator(device="cuda").manual_seed(gen_seed)
    if dist == "rand":
        x = torch.rand(shape, device="cuda", generator=g)
    elif dist == "randn*4":
        x = torch.randn(shape, device="cuda", generator=g) * 4
    elif dist == "uniform":
        x = torch.rand(shape, device="cuda", generator=g) * 2 - 1
    elif dist == "special":
        x = torch.randn(shape, device="cuda", generator=g) * 4
        flat = x.view(-1)
        n = max(3, flat.numel() // 200000)
        idx = torch.randint(0, flat.numel(), (3 * n,), device="cuda", generator=g)
        flat[idx[:n]] = float("inf")
        flat[idx[n:2 * n]] = float("-inf")
        flat[idx[2 * n:]] = float("nan")
    else:
        raise ValueError(dist)
    return x


def poison(nbytes):
    # fill the caching allocator's next block with NaN so unwritten outputs show up
    t = torch.empty(nbytes // 4 + 1024, device="cuda", dtype=torch.float32)
    t.fill_(float("nan"))
    del t


def compare(out, ref):
    out = out.double()
    ref = ref.double()
    nan_o, nan_r = torch.isnan(out), torch.isnan(ref)
    inf_o, inf_r = torch.isinf(out), torch.isinf(ref)
    nan_eq = bool(torch.equal(nan_o, nan_r))
    inf_eq = bool(torch.equal(inf_o, inf_r)) and bool(torch.equal(out[inf_o], ref[inf_r]))
    fin = ~(nan_r | inf_r | nan_o | inf_o)
    d = (out[fin] - ref[fin]).abs()
    maxabs = d.max().item() if d.numel() else 0.0
    rr = ref[fin]
    rel = (torch.linalg.vector_norm(out[fin] - rr) / max(torch.linalg.vector_norm(rr).item(), 1e-30)).item() if rr.numel() else 0.0
    # allclose-style worst ratio
    return dict(maxabs=maxabs, rel=rel, nan_eq=nan_eq, inf_eq=inf_eq, nnan=int(nan_r.sum().item()), nnan_o=int(nan_o.sum().item()))


def allclose(out, ref, tol):
    atol, rtol = tol
    return bool(torch.allclose(out.double(), ref.double(), atol=atol, rtol=rtol, equal_nan=True))


def check(Model, ModelNew, quick, log):
    rows = []
    dists = ["rand", "randn*4", "uniform", "special"]
    for cname, (B, ci, co, H, W, k, s) in CONFIGS.items():
        init = [ci, co, k, s, ADD, MUL]
        torch.manual_seed(1234)
        ref_m = Model(*init).cuda()
        torch.manual_seed(1234)
        new_m = ModelNew(*init).cuda()
        assert all(torch.equal(a, b) for a, b in zip(ref_m.state_dict().values(), new_m.state_dict().values()))
        ref64 = Model(*init).cuda().double()
        ref64.load_state_dict(ref_m.state_dict())
        for di, dist in enumerate(dists):
            x = make_x((B, ci, H, W), dist, 1000 + di)
            nsub = min(B, 8)  # float64 reference on a batch slice (convs are per image)
            for mode in ["tf32", "fp32", "bf16"]:
                if quick and cname == "v0.1" and mode != "tf32" and dist not in ("randn*4",):
                    continue
                torch.backends.cudnn.allow_tf32 = mode != "fp32"
                torch.backends.cuda.matmul.allow_tf32 = False
                if mode == "bf16":
                    mr = Model(*init).cuda()
                    mr.load_state_dict(ref_m.state_dict())
                    mr = mr.bfloat16()
                    mn = ModelNew(*init).cuda()
                    mn.load_state_dict(ref_m.state_dict())
                    mn = mn.bfloat16()
                    xin = x.bfloat16()
                    r64 = Model(*init).cuda().double()
                    r64.load_state_dict(mr.state_dict())
                    xd = xin[:nsub].double()
                else:
                    mr, mn, xin, r64, xd = ref_m, new_m, x, ref64, x[:nsub].double()
                with torch.no_grad():
                    out_bytes = B * co * ((H - 1) * s + k) * ((W - 1) * s + k) * 4
                    poison(out_bytes)
                    o = mn(xin)
                    torch.cuda.synchronize()
                    o2 = mn(xin)  # determinism
                    e = mr(xin)
                    r = r64(xd)
                torch.cuda.synchronize()
                det = bool(torch.equal(torch.nan_to_num(o, 7.0), torch.nan_to_num(o2, 7.0)))
                ce = compare(o, e)
                cr = compare(o[:nsub], r)
                ok_e = allclose(o, e, TOL[mode])
                ok_r = allclose(o[:nsub], r, TOL[mode])
                row = dict(cfg=cname, dist=dist, mode=mode, dtype=str(o.dtype).replace("torch.", ""),
                           shape_ok=o.shape == e.shape and o.dtype == e.dtype, det=det,
                           e_max=ce["maxabs"], e_rel=ce["rel"], e_nan=ce["nan_eq"], ok_e=ok_e,
                           r_max=cr["maxabs"], r_rel=cr["rel"], r_nan=cr["nan_eq"], ok_r=ok_r,
                           nnan=ce["nnan"], nnan_o=ce["nnan_o"], eager_vs_ref_max=compare(e[:nsub], r)["maxabs"])
                rows.append(row)
                print("CHECK", row, flush=True)
                del o, o2, e, r
        del ref_m, new_m, ref64
        torch.cuda.empty_cache()
    return rows


def misc_checks(Model, ModelNew):
    res = {}
    torch.backends.cudnn.allow_tf32 = True
    init = [8, 8, 4, 2, ADD, MUL]
    torch.manual_seed(0)
    m = Model(*init).cuda()
    torch.manual_seed(0)
    n = ModelNew(*init).cuda()
    # non-contiguous input
    xs = torch.randn(3, 9, 10, 8, device="cuda").permute(0, 3, 1, 2)  # N,C=8,H=9,W=10 non-contiguous
    with torch.no_grad():
        res["noncontig"] = allclose(n(xs), m(xs), TOL["tf32"])
        # channels_last
        xc = torch.randn(2, 8, 12, 12, device="cuda").to(memory_format=torch.channels_last)
        res["channels_last"] = allclose(n(xc), m(xc), TOL["tf32"])
        x0 = torch.randn(0, 8, 5, 5, device="cuda")
        o0 = n(x0)
        res["batch0"] = tuple(o0.shape) == tuple(m(x0).shape)
        # odd W for bf16 (synchronous 2-byte loader) and fp32 W%4!=0 (4-byte cp.async)
        for W in (7, 10):
            xw = torch.randn(2, 8, 6, W, device="cuda") * 4
            res[f"fp32_W{W}"] = allclose(n(xw), m(xw), TOL["tf32"])
            mb = Model(*init).cuda().bfloat16(); mb.load_state_dict(m.state_dict())
            nb = ModelNew(*init).cuda().bfloat16(); nb.load_state_dict(m.state_dict())
            res[f"bf16_W{W}"] = allclose(nb(xw.bfloat16()), mb(xw.bfloat16()), TOL["bf16"])
            mh = Model(*init).cuda().half(); mh.load_state_dict(m.state_dict())
            nh = ModelNew(*init).cuda().half(); nh.load_state_dict(m.state_dict())
            res[f"fp16_W{W}"] = allclose(nh(xw.half()), mh(xw.half()), TOL["fp16"])
        # other geometries: k=1 s=1, k=2 s=3 (K<S), k=3 s=1, Cin not multiple of 8, big Cout (several N-slices)
        for (ci, co, k, s, H, W) in [(8, 8, 1, 1, 7, 7), (3, 5, 2, 3, 6, 5), (5, 40, 3, 1, 9, 12), (20, 70, 4, 2, 6, 33),
                                     (256, 16, 4, 2, 8, 8), (16, 8, 4, 2, 2, 300)]:
            torch.manual_seed(1)
            a = Model(ci, co, k, s, ADD, MUL).cuda()
            torch.manual_seed(1)
            b = ModelNew(ci, co, k, s, ADD, MUL).cuda()
            x = torch.randn(3, ci, H, W, device="cuda") * 4
            for tf in (True, False):
                torch.backends.cudnn.allow_tf32 = tf
                res[f"geo_{ci}_{co}_k{k}s{s}_{H}x{W}_{'tf32' if tf else 'fp32'}"] = allclose(
                    b(x), a(x), TOL["tf32" if tf else "fp32"])
        torch.backends.cudnn.allow_tf32 = True
    # error cases
    errs = {}
    for name, fn in [("cpu", lambda: n(torch.randn(1, 8, 4, 4))),
                     ("float64", lambda: n(torch.randn(1, 8, 4, 4, device="cuda", dtype=torch.float64))),
                     ("int", lambda: n(torch.ones(1, 8, 4, 4, device="cuda", dtype=torch.int32))),
                     ("channels", lambda: n(torch.randn(1, 7, 4, 4, device="cuda"))),
                     ("ndim3", lambda: n(torch.randn(8, 4, 4, device="cuda")))]:
        try:
            fn()
            errs[name] = "NO ERROR"
        except (ValueError, TypeError) as ex:
            errs[name] = type(ex).__name__
        except Exception as ex:  # noqa
            errs[name] = "BAD:" + type(ex).__name__ + str(ex)[:80]
    res["errors"] = errs
    print("MISC", res, flush=True)
    return res


def time_fn(fn, iters=50, warm=5):
    flush = torch.empty(256 * 1024 * 1024 // 4, device="cuda")
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(iters):
        flush.fill_(1.0)
        s = torch.cuda.Event(enable_timing=True)
        e = torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        torch.cuda.synchronize()
        ts.append(s.elapsed_time(e))
    ts.sort()
    return ts[len(ts) // 2], ts[len(ts) // 10]


def timing(Model, ModelNew, baselines):
    out = []
    for cname in ["v0.1", "v0"]:
        B, ci, co, H, W, k, s = CONFIGS[cname]
        init = [ci, co, k, s, ADD, MUL]
        torch.manual_seed(0)
        m = Model(*init).cuda()
        torch.manual_seed(0)
        n = ModelNew(*init).cuda()
        x = torch.rand(B, ci, H, W, device="cuda") if cname == "v0.1" else torch.randn(B, ci, H, W, device="cuda")
        modes = ["tf32", "fp32", "bf16"] if cname == "v0.1" else ["tf32"]
        for mode in modes:
            torch.backends.cudnn.allow_tf32 = mode != "fp32"
            nn_, xx = n, x
            if mode == "bf16":
                nn_ = ModelNew(*init).cuda().bfloat16()
                nn_.load_state_dict(m.state_dict())
                xx = x.bfloat16()
            with torch.no_grad():
                med, p10 = time_fn(lambda: nn_(xx))
                med2, _ = time_fn(lambda: nn_(xx))
            out.append((cname, mode, "ModelNew", med, p10, med2))
            print("TIME", out[-1], flush=True)
            if mode == "tf32" and cname == "v0.1":
                xr = torch.randn_like(x) * 4
                with torch.no_grad():
                    medr, p10r = time_fn(lambda: nn_(xr))
                out.append((cname, mode + "/randn*4", "ModelNew", medr, p10r, float("nan")))
                print("TIME", out[-1], flush=True)
            if baselines:
                mm = m
                if mode == "bf16":
                    mm = Model(*init).cuda().bfloat16()
                    mm.load_state_dict(m.state_dict())
                with torch.no_grad():
                    med, p10 = time_fn(lambda: mm(xx), iters=20)
                out.append((cname, mode, "eager", med, p10, float("nan")))
                print("TIME", out[-1], flush=True)
        torch.backends.cudnn.allow_tf32 = True
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parts", default="check,misc,time")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--baselines", action="store_true")
    ap.add_argument("--sol", default=SOL, help="solution file (e.g. an older version, for a side-by-side timing)")
    args = ap.parse_args()
    parts = args.parts.split(",")
    print(torch.__version__, torch.cuda.get_device_name(), flush=True)
    t0 = time.time()
    Model = load(PROB, "ref93").Model
    sol = load(args.sol, "sol93")
    ModelNew = sol.ModelNew
    sol._load_ext()
    print(f"build {time.time() - t0:.1f}s", flush=True)
    rows, misc, times = [], None, []
    if "prof" in parts:  # one forward per config, for ncu
        for cname in ["v0.1", "v0"]:
            B, ci, co, H, W, k, s = CONFIGS[cname]
            torch.manual_seed(0)
            n = ModelNew(ci, co, k, s, ADD, MUL).cuda()
            x = torch.rand(B, ci, H, W, device="cuda")
            with torch.no_grad():
                n(x)
            torch.cuda.synchronize()
        return
    if "check" in parts:
        rows = check(Model, ModelNew, args.quick, None)
    if "misc" in parts:
        misc = misc_checks(Model, ModelNew)
    if "time" in parts:
        times = timing(Model, ModelNew, args.baselines)
    print("\n==== SUMMARY ====")
    if rows:
        print(f"{'cfg':9s} {'dist':8s} {'mode':5s} {'okE':4s} {'okR':4s} {'nanE':4s} {'nanR':4s} {'det':4s} {'maxabs_e':>9s} {'rel_e':>9s} {'maxabs_r':>9s} {'rel_r':>9s} {'eagerR':>9s} nnan")
        for r in rows:
            print(f"{r['cfg']:9s} {r['dist']:8s} {r['mode']:5s} {str(r['ok_e'])[0]:4s} {str(r['ok_r'])[0]:4s} {str(r['e_nan'])[0]:4s} "
                  f"{str(r['r_nan'])[0]:4s} {str(r['det'])[0]:4s} {r['e_max']:9.2e} {r['e_rel']:9.2e} {r['r_max']:9.2e} {r['r_rel']:9.2e} "
                  f"{r['eager_vs_ref_max']:9.2e} {r['nnan']}/{r['nnan_o']}")
        bad = [r for r in rows if not (r["ok_r"] and r["r_nan"] and r["det"] and r["shape_ok"])]
        print("ALL CHECKS (vs fp64 ref) PASS" if not bad else f"FAILURES: {len(bad)}")
    if misc:
        print("misc:", misc)
    for t in times:
        print(f"TIME {t[0]:5s} {t[1]:14s} {t[2]:8s} median {t[3]:.4f} ms  p10 {t[4]:.4f}  repeat {t[5]:.4f}")


if __name__ == "__main__":
    main()
