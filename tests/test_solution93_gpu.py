"""On a CUDA GPU: the fused problem-93 kernel against a float64 reference and PyTorch eager.

TF32 on the SS path's 128-column kernels runs the fp16 kernels on power-of-two scaled operands (TF32H, mode 4 in the
kernel table; 64-column shapes take TF32's own, mode 0); its scales are checked with x and weights from 2**-100 to
2**40 and with a far outlier.
Small shapes that reach every path of the kernel: the SS wgmma kernel on the channels-last
copy of x with the pairable epilogue (tiles inside one image and tiles spanning two, an odd Cout
that leaves one channel in an n8 block) and with
the unpaired epilogue (odd K), in TF32 and, for T = 2, in exact fp32 (3xTF32), its 64-column
form at two CTAs per SM and at one (stages too large for two), TF32's 128-column slices with
4, 5 and 7-8 A stages (one or two chunks of wgmmas in flight), exact fp32 with N-slices that do
not divide the SMs (extra CTAs that cross slices); the mma.sync kernel of exact fp32 (T != 2)
with its bulk-copy and 4-byte cp.async loaders, and of TF32 where the SS stages do not fit;
T = 1, 2, 3 taps; exact fp32's 64-column kernels reading A from NCHW x (XA: 4- and 5-row stages, a partial
chunk, the widest rows it takes and the next width, which it leaves to the channels-last copy);
bf16 and fp16; shapes at the edges (k < s, one channel, a 1 x 1 input). Inputs in other
layouts (channels-last, views with strides, a start one element past a 16-byte boundary) give the same results.
Which kernel each geometry launches is checked too (torch.profiler), against the table KERNELS.
Inputs are scaled normals, so the min/GELU branch is exercised (torch.rand inputs make
almost every output 0), and the output memory is poisoned with NaN first (the default pool, and
the solution's own pool of compressible memory for large outputs), so an unwritten element
fails. One test mixes torch.rand images in, whose all-+0 epilogue blocks take the
constant shortcut. One shape has more than 2**31 output elements (64-bit output offsets).
The pre-pass's per-stream workspace is checked across calls that change size or stream, and under
CUDA graph replay; TF32's turns, chosen from the call before, must not change the bits.
"""
import math
from pathlib import Path

import pytest
import torch

from harness.problem import load_module

pytestmark = pytest.mark.gpu

ROOT = Path(__file__).resolve().parents[1]
STEM = "93_ConvTranspose2d_Add_Min_GELU_Multiply"


@pytest.fixture(scope="module")
def modules():
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    problem = load_module(ROOT / "problems" / "level2" / f"{STEM}.py")
    solution = load_module(ROOT / "solutions" / "level2" / STEM / "fused_implicit_gemm.py")
    return problem.Model, solution.ModelNew


def _pair(modules, cin, cout, k, s, dtype=torch.float32, add=0.5, mul=2.0):
    Model, ModelNew = modules
    torch.manual_seed(0)
    ref = Model(cin, cout, k, s, add, mul).cuda()
    torch.manual_seed(0)
    new = ModelNew(cin, cout, k, s, add, mul).cuda()
    assert torch.equal(ref.conv_transpose.weight, new.conv_transpose.weight)
    return ref.to(dtype), new.to(dtype)


def _poison_own_pool(model, x):
    """The solution takes large outputs from its MemPool of compressible memory, which the default pool's poison
    does not reach: there, a NaN block of the output's size is the block the next output reuses. Returns its
    address, or None where the output does not come from that pool (or the model is not the solution's)."""
    scope = type(model).forward.__globals__
    if "_compressible_pool" not in scope:
        return None
    ct = model.conv_transpose
    k, s = ct.kernel_size[0], ct.stride[0]
    shape = (x.size(0), ct.out_channels, (x.size(2) - 1) * s + k, (x.size(3) - 1) * s + k)
    if math.prod(shape) * x.element_size() < scope["_COMPRESSIBLE_MIN_BYTES"]:
        return None
    pool = scope["_compressible_pool"](x.device.index)
    if pool is None:
        return None
    with torch.cuda.use_mem_pool(pool):
        block = torch.full(shape, float("nan"), dtype=x.dtype, device=x.device)
    address = block.data_ptr()
    del block
    return address


def _poisoned_run(model, x):
    """Fill the allocators' free blocks with NaN so an unwritten output element shows."""
    torch.cuda.synchronize()
    poison = torch.full((64 * 1024 * 1024,), float("nan"), device="cuda")
    del poison
    _poison_own_pool(model, x)
    with torch.no_grad():
        out = model(x)
    torch.cuda.synchronize()
    return out


def _run_with_tf32(model, x, allow_tf32):
    saved = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = allow_tf32
    try:
        return _poisoned_run(model, x)
    finally:
        torch.backends.cudnn.allow_tf32 = saved


def _error_of_scale(out, expected):
    """Largest absolute error against the float64 reference, as a fraction of the output's scale."""
    return (out.double() - expected).abs().max().item() / (expected.abs().max().item() + 1e-6)


def _check_against_float64(ref, x, out, tol, label):
    """Asserts that `out` is fully written and within `tol` of the float64 reference as a fraction of the
    output's scale; returns the reference."""
    with torch.no_grad():
        expected = ref.double()(x.double())
    assert out.shape == expected.shape
    assert not out.isnan().any(), "unwritten (poisoned) or NaN output"
    err = _error_of_scale(out, expected)
    assert err <= tol, f"{label}: max error {err:.2e} of the output scale (limit {tol:.0e})"
    return expected


GEOMETRIES = [  # (batch, cin, cout, H, W, k, s): what each reaches (TF32 / exact fp32)
    (3, 16, 32, 12, 12, 4, 2),    # SS pairable epilogue, tiles inside one image and spanning two; two 64-column exact slices
    (2, 8, 16, 9, 9, 4, 2),       # SS, every tile spans images; 64 GEMM columns: one 64-column slice
                                  # (TF32 / bf16: the kernel built for two CTAs per SM, two of them per SM)
    (12, 8, 16, 3, 3, 4, 2),      # SS, 16 positions per image: each tile spans 8 images
    (3, 16, 40, 4, 64, 4, 2),     # SS at v0.1's row width (65 GEMM rows per image row), 5 grid rows per
                                  # image: tiles cut rows and images; channels >= Cout in the second slice
    (2, 8, 37, 9, 9, 4, 2),       # odd Cout: the pairable epilogue's last n8 block with channels holds one
                                  # (second 128-column slice; third 64-column exact slice)
    (2, 20, 24, 7, 16, 3, 2),     # odd K: unpaired epilogue, T = 2; Cin padded to the chunk
    (2, 5, 40, 9, 12, 3, 1),      # T = 3, stride 1; exact: mma.sync kernel
    (2, 8, 8, 7, 8, 1, 1),        # T = 1
    (1, 3, 5, 6, 8, 5, 3),        # K not a multiple of S: zero-padded taps
    (1, 25, 16, 8, 24, 6, 2),     # T = 3: the any-T SS kernel (TF32: one-k-block chunks, 7 stages)
    (2, 16, 32, 4, 60, 5, 2),     # exact, T = 3: mma.sync kernel, one bulk copy per x row
    (2, 8, 16, 9, 9, 6, 2),       # exact, T = 3: mma.sync kernel, 4-byte cp.async
    (1, 8, 16, 3, 500, 4, 2),     # 64 GEMM columns, stages too large for two CTAs per SM: the two-CTA
                                  # kernel at one CTA per SM
    (8, 32, 160, 39, 41, 4, 2),   # exact: 10 N-slices, which do not divide 132 SMs: the CTAs left over
                                  # share the last tile of every slice, reloading B at each slice
    (1, 8, 40, 3, 179, 4, 2),     # TF32 128-column slices, T = 2, rows so wide that only 4 A stages fit (the
                                  # other T = 2 shapes here get 7-8): one chunk of wgmmas in flight
    (1, 8, 40, 3, 128, 4, 2),     # the same with 5 stages, the fewest that keep two chunks in flight
    (1, 4, 8, 3, 320, 6, 2),      # T = 3, rows so wide that not even 4 SS stages fit: TF32 on the mma.sync kernel
                                  # (as exact fp32, which takes it for every T != 2)
    (2, 13, 40, 10, 48, 4, 2),    # exact XA with 5 grid rows a stage and Cin 13 (the chunk's last 3 channels out
                                  # of bounds)
    (1, 8, 40, 5, 72, 4, 2),      # exact XA's widest rows (W + 1 + 4 lead columns within two 40-column boxes, W
                                  # a multiple of 4 for TMA's 16-byte pitch)
    (1, 8, 40, 5, 76, 4, 2),      # 4 columns wider: exact on the channels-last copy again
    (2, 72, 40, 4, 9, 4, 2),      # Cin 72: TF32H's pre-pass block writes 9 quads, the last one partly
]


def _ss(mode, taps, columns):
    return f"ct93_wgmma_ss_kernel<{mode},{taps},{columns},"


# The main kernel each geometry launches, in TF32 and in exact fp32 (template arguments: mode 4 TF32 through the
# fp16 instruction (TF32H), 0 TF32, 1 exact; taps, 0 for any T; GEMM columns per CTA; for the SS kernel, whether
# its epilogue is the
# pairable one and whether it reads A from NCHW x (XA: exact fp32 on the geometries in XA_GEOMETRIES), which
# the test appends). Checked below, so the comments above stay true.
KERNELS = {
    (3, 16, 32, 12, 12, 4, 2): (_ss(4, 2, 128), _ss(1, 2, 64)),
    (2, 8, 16, 9, 9, 4, 2): (_ss(0, 2, 64), _ss(1, 2, 64)),
    (12, 8, 16, 3, 3, 4, 2): (_ss(0, 2, 64), _ss(1, 2, 64)),
    (3, 16, 40, 4, 64, 4, 2): (_ss(4, 2, 128), _ss(1, 2, 64)),
    (2, 8, 37, 9, 9, 4, 2): (_ss(4, 2, 128), _ss(1, 2, 64)),
    (2, 20, 24, 7, 16, 3, 2): (_ss(4, 2, 128), _ss(1, 2, 64)),
    (2, 5, 40, 9, 12, 3, 1): (_ss(4, 0, 128), "ct93_fused_kernel<1>"),
    (2, 8, 8, 7, 8, 1, 1): (_ss(4, 0, 128), "ct93_fused_kernel<1>"),
    (1, 3, 5, 6, 8, 5, 3): (_ss(0, 2, 64), _ss(1, 2, 64)),
    (1, 25, 16, 8, 24, 6, 2): (_ss(4, 0, 128), "ct93_fused_kernel<1>"),
    (2, 16, 32, 4, 60, 5, 2): (_ss(4, 0, 128), "ct93_fused_kernel<1>"),
    (2, 8, 16, 9, 9, 6, 2): (_ss(4, 0, 128), "ct93_fused_kernel<1>"),
    (1, 8, 16, 3, 500, 4, 2): (_ss(0, 2, 64), _ss(1, 2, 64)),
    (8, 32, 160, 39, 41, 4, 2): (_ss(4, 2, 128), _ss(1, 2, 64)),
    (1, 8, 40, 3, 179, 4, 2): (_ss(4, 2, 128), _ss(1, 2, 64)),
    (1, 8, 40, 3, 128, 4, 2): (_ss(4, 2, 128), _ss(1, 2, 64)),
    (1, 4, 8, 3, 320, 6, 2): ("ct93_fused_kernel<0>", "ct93_fused_kernel<1>"),
    (2, 13, 40, 10, 48, 4, 2): (_ss(4, 2, 128), _ss(1, 2, 64)),
    (1, 8, 40, 5, 72, 4, 2): (_ss(4, 2, 128), _ss(1, 2, 64)),
    (1, 8, 40, 5, 76, 4, 2): (_ss(4, 2, 128), _ss(1, 2, 64)),
    (2, 72, 40, 4, 9, 4, 2): (_ss(4, 2, 128), _ss(1, 2, 64)),
}
XA_GEOMETRIES = {(3, 16, 40, 4, 64, 4, 2), (2, 13, 40, 10, 48, 4, 2), (1, 8, 40, 5, 72, 4, 2)}


def _kernels_launched(model, x, allow_tf32):
    """Names (without spaces) of the CUDA kernels that one forward launches."""
    saved = torch.backends.cudnn.allow_tf32
    torch.backends.cudnn.allow_tf32 = allow_tf32
    try:
        with torch.no_grad():
            model(x)   # first call: one-time setup outside the profile
            torch.cuda.synchronize()
            with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
                model(x)
                torch.cuda.synchronize()
    finally:
        torch.backends.cudnn.allow_tf32 = saved
    return {e.name.replace(" ", "") for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA}


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: "b{}_c{}-{}_{}x{}_k{}s{}".format(*g))
@pytest.mark.parametrize("mode", ["tf32", "exact"])
def test_geometry_launches_the_kernel_it_is_listed_for(modules, geometry, mode):
    batch, cin, cout, h, w, k, s = geometry
    _, new = _pair(modules, cin, cout, k, s)
    x = torch.randn(batch, cin, h, w, device="cuda")
    expected = KERNELS[geometry][mode == "exact"]
    if expected.startswith("ct93_wgmma_ss_kernel"):   # the last template arguments: pairable epilogue, XA
        expected += "true," if s == 2 and k % 2 == 0 else "false,"
        expected += "true>" if mode == "exact" and geometry in XA_GEOMETRIES else "false>"
    names = _kernels_launched(new, x, allow_tf32=(mode == "tf32"))
    assert any(expected in name for name in names), f"{mode}: expected {expected}, launched {sorted(names)}"


@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: "b{}_c{}-{}_{}x{}_k{}s{}".format(*g))
@pytest.mark.parametrize("mode, tol", [("tf32", 5e-3), ("exact", 2e-5)])
def test_matches_float64_reference(modules, geometry, mode, tol):
    expected = _check_geometry(modules, geometry, mode, tol, seed=1)
    assert (expected < 0).float().mean() > 0.1, "inputs must exercise the GELU branch"


def _check_geometry(modules, geometry, mode, tol, seed):
    """A seeded pair of `geometry` on scaled-normal fp32 inputs, checked against float64; returns the reference."""
    batch, cin, cout, h, w, k, s = geometry
    ref, new = _pair(modules, cin, cout, k, s)
    torch.manual_seed(seed)
    x = torch.randn(batch, cin, h, w, device="cuda") * 4
    out = _run_with_tf32(new, x, allow_tf32=(mode == "tf32"))
    assert out.dtype == torch.float32
    return _check_against_float64(ref, x, out, tol, mode)


EDGE_GEOMETRIES = [  # (batch, cin, cout, H, W, k, s): shapes at the edges of what the issue calls general
    (2, 6, 8, 7, 9, 2, 3),        # k < s: output rows and columns of phase 2 get no tap, only the bias
    (3, 4, 5, 5, 6, 1, 2),        # k = 1, s = 2: three of the four phases get no tap
    (2, 1, 1, 5, 7, 4, 2),        # one input and one output channel
    (3, 4, 6, 1, 1, 3, 2),        # a 1 x 1 input
    (1, 3, 4, 2, 130, 7, 4),      # a wide row, k not a multiple of s
]


@pytest.mark.parametrize("geometry", EDGE_GEOMETRIES, ids=lambda g: "b{}_c{}-{}_{}x{}_k{}s{}".format(*g))
@pytest.mark.parametrize("mode, tol", [("tf32", 5e-3), ("exact", 2e-5)])
def test_edge_shapes_match_float64_reference(modules, geometry, mode, tol):
    _check_geometry(modules, geometry, mode, tol, seed=8)


@pytest.mark.parametrize("geometry", GEOMETRIES[:5], ids=lambda g: "b{}_c{}-{}_{}x{}_k{}s{}".format(*g))
@pytest.mark.parametrize("dtype, tol", [(torch.bfloat16, 3e-2), (torch.float16, 5e-3)], ids=["bf16", "fp16"])
def test_16bit_matches_float64_reference(modules, geometry, dtype, tol):
    """The 16-bit kernels; the float64 reference starts from the same 16-bit inputs and weights, so what is left is
    fp32 accumulation and the output's rounding (2**-8 relative for bf16, 2**-11 for fp16)."""
    batch, cin, cout, h, w, k, s = geometry
    ref, new = _pair(modules, cin, cout, k, s, dtype=dtype)
    torch.manual_seed(1)
    x = (torch.randn(batch, cin, h, w, device="cuda") * 4).to(dtype)
    out = _poisoned_run(new, x)
    assert out.dtype == dtype
    expected = _check_against_float64(ref, x, out, tol, str(dtype))
    assert (expected < 0).float().mean() > 0.1, "inputs must exercise the GELU branch"


@pytest.mark.parametrize("cout", [32, 16], ids=["128col", "64col"])
@pytest.mark.parametrize("x_scale, w_scale", [(2.0**-40, 1.0), (2.0**40, 2.0**-40), (1.0, 2.0**-20), (2.0**-20, 2.0**20),
                                              (2.0**-100, 1.0), (1.0, 2.0**-70)],
                         ids=["x2^-40", "x2^40,w2^-40", "w2^-20", "x2^-20,w2^20", "x2^-100", "w2^-70"])
def test_tf32_operands_of_any_magnitude_keep_tf32_accuracy(modules, cout, x_scale, w_scale):
    """TF32 runs as fp16 products of operands scaled by powers of two (TF32H; 128 columns, while 64-column shapes
    run TF32's own kernels): x and the weights are each brought into fp16's range, so the error relative to the
    output stays TF32's at any magnitude. Past the scales'
    clamp (2**-100 and 2**-70 here) the operands fall out of fp16's range and their outputs take the fp32 fixup.
    With no add and the bias scaled alike, every output is GELU(min(s * y, 0)) * mul for a conv result y of order 1
    and s = x_scale * w_scale <= 1 (GELU sends larger negatives to 0), so the check is relative to the output's own
    scale, however small."""
    ref, new = _pair(modules, 16, cout, 4, 2, add=0.0)
    with torch.no_grad():
        for model in (ref, new):
            model.conv_transpose.weight.mul_(w_scale)
            model.conv_transpose.bias.mul_(x_scale * w_scale)
    torch.manual_seed(6)
    x = torch.randn(3, 16, 12, 12, device="cuda") * 4 * x_scale
    out = _run_with_tf32(new, x, allow_tf32=True)
    with torch.no_grad():
        expected = ref.double()(x.double())
    assert not out.isnan().any(), "unwritten (poisoned) or NaN output"
    scale = expected.abs().max().item()
    assert scale > 0 and (expected < 0).float().mean() > 0.1
    err = (out.double() - expected).abs().max().item() / scale
    assert err <= 5e-3, f"max error {err:.2e} of the output's scale"


def test_tf32_input_with_a_far_outlier_keeps_tf32_accuracy(modules):
    """Image 1 holds one value 2**40 times the other values. Whether or not x's scale sample meets it, the operands
    fp16 cannot then hold (the outlier, or the others under its normal range) take the fp32 fixup."""
    ref, new = _pair(modules, 16, 32, 4, 2)
    torch.manual_seed(7)
    x = torch.randn(3, 16, 12, 12, device="cuda") * 4
    x[1, 3, 5, 6] = 2.0**40
    out = _run_with_tf32(new, x, allow_tf32=True)
    with torch.no_grad():
        expected = ref.double()(x.double())
    for image in range(3):
        err = _error_of_scale(out[image], expected[image])
        assert err <= 5e-3, f"image {image}: max error {err:.2e} of the output scale"


@pytest.mark.parametrize("mode, cout", [("tf32", 256), ("exact", 256), ("tf32", 16)],
                         ids=["tf32-128col", "exact", "tf32-64col"])
def test_gelu_matches_float64_over_the_clamped_range(modules, mode, cout):
    """With zero weights every output of channel co is GELU(min(bias[co] + add, 0)) * mul, so the channels'
    biases lay the epilogue's GELU over v in [-12, 1]: blocks whose values lie within 1.5 of 0 take the
    MUFU-free form, the others the erfc form (exact fp32: the erfc form only). Emulated in float32 with the
    MUFU's error bounds they stay within 3.3e-7 of float64 and 1.3e-5 relative (exact fp32's form: 1.8e-5)
    down to v = -12, where PyTorch's 1 + erf(v / sqrt 2) has long cancelled to 0 (perf log v71-v73, v85-v89);
    the limits leave some margin."""
    ref, new = _pair(modules, 8, cout, 4, 2)
    v_target = torch.linspace(1.0, -12.0, cout, device="cuda")
    with torch.no_grad():
        for model in (ref, new):
            model.conv_transpose.weight.zero_()
            model.conv_transpose.bias.copy_(v_target - 0.5)
    torch.manual_seed(5)
    x = torch.randn(2, 8, 12, 12, device="cuda")
    out = _run_with_tf32(new, x, allow_tf32=(mode == "tf32"))
    v = torch.clamp(new.conv_transpose.bias.detach() + 0.5, max=0.0).double()   # the kernel's fp32 pre-activation
    want = (2.0 * v * 0.5 * torch.special.erfc(-v / 2 ** 0.5)).view(1, cout, 1, 1).expand_as(out)
    err = (out.double() - want).abs()
    assert err.max().item() <= 5e-7, f"max abs error {err.max().item():.2e} against float64"
    rel = (err / want.abs())[want != 0]
    assert rel.max().item() <= 5e-5, f"max relative error {rel.max().item():.2e} against float64"
    eager = _run_with_tf32(ref, x, allow_tf32=(mode == "tf32"))
    assert (out - eager).abs().max().item() <= 7e-7
    far = slice(cout // 2, None)   # v < -5.5
    assert (eager[:, far] == 0).any(), "PyTorch's 1 + erf cancels to 0 here"
    assert not (out[:, far] == 0).any(), "the erfc form keeps these outputs"


@pytest.mark.parametrize("dtype, mode, tol", [(torch.float32, "tf32", 5e-3), (torch.float32, "exact", 2e-5),
                                             (torch.bfloat16, "tf32", 3e-2)])
def test_all_zero_blocks_match_eager_to_the_sign_of_zero(modules, dtype, mode, tol):
    """torch.rand images make whole epilogue blocks +0 before GELU, which the kernel writes as one
    constant; with a negative multiplier eager gives -0 there. Image 1 is a scaled normal, so
    the tiles that span images 0 and 1 mix constant blocks with computed ones."""
    ref, new = _pair(modules, 16, 32, 4, 2, dtype=dtype, mul=-2.0)
    torch.manual_seed(4)
    x = torch.rand(3, 16, 12, 12, device="cuda")
    x[1] = torch.randn(16, 12, 12, device="cuda") * 4
    x = x.to(dtype)
    out = _run_with_tf32(new, x, allow_tf32=(mode == "tf32"))
    with torch.no_grad():
        eager = ref(x)
    _check_against_float64(ref, x, out, tol, mode)
    zero = (out == 0) & (eager == 0)
    assert zero[0].float().mean() > 0.99 and zero[2].float().mean() > 0.99 and zero[1].float().mean() < 0.9
    assert eager[zero].signbit().all(), "eager's zeros here are -0 (gelu(+0) * -2)"
    assert out[zero].signbit().all(), "a zero output lost its sign"


@pytest.mark.parametrize("dtype, mode, tol", [(torch.float32, "tf32", 5e-3), (torch.float32, "exact", 2e-5),
                                             (torch.bfloat16, "tf32", 3e-2)])
def test_output_over_2_pow_31_elements(modules, dtype, mode, tol):
    """64-bit output offsets: images whose elements lie past index 2**31, and the one that straddles it."""
    cin, cout, h, w, k, s = 8, 128, 64, 64, 4, 2
    per_image = cout * ((h - 1) * s + k) * ((w - 1) * s + k)
    batch = 2**31 // per_image + 2
    numel = batch * per_image
    out_bytes = numel * torch.tensor([], dtype=dtype).element_size()
    if torch.cuda.mem_get_info()[0] < 2.5 * out_bytes:
        pytest.skip(f"needs {2.5 * out_bytes / 2**30:.0f} GiB of free GPU memory")
    ref, new = _pair(modules, cin, cout, k, s, dtype=dtype)
    torch.manual_seed(3)
    x = (torch.randn(batch, cin, h, w, device="cuda") * 4).to(dtype)
    # Poison a free block of the output's size, which the allocator then hands to the output.
    torch.full((numel,), float("nan"), dtype=dtype, device="cuda")
    out = _run_with_tf32(new, x, allow_tf32=(mode == "tf32"))
    assert out.numel() > 2**31 and out.dtype == dtype
    ref64 = ref.double()
    straddling = 2**31 // per_image
    for first in (0, straddling, batch - 1):
        images = slice(first, first + 1)
        with torch.no_grad():
            expected = ref64(x[images].double())
        got = out[images]
        assert not got.isnan().any(), f"image {first}: unwritten (poisoned) or NaN output"
        err = _error_of_scale(got, expected)
        assert err <= tol, f"image {first}: max error {err:.2e} of the output scale (limit {tol:.0e})"


@pytest.mark.parametrize("width, cout", [(12, 16), (64, 40)], ids=["W12", "W64"])
@pytest.mark.parametrize("dtype, mode, tol", [(torch.float32, "tf32", 1e-2), (torch.float32, "exact", 1e-4),
                                             (torch.bfloat16, "tf32", 3e-2), (torch.float16, "tf32", 1e-2)],
                         ids=["tf32", "exact", "bf16", "fp16"])
def test_inf_and_nan_inputs_give_the_reference_inf_and_nan(modules, dtype, mode, tol, width, cout):
    ref, new = _pair(modules, 8, cout, 4, 2, dtype=dtype)
    torch.manual_seed(2)
    x = torch.randn(2, 8, 12, width, device="cuda")
    x[0, 0, 3, 4] = float("inf")
    x[0, 5, 7, 7] = float("-inf")
    x[1, 2, 0, width - 1] = float("nan")
    x = x.to(dtype)
    out = _run_with_tf32(new, x, allow_tf32=(mode == "tf32"))
    assert out.dtype == dtype
    with torch.no_grad():
        expected = ref.double()(x.double())
    assert expected.isnan().any() and expected.isfinite().float().mean() > 0.5
    scale = expected[expected.isfinite()].abs().max().item()
    torch.testing.assert_close(out.double(), expected, rtol=tol, atol=tol * scale, equal_nan=True)


def test_bad_inputs_raise_clear_errors(modules):
    _, new = _pair(modules, 8, 16, 4, 2)
    with pytest.raises(ValueError, match="CUDA"):
        new(torch.randn(1, 8, 5, 5))
    with pytest.raises(ValueError, match="channels"):
        new(torch.randn(1, 7, 5, 5, device="cuda"))
    with pytest.raises(TypeError, match="float64"):
        new(torch.randn(1, 8, 5, 5, device="cuda", dtype=torch.float64))
    with pytest.raises(ValueError, match="spatial size"):
        new(torch.randn(1, 8, 0, 5, device="cuda"))
    assert new(torch.randn(0, 8, 5, 5, device="cuda")).shape == (0, 16, 12, 12)
    with pytest.raises(TypeError, match="parameter dtype torch.bfloat16"):
        new.bfloat16()(torch.randn(1, 8, 5, 5, device="cuda"))
    with pytest.raises(ValueError, match="parameters are on cpu"):
        new.cpu()(torch.randn(1, 8, 5, 5, device="cuda"))


def test_calls_that_change_size_or_stream_match_the_reference(modules):
    """The pre-pass's workspace is kept per device and stream from call to call and grown with the problem. Calls
    that grow and shrink the problem, alternating between two streams, must each read only their own pre-pass's
    output."""
    ref, new = _pair(modules, 16, 32, 4, 2)
    side = torch.cuda.Stream()
    for i, shape in enumerate([(2, 16, 9, 9), (4, 16, 64, 64), (1, 16, 5, 5), (4, 16, 64, 64), (2, 16, 9, 9)]):
        torch.manual_seed(10 + i)
        x = torch.randn(*shape, device="cuda") * 4
        _check_against_float64(ref, x, _poisoned_run(new, x), 5e-3, "tf32")
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side), torch.no_grad():
            out = new(x)
        torch.cuda.synchronize()
        _check_against_float64(ref, x, out, 5e-3, "tf32, side stream")


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 5e-3), (torch.bfloat16, 3e-2)], ids=["tf32", "bf16"])
def test_turns_chosen_by_the_call_before_give_the_same_bits(modules, dtype, tol):
    """The 128-column paired kernels (TF32, and bf16 since v110) take their groups' turns or not by the share of
    all-zero blocks that the call before on the stream counted: after a torch.rand call (nearly all blocks zero) they
    take turns, after a scaled-normal call (most blocks through the GELU) they run the groups free. The schedule must
    not change a bit, on either kind of input."""
    ref, new = _pair(modules, 16, 32, 4, 2, dtype)
    torch.manual_seed(30)
    mostly_zero = torch.rand(4, 16, 64, 64, device="cuda").to(dtype)
    x = (torch.randn(4, 16, 64, 64, device="cuda") * 4).to(dtype)
    _poisoned_run(new, mostly_zero)
    after_zeros = _poisoned_run(new, x)      # turns
    after_gelu = _poisoned_run(new, x)       # free groups
    _check_against_float64(ref, x, after_gelu, tol, "groups free")
    assert torch.equal(after_zeros, after_gelu)
    _poisoned_run(new, x)
    zeros_after_gelu = _poisoned_run(new, mostly_zero)   # free groups
    zeros_after_zeros = _poisoned_run(new, mostly_zero)  # turns
    assert torch.equal(zeros_after_gelu, zeros_after_zeros)


def test_cuda_graph_replays_on_new_inputs_match_the_reference(modules):
    """A captured call (two kernels, the second a programmatic dependent launch) replays with the same kernel
    arguments and workspace on whatever the input holds by then."""
    ref, new = _pair(modules, 16, 32, 4, 2)
    static_x = torch.randn(4, 16, 64, 64, device="cuda")
    warmup = torch.cuda.Stream()
    warmup.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(warmup), torch.no_grad():
        new(static_x)
    torch.cuda.current_stream().wait_stream(warmup)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph), torch.no_grad():
        static_out = new(static_x)
    for i in range(3):
        torch.manual_seed(20 + i)
        static_x.copy_(torch.randn(4, 16, 64, 64, device="cuda") * 4)
        static_out.fill_(float("nan"))
        graph.replay()
        torch.cuda.synchronize()
        _check_against_float64(ref, static_x, static_out, 5e-3, "tf32, graph replay")


def test_large_outputs_take_poisoned_compressible_memory_and_write_all_of_it(modules):
    """From _COMPRESSIBLE_MIN_BYTES on (here 277 MB) the output comes from the solution's pool of compressible
    memory: it takes the block poisoned there, and every element is written (scaled normals, TF32)."""
    ref, new = _pair(modules, 64, 128, 4, 2)
    torch.manual_seed(5)
    x = torch.randn(32, 64, 64, 64, device="cuda") * 4
    torch.cuda.synchronize()
    address = _poison_own_pool(new, x)
    assert address is not None, "no compressible memory: the H100 and H200 support generic compression"
    with torch.no_grad():
        out = new(x)
    torch.cuda.synchronize()
    assert out.data_ptr() == address
    _check_against_float64(ref, x, out, 5e-3, "tf32, compressible output")


def test_tf32_free_groups_in_compressible_memory_give_the_bits_of_the_turns(modules, monkeypatch):
    """An output in compressible memory makes TF32's groups run free, whatever the call before counted; the same call
    into the default pool after a mostly all-zero call takes turns. Both schedules must give the same bits, on mostly
    all-zero and on GELU-heavy inputs (277 MB outputs)."""
    ref, new = _pair(modules, 64, 128, 4, 2)
    scope = type(new).forward.__globals__
    torch.manual_seed(31)
    mostly_zero = torch.rand(32, 64, 64, 64, device="cuda")
    gelu_heavy = torch.randn(32, 64, 64, 64, device="cuda") * 4
    assert _poison_own_pool(new, mostly_zero) is not None, "no compressible memory on this GPU"
    free = {name: _poisoned_run(new, x) for name, x in (("mostly_zero", mostly_zero), ("gelu_heavy", gelu_heavy))}
    monkeypatch.setitem(scope, "_COMPRESSIBLE_MIN_BYTES", 1 << 62)   # every output from the default pool
    for name, x in (("mostly_zero", mostly_zero), ("gelu_heavy", gelu_heavy)):
        _poisoned_run(new, mostly_zero)                  # the call before counts mostly all-zero blocks: turns
        torch.full_like(free[name], float("nan"))        # the block the next output takes, poisoned
        with torch.no_grad():
            turns = new(x)
        torch.cuda.synchronize()
        assert torch.equal(turns, free[name]), name
    _check_against_float64(ref, gelu_heavy, free["gelu_heavy"], 5e-3, "tf32, groups free in compressible memory")


def _strided_forms(x):
    """x's values in layouts a caller may pass: channels-last, a permuted view, every other column of a wider tensor,
    and a contiguous view one element past a 16-byte boundary (the loaders' aligned fast paths must not assume)."""
    n, c, h, w = x.shape
    wide = torch.zeros(n, c, h, 2 * w, dtype=x.dtype, device=x.device)
    wide[..., 1::2] = x
    flat = torch.zeros(x.numel() + 1, dtype=x.dtype, device=x.device)
    flat[1:] = x.reshape(-1)
    return {
        "channels_last": x.to(memory_format=torch.channels_last),
        "permuted_view": x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2),
        "column_stride_2": wide[..., 1::2],
        "offset_one_element": flat[1:].view(n, c, h, w),
    }


@pytest.mark.parametrize("geometry, dtype, mode, tol", [
    ((3, 16, 32, 12, 12, 4, 2), torch.float32, "tf32", 5e-3),    # SS path: the pre-pass reads x
    ((2, 16, 32, 4, 60, 5, 2), torch.float32, "exact", 2e-5),    # mma.sync kernel: bulk copies of 16-byte aligned rows
    ((2, 8, 16, 9, 9, 6, 2), torch.float32, "exact", 2e-5),      # mma.sync kernel: 4-byte cp.async
    ((3, 16, 32, 12, 12, 4, 2), torch.bfloat16, "tf32", 3e-2),
], ids=["tf32-ss", "exact-bulk", "exact-cp4", "bf16-ss"])
def test_non_contiguous_and_misaligned_inputs_match_the_reference(modules, geometry, dtype, mode, tol):
    batch, cin, cout, h, w, k, s = geometry
    ref, new = _pair(modules, cin, cout, k, s, dtype=dtype)
    torch.manual_seed(7)
    x = (torch.randn(batch, cin, h, w, device="cuda") * 4).to(dtype)
    for form, xs in _strided_forms(x).items():
        assert torch.equal(xs, x)
        out = _run_with_tf32(new, xs, allow_tf32=(mode == "tf32"))
        assert out.dtype == dtype
        _check_against_float64(ref, x, out, tol, f"{mode} {form}")
