"""KernelBench level-2 #93: ConvTranspose2d -> +add -> min(., 0) -> exact GELU -> *mul.

One CUDA kernel computes the transposed convolution as an implicit GEMM on the
tensor cores and applies bias, add, min, GELU and multiply to its accumulators,
writing every output element to HBM exactly once. One small kernel runs before it:
the weight repack and (wgmma fast path: TF32/bf16/fp16, and exact fp32 as 3xTF32 for
T = 2) a copy of x in channels-last order on the GEMM-row grid, so that both wgmma
operands come straight from shared memory. Exact fp32's 64-column kernels with output
pairs (S = 2, K = 4, kernelbench-v0.1's shape among them) skip that copy: TMA loads x as
it lies and the wgmmas take A from registers (XA), where exact fp32 splits it anyway.
No intermediate of the convolution result is ever stored. Outputs of 256 MB and more come from a MemPool over
compressible memory (Compute Data Compression), where the L2 writes the mostly-zero output to DRAM compressed.

TF32 (fp32 with torch.backends.cudnn.allow_tf32, PyTorch's default) runs the fp16 wgmma on the SS path's
128-column kernels (TF32H; other shapes take TF32's own kernels):
TF32 keeps 10 mantissa bits of each operand, and so does fp16. Once x and the weights are each scaled by a power
of two into fp16's range (chosen from a fixed sample of each), the fp16 products are TF32's products, summed in
fp32, at twice TF32's rate and from half the bytes; the epilogue undoes the scales exactly. Operands still outside
fp16's normal range become NaN, and the NaN fixup recomputes their outputs in fp32, so the sample decides the
speed, never the result.

GEMM view (stride S, kernel K, T = ceil(K/S) taps per dim, phases ph,pw in [0,S)):
    out[n, co, S*i+ph, S*j+pw] = bias[co]
        + sum_{ci, a<T, b<T} x[n, ci, i-a, j-b] * w[ci, co, ph+S*a, pw+S*b]
(terms with ph+S*a >= K or an out-of-range x index are zero). All S*S phases share
A[m=(n,i,j), k=(ci,a,b)] = x[n, ci, i-a, j-b]; B[k, (co,ph,pw)] are the weights with
zero-padded taps. m is flattened over (n, i, j) with i in [0, ceil(Ho/S)),
j in [0, ceil(Wo/S)); rows of consecutive images are contiguous in m, which works
because the rows i >= H that pad an image are zero anyway.
"""
import os

import torch
import torch.nn as nn
from torch.utils.cpp_extension import load_inline

_CPP_SRC = r"""
#include <torch/extension.h>
torch::Tensor ct93_forward(torch::Tensor x, torch::Tensor w, c10::optional<torch::Tensor> bias,
                           int64_t stride, double add_value, double mul_value, int64_t pool_a, int64_t pool_b,
                           int64_t pool_min_bytes);
bool ct93_compressible_supported(int64_t device);
"""

_CUDA_SRC = r"""
#include <torch/extension.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/util/accumulate.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>
#include <climits>
#include <cfloat>
#include <cuda.h>
#include <cudaTypedefs.h>

#include <sys/types.h>
#include <mutex>
#include <map>
#include <set>
#include <tuple>
#include <type_traits>
#include <utility>

namespace ct93 {

// ----------------------------------------------------------------------------------------
// Tile shapes.
//   A CTA owns one N-slice of BN GEMM columns; its packed weights (all of K x BN) stay
//   resident in shared memory for the whole (persistent) kernel, so B is read from HBM/L2
//   once per CTA. The CTA's 8 warps form two independent warp groups that walk
//   alternate M tiles with their own load pipelines and named barriers: while one group
//   runs its GELU epilogue the other keeps the tensor cores busy.
//   mma.sync kernel (exact fp32 with T != 2, and shapes whose SS stages do not fit): each
//   group 2x2 warps, warp tile 64x64 (the smallest warp tile at which the shared-memory
//   operand traffic of mma.sync is no larger than the tensor-core time).
// ----------------------------------------------------------------------------------------
constexpr int BM = 128;                      // GEMM rows (output positions) per group tile
constexpr int BN = 128;                      // GEMM cols (co, ph, pw) per CTA (SS kernel: 128 or 64)
constexpr int WM = 64, WN = 64;              // warp tile
constexpr int MT = WM / 16;                  // m16 tiles per warp
constexpr int NT = WN / 8;                   // n8 tiles per warp
constexpr int GROUP_WARPS = 4;
constexpr int GROUPS = 2;
constexpr int GROUP_THREADS = GROUP_WARPS * 32;
constexpr int THREADS = GROUPS * GROUP_THREADS;
constexpr int STAGES = 2;                    // A-patch pipeline depth per group
constexpr int MBAR_BYTES = 128;   // stage mbarriers (8 B each); 128 keeps the A stages after them 128-byte aligned
static_assert(8 * GROUPS * STAGES <= MBAR_BYTES, "mbarrier area too small");
constexpr int NPAIR = BN / 16;               // pairs of n8 blocks per k-block of packed B
constexpr int KB_BYTES = NPAIR * 32 * 16;    // packed B bytes per k-block (uint4 per lane per pair)

// TF32H: TF32 precision through the fp16 instruction, on power-of-two scaled operands (see tf32h_bits); fp32 in
// and out. TF32 itself serves the shapes whose stages do not fit the SS kernels.
enum Mode : int { TF32 = 0, F32X3 = 1, BF16 = 2, F16 = 3, TF32H = 4 };

template <int MODE> struct Traits;
template <> struct Traits<TF32>  { using T = float;          static constexpr int KB_CI = 8;  };
template <> struct Traits<F32X3> { using T = float;          static constexpr int KB_CI = 8;  };
template <> struct Traits<BF16>  { using T = __nv_bfloat16;  static constexpr int KB_CI = 16; };
template <> struct Traits<F16>   { using T = __half;         static constexpr int KB_CI = 16; };
template <> struct Traits<TF32H> { using T = float;          static constexpr int KB_CI = 16; };
// The operand type in shared memory (Traits::T is the type of x, the weights and the output)
template <int MODE> using OpT = std::conditional_t<MODE == TF32H, __half, typename Traits<MODE>::T>;
__host__ __device__ constexpr bool tf32_family(int mode) { return mode == TF32 || mode == TF32H; }

__device__ __forceinline__ float to_f(float v) { return v; }
__device__ __forceinline__ float to_f(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ float to_f(__half v) { return __half2float(v); }
template <typename T> __device__ __forceinline__ T from_f(float v);
template <> __device__ __forceinline__ float from_f<float>(float v) { return v; }
template <> __device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <> __device__ __forceinline__ __half from_f<__half>(float v) { return __float2half_rn(v); }

// TF32H's operands: v * 2^e in fp16, which keeps TF32's 10 mantissa bits inside fp16's normal range. Outside it
// (nonzero under 2^-14, over 65504, inf, NaN) the operand becomes NaN, and the NaN fixup recomputes its outputs.
__device__ __forceinline__ uint16_t tf32h_bits(float v, float scale) {
  const float s = v * scale, a = fabsf(s);
  return a <= 65504.f && (a >= 0x1p-14f || v == 0.f) ? __half_as_ushort(__float2half_rn(s)) : (uint16_t)0x7e00u;
}
// The exponent e that puts a tensor's largest finite magnitude (as sampled) in [2^14, 2^15): its operands then lose
// no TF32 bit down to 2^-28 of it. Clamped to +-60, so that 2^-(e_x + e_w) is a normal float.
__device__ __forceinline__ int tf32h_exponent(float maxabs) {
  if (!(maxabs > 0.f)) return 0;
  const int e = 14 - ((int)(__float_as_uint(maxabs) >> 23) - 127);
  return max(-60, min(60, e));
}
__device__ __forceinline__ float exp2_int(int e) { return __int_as_float((127 + e) << 23); }
__device__ __forceinline__ uint32_t f2tf32(float v) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(v));
  return r;
}

// Two adjacent outputs (pw = 0, 1 of one row) in one aligned 8- or 4-byte store.
__device__ __forceinline__ void store_pair(float* dst, float v0, float v1) {
  // asm: ptxas split the plain float2 store of a constant pair (the all-zero path) into two
  // 4-byte stores
  asm volatile("st.global.v2.f32 [%0], {%1, %2};" ::"l"(dst), "f"(v0), "f"(v1) : "memory");
}
// Two 16-bit values as one 32-bit word, v0 in the low half (the lower address)
template <typename T>
__device__ __forceinline__ uint32_t pack_pair(float v0, float v1) {
  T lo = from_f<T>(v0), hi = from_f<T>(v1);
  return (uint32_t)(*reinterpret_cast<uint16_t*>(&lo)) | ((uint32_t)(*reinterpret_cast<uint16_t*>(&hi)) << 16);
}
template <typename T>
__device__ __forceinline__ void store_pair(T* dst, float v0, float v1) {
  *reinterpret_cast<uint32_t*>(dst) = pack_pair<T>(v0, v1);
}
// The same store under a predicate, with no branch around it: behind a branch ptxas moves the math that feeds
// the store into it, and the GELUs of a block's four pairs then run one pair at a time (perf log v74).
__device__ __forceinline__ void store_pair_if(bool pred, float* dst, float v0, float v1) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %3, 0;\n@p st.global.v2.f32 [%0], {%1, %2};\n}" ::"l"(dst), "f"(v0),
               "f"(v1), "r"((int)pred) : "memory");
}
template <typename T>
__device__ __forceinline__ void store_pair_if(bool pred, T* dst, float v0, float v1) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %2, 0;\n@p st.global.b32 [%0], %1;\n}" ::"l"(dst),
               "r"(pack_pair<T>(v0, v1)), "r"((int)pred) : "memory");
}

// Division by a run-time constant via multiply-high (divisor fixed per launch; n < 2^31).
// Integer division is ~20 instructions on the GPU, and the loader/epilogue index math
// needs several per element row.
struct FastDiv {
  uint32_t d, m, s;
  FastDiv() = default;
  explicit FastDiv(int div) : d((uint32_t)div), m(0), s(0) {
    if (div > 1) {
      uint32_t l = 0;
      while ((1u << l) < d) ++l;
      const uint32_t pw = 31 + l;
      m = (uint32_t)(((1ull << pw) + d - 1) / d);
      s = pw - 32;
    }
  }
  __device__ __forceinline__ int div(int n) const {
    return d == 1 ? n : (int)(__umulhi((uint32_t)n, m) >> s);
  }
};

struct Params {
  const void* x;        // [Nb, Cin, H, W], contiguous
  const void* w;        // [Cin, Cout, K, K] original weights (NaN recompute path)
  const void* bias;     // [Cout] or nullptr
  const uint4* bpack;   // packed B, [nsl][bblocks][bn * 2 uint4]
  void* out;            // [Nb, Cout, Ho, Wo]
  int Nb, Cin, Cout, H, W, K, S, T, Ho, Wo, Hq, Wq;
  int Mtot, ntiles, nsl, gm;
  int CIC, nchunk, nkbc, nkb, R, XOFF, pitchR, pitchC, stage_bytes, ldmode, bulk, pairable;
  const uint4* xg;      // SS path: channels-last copy of x, [quads][xg_rows][16 bytes]
  int halo, npos, xg_rows;   // SS path: A rows before m0 (taps), rows per stage slab, rows per xg quad
  int bn, bblocks;      // GEMM columns per CTA; packed B k-blocks per slice (2 * nkb: hi and lo parts, exact SS)
  // The 128-column paired kernels: all-zero and total (warp, block) counts of the calls on this stream, three slots
  // [zeros, blocks]; call turn_gen adds to slot turn_gen % 3 (zeroed by its pre-pass) and takes its turns from the
  // slot of the call before (TurnChoice). nullptr: always turns.
  int* turn_stats;
  unsigned turn_gen;
  // TF32's 128-column SS kernels run their groups free, never taking turns: set where the output lies in compressible
  // memory, whose all-zero lines the L2 writes compressed; the turns paid for the DRAM fills of partial sectors, which
  // that memory makes cheap (perf log v109: -36 us on torch.rand; bf16's turns still win there, +35 us without).
  int free_groups;
  float add, mul;
  FastDiv fWq, fHq, fR, fnvec;
  int reg_tiles, left, nextra;   // exact SS path: tiles per slice of the regular CTAs, the rest per slice, extra CTAs
  FastDiv fleft;
  int nstages;          // SS path: A stages per group (fnstages divides by it)
  FastDiv fnstages;
  int tma;              // SS path: each A refill is one TMA tensor copy through xgmap (else a bulk copy per slab)
  CUtensorMap xgmap;    // SS path, tma: xg as 32-bit words (64, xg_rows / 16, slabs), box (64, npos / 16, CIC / QE)
  int xa, xa_slots;     // A straight from NCHW x (no channels-last copy): grid rows per stage
  int xa_tilebox;       // xa: xtmap is encoded (one box a stage where its rows lie in one image)
  int xa_half_bytes;    // xa: bytes of a stage's half (xa_slots grid rows of XA_BOXW columns)
  CUtensorMap xmap;     // xa: x as (W, H, Cin, Nb), box (XA_BOXW, 1, KB_CI, 1): half a grid row
  CUtensorMap xtmap;    // xa_tilebox: x as (W, Cin, H, Nb), box (XA_BOXW, KB_CI, xa_slots, 1): half a stage
  const int* exps;      // TF32H: the scale exponents of x [0] and of the weights [1] (written by the pre-pass)
};

// Per-column epilogue info for the CTA's N-slice. 12 bytes (the host keeps the stride S, and so the phases, within
// a short): the 512 bytes this saves on a 128-column slice let TF32's kernelbench-v0.1 take an eighth stage.
struct ColInfo { int colOff; float bias; short ph, pw; };

// ---- exact-erf GELU epilogue -----------------------------------------------------------
// GELU is only ever applied to clamped values v = min(pre + add, 0): v <= 0, or NaN. There
// 1 + erf(v / sqrt2) = erfc(t) with t = -v / sqrt2 >= 0, evaluated as erfc(t) = q P(q) exp(-t^2),
// q = 1 / (1 + 0.4 t), P of degree 8 fitted to erfc(t) exp(t^2) / q over t in [0, 9.5] (relative
// error 6e-8; beyond 9.5 exp(-t^2) flushes to 0). Cheaper than erff, which runs one degree-6 chain
// with its coefficients selected per argument range (about 20 instructions, and an EX2 for the warp
// when any lane has |x| >= 1); and PyTorch's 1 + erff(v / sqrt2) cancels for v < -3 (no correct
// digit left below v = -5.5, where it returns 0). Blocks near 0 may take gelu_mul_near0 instead.
// 1 + 0.4 t and t^2 log2(e) are formed from v directly, without t (a multiply fewer). Emulated in
// float32 with the MUFU's error bounds, the outputs are within 3.3e-7 of float64 (mul = 2; PyTorch's
// fp32 formula: 1.7e-7) and 1.3e-5 relative down to v = -12 (perf log v71, v85-v89; the fits and the
// emulation: tools/gelu_fit_93.py).
__device__ __forceinline__ float rcp_approx(float x) {
  float r;
  asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
  return r;
}
__device__ __forceinline__ float exp2_approx(float x) {
  float r;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(x));
  return r;
}

struct Epilogue {
  float add, mul;
  __device__ __forceinline__ float clamp(float pre) const {
    const float v = pre + add;
    return v > 0.f ? 0.f : v;                    // torch.min(v, 0): NaN propagates
  }
  // P(q) of the erfc form
  static __device__ __forceinline__ float erfc_poly(float q) {
    float r = 4.026449472e-02f;
    r = fmaf(r, q, -1.354565024e-01f);
    r = fmaf(r, q, 7.381184399e-02f);
    r = fmaf(r, q, 9.976458549e-02f);
    r = fmaf(r, q, 7.148375362e-02f);
    r = fmaf(r, q, 1.969736964e-01f);
    r = fmaf(r, q, 2.009557784e-01f);
    r = fmaf(r, q, 2.265761197e-01f);
    r = fmaf(r, q, 2.256262749e-01f);
    return r;
  }
  // v <= 0 or NaN (the clamp's output); v = -inf gives NaN, as PyTorch's -inf * 0 does.
  __device__ __forceinline__ float gelu_mul(float v) const {
    const float q = rcp_approx(fmaf(v, -0.28284271247461900976f, 1.f));   // 1 / (1 + 0.4 t), t = -v / sqrt2
    const float u = v * 0.84932180028801904272f;   // u^2 = t^2 log2(e)
    const float erfc_t = q * erfc_poly(q) * exp2_approx(u * -u);
    return v * (0.5f * mul) * erfc_t;
  }
  // gelu_mul as it was before v85 (through t; 3.1e-7 of float64, 1.8e-5 relative), which exact fp32's SS kernel
  // keeps: with v85's form and v86's NaN test, code that torch.rand inputs rarely run, that kernel measured 16-18 us
  // slower on kernelbench-v0.1 (perf log v85-v89), as TF32's kernels have moved with such changes before (perf log
  // v74-v77).
  __device__ __forceinline__ float gelu_mul_via_t(float v) const {
    const float t = v * -0.70710678118654752440f;
    const float q = rcp_approx(fmaf(0.4f, t, 1.f));
    const float erfc_t = q * erfc_poly(q) * exp2_approx(t * t * -1.44269504088896340736f);
    return v * (0.5f * mul) * erfc_t;
  }
  // |v| <= NEAR0 (and NaN): 1 + erf(v / sqrt2) = 1 + v G(v^2), G of degree 5 in v^2, fitted to 8e-8 relative:
  // outputs within 2.6e-7 of float64 (1.2e-6 relative). Only TF32 and 16-bit blocks take it, whose products carry
  // 2^-11 relative error or more. No MUFU, and 9 FP32 instructions against gelu_mul's 15; 1 + erf >= 0.13
  // there, so little cancels.
  static constexpr float NEAR0 = 1.5f;
  __device__ __forceinline__ float gelu_mul_near0(float v) const {
    const float w = v * v;
    float g = -1.182178494e-05f;
    g = fmaf(g, w, 2.143142337e-04f);
    g = fmaf(g, w, -2.355899662e-03f);
    g = fmaf(g, w, 1.993728057e-02f);
    g = fmaf(g, w, -1.329788417e-01f);
    g = fmaf(g, w, 7.978845239e-01f);
    return v * (0.5f * mul) * fmaf(v, g, 1.f);
  }
  // v == +-0: gelu_mul and gelu_mul_near0 give +-0 (v times a finite factor), the same bits as this
  __device__ __forceinline__ float zero_mul(float v) const { return v * 0.5f * mul; }
  __device__ __forceinline__ float operator()(float pre) const { return gelu_mul(clamp(pre)); }
};

// a + b that ptxas cannot merge with a plain a + b elsewhere: the 16-bit epilogue's votes add each bias
// once for the test and again for the stores, and with plain adds ptxas kept all 128 sums of the first
// pass alive for the second (255 registers, spills; perf log v64).
__device__ __forceinline__ float add_unshared(float a, float b) {
  float r;
  asm("add.rn.f32 %0, %1, %2;" : "=f"(r) : "f"(a), "f"(b));
  return r;
}
// min(v, 0) in one instruction, NaN propagating like torch.min (sm_80+).
__device__ __forceinline__ float min0_nan(float v) {
  float r;
  asm("min.NaN.f32 %0, %1, 0f00000000;" : "=f"(r) : "f"(v));
  return r;
}

// Direct fp32 evaluation of one conv-transpose output (without bias). Used (a) to
// recompute outputs whose GEMM result is NaN - the GEMM multiplies zero-padded taps by
// x, so an inf in x can make NaN where PyTorch gets a finite value or inf - and (b) by
// the fallback kernel for shapes whose tiles do not fit in shared memory.
template <typename T>
__device__ __noinline__ float direct_sum(const T* __restrict__ x, const T* __restrict__ w,
                                         int Cin, int Cout, int H, int W, int K, int S, int T_,
                                         int n, int co, int i, int j, int ph, int pw) {
  float s = 0.f;
  for (int ci = 0; ci < Cin; ++ci) {
    const T* xp = x + ((int64_t)n * Cin + ci) * H * W;
    const T* wp = w + ((int64_t)ci * Cout + co) * K * K;
    for (int a = 0; a < T_; ++a) {
      int kh = ph + S * a, ih = i - a;
      if (kh >= K) break;
      if (ih < 0 || ih >= H) continue;
      for (int b = 0; b < T_; ++b) {
        int kw = pw + S * b, iw = j - b;
        if (kw >= K) break;
        if (iw < 0 || iw >= W) continue;
        s = fmaf(to_f(xp[(int64_t)ih * W + iw]), to_f(wp[kh * K + kw]), s);
      }
    }
  }
  return s;
}

// ---- weight repacking: B fragments in the exact per-lane order the MMA wants ------------
// k-block kb = (cb*T + a)*T + b holds KB_CI input channels (ci fastest) of one tap (a,b);
// within a block the k index is the channel offset. n = (co*S + ph)*S + pw (pw fastest,
// so accumulator pairs (2t,2t+1) are the two column phases of one output row).
template <int MODE, typename WT>
__global__ void pack_b_kernel(const WT* __restrict__ w, uint4* __restrict__ out, int Cin, int Cout,
                              int K, int S, int T_, int nkb, int total) {
  asm volatile("griddepcontrol.launch_dependents;");   // as in prep_wgmma_kernel
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx >= total) return;
  int lane = idx & 31, r = idx >> 5;
  int pr = r % NPAIR; r /= NPAIR;
  int kb = r % nkb, s = r / nkb;
  int g = lane >> 2, t = lane & 3;
  int cb = kb / (T_ * T_), a = (kb / T_) % T_, b = kb % T_;
  auto wv = [&](int ci, int n) -> float {
    int co = n / (S * S), ph = (n / S) % S, pw = n % S;
    int kh = ph + S * a, kw = pw + S * b;
    if (ci >= Cin || co >= Cout || kh >= K || kw >= K) return 0.f;
    return to_f(w[(((int64_t)ci * Cout + co) * K + kh) * K + kw]);
  };
  uint32_t v[4];
#pragma unroll
  for (int q = 0; q < 4; ++q) {
    int n = s * BN + (pr * 2 + (q >> 1)) * 8 + g;
    int hk = q & 1;
    if (MODE == TF32 || MODE == F32X3) {
      float f = wv(cb * 8 + t + 4 * hk, n);
      v[q] = (MODE == TF32) ? f2tf32(f) : __float_as_uint(f);
    } else {
      int k0 = cb * 16 + 2 * t + 8 * hk;
      using T = typename Traits<MODE>::T;
      v[q] = pack_pair<T>(wv(k0, n), wv(k0 + 1, n));
    }
  }
  out[idx] = make_uint4(v[0], v[1], v[2], v[3]);
}

// ---- small PTX helpers --------------------------------------------------------------------
__device__ __forceinline__ void cp_async16(uint32_t dst, const void* src, int srcsize) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(dst), "l"(src), "r"(srcsize));
}
__device__ __forceinline__ void cp_async4(uint32_t dst, const void* src, int srcsize) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;" ::"r"(dst), "l"(src), "r"(srcsize));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;"); }
template <int N> __device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;" ::"n"(N)); }
__device__ __forceinline__ void cta_bar() { asm volatile("bar.sync 0, %0;" ::"n"(THREADS) : "memory"); }
__device__ __forceinline__ void group_bar(int id) {
  asm volatile("bar.sync %0, %1;" ::"r"(id), "r"(GROUP_THREADS) : "memory");
}
// Half turns between the SS kernel's two groups: group g opens a tile at barrier TURN_BAR + g, which the other
// group releases (bar.arrive, 2 x GROUP_THREADS threads per phase) once it has issued half of its own tile's chunks.
constexpr int TURN_BAR = 3;
__device__ __forceinline__ void turn_wait(int g) {
  asm volatile("bar.sync %0, %1;" ::"r"(TURN_BAR + g), "n"(2 * GROUP_THREADS) : "memory");
}
__device__ __forceinline__ void turn_pass(int g) {
  asm volatile("bar.arrive %0, %1;" ::"r"(TURN_BAR + 1 - g), "n"(2 * GROUP_THREADS) : "memory");
}
__device__ __forceinline__ uint32_t smem_u32(const void* p) {
  return (uint32_t)__cvta_generic_to_shared(p);
}
// 32-bit shared loads from (per-lane register + warp-uniform k offset): written so that
// ptxas can use the [R + UR] address form instead of one IMAD per load.
__device__ __forceinline__ uint32_t lds32(uint32_t a) {
  uint32_t v;
  asm("ld.shared.b32 %0, [%1];" : "=r"(v) : "r"(a));
  return v;
}
__device__ __forceinline__ uint32_t lds16(uint32_t a) {
  unsigned short v;
  asm("ld.shared.u16 %0, [%1];" : "=h"(v) : "r"(a));
  return v;
}

template <int MODE>
__device__ __forceinline__ void mma(float (&d)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  if (MODE == TF32 || MODE == F32X3) {
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  } else if (MODE == BF16) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  } else {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
  }
}

// ---- loader: one ci-chunk of the x patch of one M tile into a stage buffer ---------------
// Stage layout: [ci_local][row r][col], col = x column + XOFF; the T-1 halo columns on each
// side were zeroed once at kernel start and are never written; rows outside the image
// (or channels >= Cin) are zero-filled by cp.async with src-size 0.
template <typename T>
__device__ __forceinline__ void load_chunk(const Params& p, unsigned char* stage, int tile, int chunk, int gtid) {
  const T* x = static_cast<const T*>(p.x);
  const int m0 = tile * BM;
  const int rbase = p.fWq.div(m0) - (p.T - 1);
  const int vrows = p.Nb * p.Hq;
  const int vb = p.ldmode == 0 ? 16 : (p.ldmode == 1 ? 4 : (int)sizeof(T));
  const int nvec = (int)p.fnvec.d;
  const int total = p.CIC * p.R * nvec;
  for (int u = gtid; u < total; u += GROUP_THREADS) {
    int rr = p.fnvec.div(u), vec = u - rr * nvec;
    int cil = p.fR.div(rr), r = rr - cil * p.R;
    int ci = chunk * p.CIC + cil;
    int vrow = rbase + r;
    int n = vrow >= 0 ? p.fHq.div(vrow) : 0;
    int ih = vrow - n * p.Hq;
    bool valid = ci < p.Cin && vrow >= 0 && vrow < vrows && ih < p.H;
    const unsigned char* src = reinterpret_cast<const unsigned char*>(x);
    if (valid) src += ((((int64_t)n * p.Cin + ci) * p.H + ih) * p.W) * (int64_t)sizeof(T) + (int64_t)vec * vb;
    unsigned char* dst = stage + ((cil * p.pitchC + r * p.pitchR + p.XOFF) * (int)sizeof(T) + vec * vb);
    if (p.ldmode == 0) {
      cp_async16(smem_u32(dst), src, valid ? 16 : 0);
    } else if (p.ldmode == 1) {
      cp_async4(smem_u32(dst), src, valid ? 4 : 0);
    } else {  // 2-byte elements on odd rows: synchronous copy
      *reinterpret_cast<uint16_t*>(dst) = valid ? *reinterpret_cast<const uint16_t*>(src) : (uint16_t)0;
    }
  }
}

// ---- mbarrier / bulk-copy helpers ------------------------------------------------------
__device__ __forceinline__ void mbar_init(uint32_t bar, int count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;" ::"r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity) {
  asm volatile("{\n.reg .pred done;\nWAIT_%=:\n"
               "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
               "@!done bra WAIT_%=;\n}\n" ::"r"(bar), "r"(parity) : "memory");
}
__device__ __forceinline__ void bulk_copy_g2s(uint32_t dst, const void* src, uint32_t bytes, uint32_t bar) {
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];"
               ::"r"(dst), "l"(src), "r"(bytes), "r"(bar) : "memory");
}

// Issue-once forms for a converged warp: every lane runs the call with the same operands and only the lane
// elected by elect_one issues, so ptxas keeps the operands in uniform registers without a loop over lanes.
__device__ __forceinline__ bool elect_one() {
  uint32_t one;
  asm volatile("{\n.reg .pred p;\nelect.sync _|p, 0xffffffff;\nselp.u32 %0, 1, 0, p;\n}" : "=r"(one));
  return one != 0;
}
__device__ __forceinline__ void mbar_arrive_expect_tx_if(bool one, uint32_t bar, uint32_t bytes) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %2, 0;\n"
               "@p mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n}"
               ::"r"(bar), "r"(bytes), "r"((uint32_t)one) : "memory");
}
__device__ __forceinline__ void tma_copy_3d_if(bool one, uint32_t dst, const CUtensorMap* map, int c1, int c2, uint32_t bar) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %6, 0;\n"
               "@p cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
               " [%0], [%1, {%2, %3, %4}], [%5];\n}"
               ::"r"(dst), "l"(reinterpret_cast<uint64_t>(map)), "r"(0), "r"(c1), "r"(c2), "r"(bar), "r"((uint32_t)one)
               : "memory");
}
// Not predicated: XA's issue() branches to the elected lane around all of a stage's copies at once.
__device__ __forceinline__ void tma_copy_4d(uint32_t dst, const CUtensorMap* map, int c0, int c1, int c2, int c3,
                                           uint32_t bar) {
  asm volatile("cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes"
               " [%0], [%1, {%2, %3, %4, %5}], [%6];"
               ::"r"(dst), "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(c2), "r"(c3), "r"(bar)
               : "memory");
}
// The A refills read xg with an L2 evict_last policy: the N-slices' CTAs of one run of tiles each read the same xg
// rows, and the output stream (1.1 GB on kernelbench-v0.1) passing through the L2 between their reads would evict
// them. Refills that read half their bytes from one L2-resident MB measured 26 us faster beside the zero stores; the
// policy made TF32 18-34 us faster on torch.rand, and changed nothing on randn or without the zero stores (H100,
// perf log v114-v117).
__device__ __forceinline__ void bulk_copy_g2s_if(bool one, uint32_t dst, const void* src, uint32_t bytes, uint32_t bar) {
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %4, 0;\n"
               ".reg .b64 keep;\ncreatepolicy.fractional.L2::evict_last.b64 keep, 1.0;\n"
               "@p cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes.L2::cache_hint [%0], [%1], %2, [%3], keep;\n}"
               ::"r"(dst), "l"(src), "r"(bytes), "r"(bar), "r"((uint32_t)one) : "memory");
}

// Bulk loader: one x row (W elements, 16-byte aligned) per thread and one bulk copy each;
// rows outside the image are zeroed with ordinary stores. Every thread of the group arrives
// on the stage's mbarrier (count GROUP_THREADS) after announcing its bytes, so the phase
// completes only when all rows have landed.
template <typename T>
__device__ __forceinline__ void load_chunk_bulk(const Params& p, unsigned char* stage, uint32_t bar, int tile,
                                                int chunk, int gtid) {
  uint32_t bytes = 0;
  const T* src = nullptr;
  unsigned char* dst = nullptr;
  // Row u goes to lane u / 4 of warp u % 4: a bulk copy takes a warp-serial loop (its
  // operands must be warp-uniform), so the rows are spread evenly over the group's warps.
  const int u = (gtid & 31) * GROUP_WARPS + gtid / 32;
  if (u < p.CIC * p.R) {   // host guarantees CIC * R <= GROUP_THREADS on this path
    const int cil = p.fR.div(u), r = u - cil * p.R;
    const int ci = chunk * p.CIC + cil;
    const int vrow = p.fWq.div(tile * BM) - (p.T - 1) + r;
    const int n = vrow >= 0 ? p.fHq.div(vrow) : 0;
    const int ih = vrow - n * p.Hq;
    dst = stage + (cil * p.pitchC + r * p.pitchR + p.XOFF) * (int)sizeof(T);
    if (ci < p.Cin && vrow >= 0 && vrow < p.Nb * p.Hq && ih < p.H) {
      bytes = p.W * (int)sizeof(T);
      src = static_cast<const T*>(p.x) + (((int64_t)n * p.Cin + ci) * p.H + ih) * p.W;
    } else {
      for (int k = 0; k < p.W * (int)sizeof(T) / 16; ++k) reinterpret_cast<uint4*>(dst)[k] = make_uint4(0, 0, 0, 0);
      // the next bulk copy into this row (async proxy) must land after these stores
      asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    }
  }
  mbar_arrive_expect_tx(bar, bytes);
  if (bytes) bulk_copy_g2s(smem_u32(dst), src, bytes, bar);
}

// The x-patch pipeline of one warp group: item q = (tile, ci-chunk) goes to stage q % STAGES.
template <typename T>
struct StagePipe {
  const Params& p;
  unsigned char* stages;   // this group's STAGES buffers
  uint32_t bars;           // this group's STAGES mbarriers (bulk path)
  int first, step, nitems, gtid;
  __device__ __forceinline__ int tile_of(int q) const { return first + (q / p.nchunk) * step; }
  __device__ __forceinline__ void issue(int q) const {
    if (p.bulk) {
      if (q < nitems) {
        unsigned char* stage = stages + (q % STAGES) * p.stage_bytes;
        const uint32_t bar = bars + 8 * (q % STAGES);
        load_chunk_bulk<T>(p, stage, bar, tile_of(q), q % p.nchunk, gtid);
      }
    } else {
      if (q < nitems) load_chunk<T>(p, stages + (q % STAGES) * p.stage_bytes, tile_of(q), q % p.nchunk, gtid);
      cp_async_commit();
    }
  }
  // item q's data is in shared memory for this thread (issue(q + 1) was the last issue)
  __device__ __forceinline__ void wait(int q) const {
    if (p.bulk) mbar_wait(bars + 8 * (q % STAGES), (q / STAGES) & 1);
    else cp_async_wait<1>();
  }
};

// GEMM row m = (n, i, j): the output position (oh0, ow0) = (S*i, S*j) of its phase-(0,0)
// element and a pointer to out[n, 0, oh0, ow0] (column offsets from the table are added).
template <typename T>
__device__ __forceinline__ T* output_row(const Params& p, T* out, int m, int& oh0, int& ow0) {
  const int v = p.fWq.div(m), j = m - v * p.Wq;
  const int n = p.fHq.div(v), i = v - n * p.Hq;
  oh0 = p.S * i;
  ow0 = p.S * j;
  return out + (int64_t)n * p.Cout * p.Ho * p.Wo + (int64_t)oh0 * p.Wo + ow0;
}

// Tiles walked by a warp group whose tiles are first, first + step, ... below ntiles.
__device__ __forceinline__ int group_tiles(int first, int step, int ntiles) {
  return first < ntiles ? (ntiles - 1 - first) / step + 1 : 0;
}

// The tiles one group of the SS and mma.sync kernels runs: every CTA owns one N-slice, and ORDER says which of the
// slice's tiles it takes.
//   ROUND_ROBIN: a round gives each group of the slice one tile, to both groups of a CTA in turn.
//   GROUP_MAJOR: round-robin, but a round's tiles go to the CTAs' first groups, then to their second groups, so
//     that a last round that is only partly filled lands on as many CTAs, and so SMs, as it has tiles
//     (kernelbench-v0's 64-column kernel: 1,089 tiles for 528 groups, a last round of 33 tiles).
//   CONTIGUOUS: every CTA takes one run of ceil(ntiles / gm) tiles, its two groups alternating. The tiles on either
//     side of a tile boundary share that boundary's output sectors, and then run half a tile apart on one SM
//     instead of on neighbouring CTAs whose phases drift apart. The H100's L2 reads a partial sector from DRAM when
//     its parts arrive far apart; nearer parts cut those reads and the kernel's time there (perf log v91). The
//     128-column kernels take it.
enum TileOrder : int { ROUND_ROBIN, GROUP_MAJOR, CONTIGUOUS };
template <int ORDER>
struct SliceTiles {
  static constexpr bool extra = false;
  int first, step, count, slice0, last_slice;
  __device__ SliceTiles(const Params& p, int g) {
    if constexpr (ORDER == CONTIGUOUS) {
      const int mslot = blockIdx.x / p.nsl, run = (p.ntiles + p.gm - 1) / p.gm;
      const int start = mslot * run, end = min(p.ntiles, start + run);
      first = start + g;
      step = GROUPS;
      count = group_tiles(first, step, end);
    } else {
      const int mslot = blockIdx.x / p.nsl;
      first = ORDER == GROUP_MAJOR ? g * p.gm + mslot : mslot * GROUPS + g;
      step = GROUPS * p.gm;
      count = group_tiles(first, step, p.ntiles);
    }
    slice0 = last_slice = blockIdx.x % p.nsl;
  }
  __device__ static int first_slice(const Params& p) { return blockIdx.x % p.nsl; }
  __device__ __forceinline__ int tile(const Params&, int k) const { return first + k * step; }
  __device__ __forceinline__ int slice(const Params&, int) const { return slice0; }
};

// Re-evaluate, directly in fp32, every NaN output of one warp's WM x WN tile.
template <typename T>
__device__ __noinline__ void fixup_nans(const Params& p, int mbase, int nrows, int nbase, int ncols, int lane,
                                        Epilogue epi) {
  const T* x = static_cast<const T*>(p.x);
  const T* w = static_cast<const T*>(p.w);
  const T* bias = static_cast<const T*>(p.bias);
  T* out = static_cast<T*>(p.out);
  for (int idx = lane; idx < nrows * ncols; idx += 32) {
    const int m = mbase + idx / ncols, nn = nbase + idx % ncols;
    const int co = nn / (p.S * p.S), ph = (nn / p.S) % p.S, pw = nn % p.S;
    if (m >= p.Mtot || co >= p.Cout) continue;
    const int v = p.fWq.div(m), j = m - v * p.Wq, n = p.fHq.div(v), i = v - n * p.Hq;
    const int oh = p.S * i + ph, ow = p.S * j + pw;
    if (oh >= p.Ho || ow >= p.Wo) continue;
    T* o = out + (((int64_t)n * p.Cout + co) * p.Ho + oh) * p.Wo + ow;
    if (!isnan(to_f(*o))) continue;
    float pre = direct_sum<T>(x, w, p.Cin, p.Cout, p.H, p.W, p.K, p.S, p.T, n, co, i, j, ph, pw);
    pre += bias ? to_f(bias[co]) : 0.f;
    *o = from_f<T>(epi(pre));
  }
}

// Programmatic dependent launch: the main kernels are launched while the pre-pass still runs
// (see launch_after_prep), so a CTA sets up what does not depend on the pre-pass, then waits here
// until the pre-pass has finished and its writes are visible. Without that launch attribute the
// wait returns at once.
__device__ __forceinline__ void wait_for_prep() { asm volatile("griddepcontrol.wait;" ::: "memory"); }

// CTA prologue shared by the fused kernels: the column table, zeroed A stages (the x-patch
// loaders never write their halo columns again) and the stage mbarriers (nbars of them,
// `arrivals` arrivals per phase); then, once the pre-pass is done, the N-slice's packed B
// (bblocks k-blocks of bn * 32 bytes, whatever their internal layout) copied to shared memory.
template <typename T>
__device__ __forceinline__ void build_column_table(const Params& p, int nslice, ColInfo* tab) {
  for (int c = threadIdx.x; c < p.bn; c += THREADS) {
    int n = nslice * p.bn + c, SS = p.S * p.S;
    const int co = n / SS;
    ColInfo ci;
    ci.ph = (n / p.S) % p.S; ci.pw = n % p.S;
    ci.colOff = co < p.Cout ? co * p.Ho * p.Wo + ci.ph * p.Wo + ci.pw : -1;
    ci.bias = (co < p.Cout && p.bias) ? to_f(static_cast<const T*>(p.bias)[co]) : 0.f;
    tab[c] = ci;
  }
}

// The N-slice's packed B into shared memory (all threads; waits for their own copies).
__device__ __forceinline__ void load_packed_b(const Params& p, int nslice, unsigned char* smem) {
  const int nv = p.bblocks * p.bn * 2;   // uint4 of packed B per slice
  const uint4* src = p.bpack + (size_t)nslice * nv;
  uint4* Bs = reinterpret_cast<uint4*>(smem);
  for (int v = threadIdx.x; v < nv; v += THREADS) cp_async16(smem_u32(Bs + v), src + v, 16);
  cp_async_commit();
  cp_async_wait<0>();
}

template <typename T>
__device__ __forceinline__ void cta_prologue(const Params& p, int nslice, unsigned char* smem,
                                             ColInfo* tab, unsigned char* Abase, int zero_bytes, int nbars,
                                             int arrivals) {
  const int tid = threadIdx.x;
  build_column_table<T>(p, nslice, tab);
  uint4* az = reinterpret_cast<uint4*>(Abase);
  for (int v = tid; v < zero_bytes / 16; v += THREADS) az[v] = make_uint4(0, 0, 0, 0);
  if (tid < nbars) mbar_init(smem_u32(Abase - MBAR_BYTES) + 8 * tid, arrivals);
  asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");   // zeroed stages before any bulk copy
  wait_for_prep();   // the packed B and the channels-last x are the pre-pass's output
  load_packed_b(p, nslice, smem);
  __syncthreads();
}

// One k-block's MMA operands for one warp: A (MT m16 tiles) and B (NT n8 tiles, as pairs).
struct Frag {
  uint32_t a[MT][4];
  uint4 b[NT / 2];
};

// ---- the fused kernel ------------------------------------------------------------------
template <int MODE>
__global__ void __launch_bounds__(THREADS, 1) ct93_fused_kernel(const __grid_constant__ Params p) {
  using T = typename Traits<MODE>::T;
  constexpr int KB_CI = Traits<MODE>::KB_CI;
  constexpr bool F32IN = (MODE == TF32 || MODE == F32X3);
  extern __shared__ __align__(128) unsigned char smem[];
  uint4* Bs = reinterpret_cast<uint4*>(smem);
  ColInfo* tab = reinterpret_cast<ColInfo*>(smem + (size_t)p.nkb * KB_BYTES);
  unsigned char* Abase = smem + (size_t)p.nkb * KB_BYTES + BN * sizeof(ColInfo) + MBAR_BYTES;

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int nslice = SliceTiles<ROUND_ROBIN>::first_slice(p);

  cta_prologue<T>(p, nslice, smem, tab, Abase, GROUPS * STAGES * p.stage_bytes, GROUPS * STAGES, GROUP_THREADS);

  const int g = warp / GROUP_WARPS, wig = warp % GROUP_WARPS;
  const int wm = wig >> 1, wn = wig & 1;
  const int gtid = tid % GROUP_THREADS;
  const int lg = lane >> 2, lt = lane & 3;
  const int bar_id = 1 + g;
  unsigned char* Ag = Abase + (size_t)g * STAGES * p.stage_bytes;

  const SliceTiles<ROUND_ROBIN> sched(p, g);
  const int nitems = sched.count * p.nchunk;

  const Epilogue epi{p.add, p.mul};
  T* out = static_cast<T*>(p.out);
  const int T_ = p.T;
  // lane-constant part of the A address: channel offset of this lane's k column(s)
  const int lane_k = (F32IN ? lt : 2 * lt) * p.pitchC;
  const int kstep_hi = (F32IN ? 4 : 8) * p.pitchC;   // a2/a3 registers: k + 4 (tf32) / k + 8 (16-bit)

  const StagePipe<T> pipe{p, Ag, smem_u32(Abase - MBAR_BYTES) + 8 * STAGES * g, sched.first, sched.step, nitems, gtid};

  float acc[MT][NT][4];
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int nb = 0; nb < NT; ++nb)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[mt][nb][e] = 0.f;

  uint32_t ro[MT][2];   // per-lane shared addresses of A rows g and g+8 of each m16 tile (stage 0, k 0)

  pipe.issue(0);
  for (int q = 0; q < nitems; ++q) {
    const int tile = pipe.tile_of(q);
    const int chunk = q % p.nchunk;
    pipe.issue(q + 1);
    pipe.wait(q);
    group_bar(bar_id);

    const int m0 = tile * BM;
    if (chunk == 0) {
      const int rbase = p.fWq.div(m0) - (T_ - 1);
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          int m = min(m0 + wm * WM + mt * 16 + h * 8 + lg, p.Mtot - 1);
          int v = p.fWq.div(m), j = m - v * p.Wq;
          ro[mt][h] = smem_u32(Ag) + ((v - rbase) * p.pitchR + p.XOFF + j + lane_k) * (int)sizeof(T);
        }
    }

    // ---- MMA main loop over the k-blocks of this chunk ----
    // Fragments are double-buffered in registers (load k-block kb+1 while the MMAs of kb
    // run): with only 2 warps per scheduler nothing else hides the shared-memory latency.
    {
      const uint32_t As = (q & 1) * p.stage_bytes;
      const uint4* Bk = Bs + (size_t)chunk * p.nkbc * (KB_BYTES / 16) + wn * (NT / 2) * 32 + lane;
      int a = 0, b = 0, cbl = 0;   // tap / channel-block counters of the next k-block to load
      auto load_frag = [&](Frag& f, int kbl) {
        // warp-uniform part of the A address for this k-block (bytes); per-lane parts in ro[][]
        const uint32_t Ak = As + (cbl * KB_CI * p.pitchC - a * p.pitchR - b) * (int)sizeof(T);
        const uint32_t Ak2 = Ak + kstep_hi * (int)sizeof(T);
#pragma unroll
        for (int pp = 0; pp < NT / 2; ++pp) f.b[pp] = Bk[kbl * (KB_BYTES / 16) + pp * 32];
#pragma unroll
        for (int mt = 0; mt < MT; ++mt) {
          if constexpr (F32IN) {
            const uint32_t v0 = lds32(ro[mt][0] + Ak), v1 = lds32(ro[mt][1] + Ak);
            const uint32_t v2 = lds32(ro[mt][0] + Ak2), v3 = lds32(ro[mt][1] + Ak2);
            // TF32: round to nearest (ties away) on the 13 bits the tensor core ignores with
            // one integer add instead of cvt.rna's 3-instruction emulation. inf/NaN may turn
            // into NaN; such outputs are NaN and get re-evaluated by fixup_nans.
            const uint32_t rnd = (MODE == TF32) ? 0x1000u : 0u;
            f.a[mt][0] = v0 + rnd; f.a[mt][1] = v1 + rnd; f.a[mt][2] = v2 + rnd; f.a[mt][3] = v3 + rnd;
          } else {
            const uint32_t pcb = p.pitchC * 2;
            auto ld2 = [&](uint32_t base, uint32_t off) { return lds16(off + base) | (lds16(off + base + pcb) << 16); };
            f.a[mt][0] = ld2(Ak, ro[mt][0]);
            f.a[mt][1] = ld2(Ak, ro[mt][1]);
            f.a[mt][2] = ld2(Ak2, ro[mt][0]);
            f.a[mt][3] = ld2(Ak2, ro[mt][1]);
          }
        }
        if (++b == T_) { b = 0; if (++a == T_) { a = 0; ++cbl; } }
      };
      auto compute = [&](const Frag& f) {
        if constexpr (MODE == F32X3) {
          // 3xTF32: x = hi + lo with both parts tf32; acc += lo*hi + hi*lo + hi*hi.
          uint32_t bh[NT][2], bl[NT][2];
#pragma unroll
          for (int pp = 0; pp < NT / 2; ++pp) {
            const uint32_t u[4] = {f.b[pp].x, f.b[pp].y, f.b[pp].z, f.b[pp].w};
#pragma unroll
            for (int e = 0; e < 4; ++e) {
              const uint32_t hi = (u[e] + 0x1000u) & 0xffffe000u;
              bh[2 * pp + (e >> 1)][e & 1] = hi;
              // |lo| <= 2^-11 |x|: the tensor core's truncation of lo is harmless
              bl[2 * pp + (e >> 1)][e & 1] = __float_as_uint(__uint_as_float(u[e]) - __uint_as_float(hi));
            }
          }
#pragma unroll
          for (int mt = 0; mt < MT; ++mt) {
            uint32_t ah[4], al[4];
#pragma unroll
            for (int e = 0; e < 4; ++e) {
              ah[e] = (f.a[mt][e] + 0x1000u) & 0xffffe000u;
              al[e] = __float_as_uint(__uint_as_float(f.a[mt][e]) - __uint_as_float(ah[e]));
            }
#pragma unroll
            for (int nb = 0; nb < NT; ++nb) {
              mma<MODE>(acc[mt][nb], al, bh[nb][0], bh[nb][1]);
              mma<MODE>(acc[mt][nb], ah, bl[nb][0], bl[nb][1]);
              mma<MODE>(acc[mt][nb], ah, bh[nb][0], bh[nb][1]);
            }
          }
        } else {
#pragma unroll
          for (int mt = 0; mt < MT; ++mt)
#pragma unroll
            for (int nb = 0; nb < NT; ++nb) {
              const uint4& bb = f.b[nb >> 1];
              mma<MODE>(acc[mt][nb], f.a[mt], (nb & 1) ? bb.z : bb.x, (nb & 1) ? bb.w : bb.y);
            }
        }
      };
      const int nk = p.nkbc;
      if constexpr (MODE == F32X3) {
        // no register room for a second fragment set next to the hi/lo splits
#pragma unroll 1
        for (int kbl = 0; kbl < nk; ++kbl) {
          Frag f0;
          load_frag(f0, kbl);
          compute(f0);
        }
      } else {
        Frag f0, f1;
        if (nk > 0) load_frag(f0, 0);
#pragma unroll 1
        for (int kbl = 0; kbl < nk; kbl += 2) {
          if (kbl + 1 < nk) load_frag(f1, kbl + 1);
          compute(f0);
          if (kbl + 2 < nk) load_frag(f0, kbl + 2);
          if (kbl + 1 < nk) compute(f1);
        }
      }
    }

    group_bar(bar_id);   // stage (q&1) may be refilled by pipe.issue(q+2) after this

    if (chunk == p.nchunk - 1) {
      // ---- epilogue: bias, add, min, GELU, mul in registers; direct stores ----
      // The loop over m16 tiles is deliberately NOT unrolled: a fully unrolled epilogue
      // (128 inlined erff) is ~100 KB of straight-line SASS that streams through the
      // instruction cache once per tile (v1 measured 4.5 ms, ~130k cycles per tile).
      // Register arrays need compile-time indices, so the tile in acc[0] is consumed and
      // the remaining tiles are rotated down by one (32 register moves per step).
      bool anynan = false;
#pragma unroll 1
      for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          // Branch-free body: the 16 values of this row go through clamp / erf / mul as
          // independent straight-line chains (ILP; 2 warps per scheduler cannot hide the
          // FMA latency of one chain at a time), validity only predicates the stores.
          const int mr = m0 + wm * WM + mt * 16 + h * 8 + lg;
          const bool mval = mr < p.Mtot;
          int oh0, ow0;
          T* orow = output_row(p, out, mval ? mr : p.Mtot - 1, oh0, ow0);
#pragma unroll
          for (int half = 0; half < 2; ++half) {   // 8 values at a time: ILP without spills
          constexpr int NH = NT / 2;
          float val[NH][2];
          uint32_t ok = 0;
          bool nz = false;
#pragma unroll
          for (int nb = 0; nb < NH; ++nb)
#pragma unroll
            for (int e = 0; e < 2; ++e) {
              const ColInfo c = tab[wn * WN + (half * NH + nb) * 8 + 2 * lt + e];
              const float pre = acc[0][half * NH + nb][2 * h + e] + c.bias;
              anynan |= isnan(pre);
              val[nb][e] = epi.clamp(pre);
              nz |= val[nb][e] != 0.f;
              ok |= (uint32_t)(mval && c.colOff >= 0 && oh0 + c.ph < p.Ho && ow0 + c.pw < p.Wo) << (2 * nb + e);
            }
          // Warp-uniform shortcut: if every clamped value of the warp row is +-0 the erf is
          // skipped (bit-identical result: gelu(+-0) * mul == v * 0.5 * mul). Pays off where
          // most outputs hit the min (torch.rand inputs); costs one vote otherwise.
          if (__any_sync(0xffffffffu, nz)) {
#pragma unroll
            for (int nb = 0; nb < NH; ++nb)
#pragma unroll
              for (int e = 0; e < 2; ++e) val[nb][e] = epi.gelu_mul(val[nb][e]);
          } else {
#pragma unroll
            for (int nb = 0; nb < NH; ++nb)
#pragma unroll
              for (int e = 0; e < 2; ++e) val[nb][e] = epi.zero_mul(val[nb][e]);
          }
#pragma unroll
          for (int nb = 0; nb < NH; ++nb) {
            const int col = wn * WN + (half * NH + nb) * 8 + 2 * lt;
            if (p.pairable) {
              // S == 2 and Wo even: columns (2t, 2t+1) are pw = 0, 1 of one (co, ph);
              // ow0 + 1 < Wo always and the 2-element store is aligned.
              if (ok >> (2 * nb) & 1u) {
                store_pair(orow + tab[col].colOff, val[nb][0], val[nb][1]);
              }
            } else {
#pragma unroll
              for (int e = 0; e < 2; ++e)
                if (ok >> (2 * nb + e) & 1u) orow[tab[col + e].colOff] = from_f<T>(val[nb][e]);
            }
          }
          }
        }
#pragma unroll
        for (int r = 0; r + 1 < MT; ++r)
#pragma unroll
          for (int nb = 0; nb < NT; ++nb)
#pragma unroll
            for (int e = 0; e < 4; ++e) acc[r][nb][e] = acc[r + 1][nb][e];
      }
      // Rare path: the GEMM multiplies zero-padded taps by x, so an inf in x can give NaN
      // where PyTorch gets a number. Any warp that produced a NaN re-evaluates the NaN
      // outputs of its 64x64 tile directly in fp32 (true NaNs stay NaN).
      if (__any_sync(0xffffffffu, anynan)) {
        __syncwarp();
        fixup_nans<T>(p, m0 + wm * WM, WM, nslice * BN + wn * WN, WN, lane, epi);
      }
#pragma unroll
      for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int nb = 0; nb < NT; ++nb)
#pragma unroll
          for (int e = 0; e < 4; ++e) acc[mt][nb][e] = 0.f;
    }
  }
  cp_async_wait<0>();
}

// ========================================================================================
// Hopper path: the same CTA/warp-group structure, the MMA main loop on wgmma. Here the
//   packed-B layout, descriptors, wgmma wrappers and the unpaired epilogue; the SS kernel below.
//   Each warp group is one wgmma warpgroup; its tile is WG_MB m64 row blocks times the CTA's
//   slice, B from the resident shared-memory slice through a descriptor.
// ========================================================================================
constexpr int WG_MB = BM / 64;     // m64 row blocks per warp-group tile

// Packed B in the canonical K-major, non-swizzled wgmma layout: per k-block (32 bytes of
// K per column) and 8-column group, two 8x16-byte core matrices (k bytes 0-15, 16-31).
//   byte(kb, n, kbyte) = kb * (bn * 32) + (n / 8) * 256 + (kbyte / 16) * 128 + (n % 8) * 16 + kbyte % 16
// Descriptor: leading (K) core-matrix offset 128 B, stride (N) core-matrix offset 256 B.
// Exact fp32 (F32X3) stores each weight as two TF32 parts, w = hi + lo: block 2 kb of a slice
// holds hi, block 2 kb + 1 lo, so that the pair is one 2 bn-column block [hi | lo].
// (Vector idx of the packed B; run by prep_wgmma_kernel.)
template <int MODE, typename WT>
__device__ __forceinline__ void pack_b_wgmma_vec(const WT* __restrict__ w, uint4* __restrict__ out, int Cin, int Cout,
                                                 int K, int S, int T_, int nkb, int bn, int bblocks, int idx,
                                                 float scale = 1.f) {
  using T = OpT<MODE>;
  constexpr int KB_CI = Traits<MODE>::KB_CI;
  constexpr int EPV = 16 / (int)sizeof(T);   // elements per 16-byte vector
  const int row = idx & 7, khalf = (idx >> 3) & 1, ng = (idx >> 4) % (bn / 8);
  const int r = idx / (16 * (bn / 8));
  const int kbx = r % bblocks, s = r / bblocks;
  const int kb = MODE == F32X3 ? kbx >> 1 : kbx, part = MODE == F32X3 ? kbx & 1 : 0;
  const int cb = kb / (T_ * T_), a = (kb / T_) % T_, b = kb % T_;
  const int n = s * bn + ng * 8 + row;
  const int co = n / (S * S), ph = (n / S) % S, pw = n % S;
  const int kh = ph + S * a, kw = pw + S * b;
  uint32_t v[4];
  uint16_t* h = reinterpret_cast<uint16_t*>(v);
#pragma unroll
  for (int e = 0; e < EPV; ++e) {
    const int ci = cb * KB_CI + khalf * EPV + e;
    const float f = (ci < Cin && co < Cout && kh < K && kw < K)
                        ? to_f(w[(((int64_t)ci * Cout + co) * K + kh) * K + kw]) : 0.f;
    if constexpr (MODE == TF32) {
      v[e] = f2tf32(f);
    } else if constexpr (MODE == F32X3) {
      const uint32_t hi = f2tf32(f) & 0xffffe000u;
      v[e] = part == 0 ? hi : f2tf32(f - __uint_as_float(hi));
    } else if constexpr (MODE == TF32H) {
      h[e] = tf32h_bits(f, scale);
    } else {
      const T t = from_f<T>(f);
      h[e] = *reinterpret_cast<const uint16_t*>(&t);
    }
  }
  out[idx] = make_uint4(v[0], v[1], v[2], v[3]);
}

__device__ __forceinline__ uint64_t wgmma_desc(uint32_t saddr) {
  return (uint64_t)((saddr & 0x3FFFFu) >> 4) | ((uint64_t)(128 >> 4) << 16) | ((uint64_t)(256 >> 4) << 32);
}
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
template <int N> __device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(N) : "memory");
}
// Pins the accumulators at this point of the program for the compiler: reads after a
// wgmma_wait cannot be hoisted above it.
template <int N>
__device__ __forceinline__ void fence_acc(float (&d)[N]) {
#pragma unroll
  for (int i = 0; i < N; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

//@WGMMA@

// Epilogue of one accumulator row (the BNT columns of one output position): bias, add,
// min, GELU, mul, and one store per existing output. Returns whether any pre-activation was NaN.
template <typename T, int BNT>
__device__ __forceinline__ bool store_row(const Params& p, const float (&acc)[BNT / 2], const ColInfo* tab, int lt,
                                          T* orow, bool mval, int oh0, int ow0, const Epilogue& epi,
                                          float unscale = 1.f) {
  bool anynan = false;
#pragma unroll
  for (int part = 0; part < BNT / 32; ++part) {   // 8 values (4 n8 blocks) at a time: ILP without spills
    float val[4][2];
    int off[4][2];
    uint32_t ok = 0;
    bool nz = false;
#pragma unroll
    for (int nb = 0; nb < 4; ++nb) {
      const int col = (part * 4 + nb) * 8 + 2 * lt;
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const ColInfo c = tab[col + e];
        const float pre = fmaf(acc[(part * 4 + nb) * 4 + e], unscale, c.bias);
        anynan |= isnan(pre);
        val[nb][e] = epi.clamp(pre);
        nz |= val[nb][e] != 0.f;
        off[nb][e] = c.colOff;
        ok |= (uint32_t)(mval && c.colOff >= 0 && oh0 + c.ph < p.Ho && ow0 + c.pw < p.Wo) << (2 * nb + e);
      }
    }
    // Warp-uniform shortcut: all clamped values +-0 -> skip the erf (bit-identical result).
    if (__any_sync(0xffffffffu, nz)) {
#pragma unroll
      for (int nb = 0; nb < 4; ++nb)
#pragma unroll
        for (int e = 0; e < 2; ++e) val[nb][e] = epi.gelu_mul(val[nb][e]);
    } else {
#pragma unroll
      for (int nb = 0; nb < 4; ++nb)
#pragma unroll
        for (int e = 0; e < 2; ++e) val[nb][e] = epi.zero_mul(val[nb][e]);
    }
#pragma unroll
    for (int nb = 0; nb < 4; ++nb)
#pragma unroll
      for (int e = 0; e < 2; ++e)
        if (ok >> (2 * nb + e) & 1u) orow[off[nb][e]] = from_f<T>(val[nb][e]);
  }
  return anynan;
}

// Tile row of accumulator (mb, t*4 + 2h + e) of lane group lg in warp wig, with the SS kernel's
// interleaved m64 blocks (see wgmma_desc_a).
__device__ __forceinline__ int acc_row(int wig, int mb, int h, int lg) { return 32 * wig + 16 * h + 8 * mb + lg; }

// Epilogue of one warp group's BM x BNT tile when the columns do not form output pairs (S != 2 or
// K odd; the pairs take transposed_epilogue): bias, add, min, GELU, mul and the stores.
// Accumulator (mb, t*4 + 2h + e) is row acc_row(wig, mb, h, lg), column t*8 + 2lt + e of the tile.
// unscale: the factor that undoes TF32H's operand scales (1 in the other modes).
template <typename T, int BNT>
__device__ __forceinline__ void unpaired_epilogue(const Params& p, float (&acc)[WG_MB][BNT / 2], const ColInfo* tab,
                                                  int m0, int nslice, int wig, int lane, const Epilogue& epi,
                                                  float unscale) {
  T* out = static_cast<T*>(p.out);
  const int lg = lane >> 2, lt = lane & 3;
  // One accumulator row (BNT values) per iteration; rolled loop (see the
  // mma.sync path: an unrolled exact-erf epilogue overflows the instruction cache), the
  // row being written always sits in acc[0][*][0..1] and the queue
  // (mb 0 row g) (mb 0 row g+8) (mb 1 row g) ... moves down one row per iteration.
  bool anynan = false;
#pragma unroll 1
  for (int rr = 0; rr < 2 * WG_MB; ++rr) {
    const int mr = m0 + acc_row(wig, rr >> 1, rr & 1, lg);
    const bool mval = mr < p.Mtot;
    int oh0, ow0;
    T* orow = output_row(p, out, mval ? mr : p.Mtot - 1, oh0, ow0);
    anynan |= store_row<T, BNT>(p, acc[0], tab, lt, orow, mval, oh0, ow0, epi, unscale);
    // move the row queue down by one
#pragma unroll
    for (int t = 0; t < BNT / 8; ++t)
#pragma unroll
      for (int e = 0; e < 2; ++e) {
#pragma unroll
        for (int mb = 0; mb < WG_MB; ++mb) {
          acc[mb][t * 4 + e] = acc[mb][t * 4 + 2 + e];
          if (mb + 1 < WG_MB) acc[mb][t * 4 + 2 + e] = acc[mb + 1][t * 4 + e];
        }
      }
  }
  if (__any_sync(0xffffffffu, anynan)) {
    __syncwarp();
    fixup_nans<T>(p, m0 + 32 * wig, 32, nslice * BNT, BNT, lane, epi);
  }
}

// ========================================================================================
// SS wgmma kernel (TF32 / bf16 / fp16, and exact fp32 as 3xTF32): both operands from shared memory.
//   A pre-pass writes x once in channels-last order on the GEMM-row grid,
//     xg[quad][halo + m][QE channels]   (QE = 16 bytes of channels, m = (n, v, j), Hq x Wq grid),
//   zero where v >= H, j >= W or c >= Cin (and TF32-rounded in TF32 mode). Rows of one
//   grid row are Wq apart and the rows v >= H and columns j >= W are zero, so tap (a, b)
//   of GEMM row m is row m - a*Wq - b of the same array: one contiguous run of
//   npos = BM + halo rows per quad serves every tap of a tile. A stage is [quad][row][QE],
//   which is the canonical K-major no-swizzle wgmma layout (core matrix = 8 rows x 16 B),
//   so each tap is only a descriptor start address, each chunk's wgmmas issue back to back
//   and the warps do nothing but wait, issue and run the epilogue.
// Exact fp32 (F32X3): x * w = x_hi w_hi + x_lo w_hi + x_hi w_lo with TF32 parts. The stage
//   holds full fp32 x, which the tensor core reads as x_hi (it ignores the low 13 bits), and
//   the warps form x_lo = x - x_hi in registers for a register-A wgmma; so the stages are no
//   larger than in TF32 mode. w_hi and w_lo are both resident, which halves the slice to
//   BNT = 64 columns to fit in shared memory; stored side by side, they make x_hi [w_hi | w_lo]
//   one m64 x 128 product (the tensor cores' best shape), summed in the epilogue.
// ========================================================================================
// The two groups run free (no ping-pong turns; perf log v14, v20): measured faster here, since each group keeps
// chunks of wgmmas in flight, and the other group's epilogue overlaps at random phase.
// A stages per group: chunks on the tensor cores (IN_FLIGHT) + chunks loading. SS_MIN_STAGES decides
// the chunk size. TF32's 128-column slices then take as many stages as shared memory holds beside B,
// up to what the mbarrier area holds: on kernelbench-v0.1 their one-k-block chunks left 46 KB unused
// while 7% of warp samples waited for a stage to land. More stages measured slower for exact fp32
// (+0.05 ms) and bf16 (+0.004 ms), so the other kernels keep SS_MIN_STAGES (perf log v37).
constexpr int SS_MIN_STAGES = 4, SS_MAX_STAGES = MBAR_BYTES / (8 * GROUPS);

// x [Nb, Cin, H, W] -> xg, row r of channel quad `quad` (one 16-byte row per thread:
// consecutive threads take consecutive grid positions, so both the x loads and the xg
// stores are coalesced).
template <int MODE, typename T>
__device__ __forceinline__ void grid_channels_last_row(const T* __restrict__ x, uint4* __restrict__ xg, int Cin,
                                                       int H, int W, int Hq, int Wq, int halo, int Mtot, int rows,
                                                       FastDiv fWq, FastDiv fHq, int quad, int r,
                                                       float scale = 1.f) {
  constexpr int QE = 16 / (int)sizeof(OpT<MODE>);
  if (r >= rows) return;
  const int m = r - halo;
  int64_t base = -1;
  if (m >= 0 && m < Mtot) {
    const int v = fWq.div(m), j = m - v * Wq;
    const int n = fHq.div(v), i = v - n * Hq;
    if (i < H && j < W) base = (((int64_t)n * Cin + quad * QE) * H + i) * W + j;
  }
  uint32_t words[4];
  uint16_t* halves = reinterpret_cast<uint16_t*>(words);
#pragma unroll
  for (int e = 0; e < QE; ++e) {
    const bool in = base >= 0 && quad * QE + e < Cin;
    if constexpr (MODE == TF32) {
      words[e] = f2tf32(in ? x[base + (int64_t)e * H * W] : 0.f);
    } else if constexpr (MODE == F32X3) {
      words[e] = __float_as_uint(in ? x[base + (int64_t)e * H * W] : 0.f);   // full fp32: split in the kernel
    } else if constexpr (MODE == TF32H) {
      halves[e] = tf32h_bits(in ? x[base + (int64_t)e * H * W] : 0.f, scale);
    } else {
      const T v = in ? x[base + (int64_t)e * H * W] : from_f<T>(0.f);
      halves[e] = *reinterpret_cast<const uint16_t*>(&v);
    }
  }
  xg[(int64_t)quad * rows + r] = make_uint4(words[0], words[1], words[2], words[3]);
}

// Everything the wgmma kernels need before they start, in one launch (on small problems
// every launch costs as much as a kernel): blocks [0, pre_blocks) write the channels-last
// copy of x (SS path; none otherwise), row_blocks blocks per channel quad; the remaining
// blocks repack the weights.
constexpr int PREP_THREADS = 256;
// TF32H: the largest finite magnitude of a fixed sample of v[0, count): 64 runs of 16 consecutive values spread
// over it, the same for every block that draws it (block-wide; every thread gets it). Only the speed depends on
// how well it stands for the tensor: operands it puts out of fp16's range take the fp32 fixup.
__device__ __forceinline__ float sampled_maxabs(const float* __restrict__ v, int64_t count, float* part) {
  float m = 0.f;
  const int tid = threadIdx.x;
#pragma unroll
  for (int s = 0; s < 4; ++s) {
    const int64_t idx = (int64_t)(tid / 16 + 16 * s) * (count / 64) + tid % 16;
    if (idx < count) {
      const float a = fabsf(v[idx]);
      if (a <= FLT_MAX) m = fmaxf(m, a);
    }
  }
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
  if ((tid & 31) == 0) part[tid >> 5] = m;
  __syncthreads();
  m = 0.f;
#pragma unroll
  for (int i = 0; i < PREP_THREADS / 32; ++i) m = fmaxf(m, part[i]);
  __syncthreads();   // part is free again
  return m;
}
template <int MODE>
__global__ void __launch_bounds__(PREP_THREADS) prep_wgmma_kernel(const __grid_constant__ Params p, uint4* xg,
                                                                  uint4* bpack, int row_blocks, int pre_blocks,
                                                                  int total_lanes) {
  using T = typename Traits<MODE>::T;
  // The main kernel may launch once every block of this grid has started; its CTAs still wait
  // for this grid's completion (wait_for_prep) before they read anything it writes.
  asm volatile("griddepcontrol.launch_dependents;");
  const int b = blockIdx.x;
  if (p.turn_stats && b == 0 && threadIdx.x < 2) p.turn_stats[2 * (p.turn_gen % 3) + threadIdx.x] = 0;
  if constexpr (MODE == TF32H) {
    // x's blocks (pre_blocks of them) loop over the row blocks of every quad with x's one scale; the weights' blocks
    // pack with theirs. The first block of each writes its exponent for the main kernel.
    __shared__ float part[PREP_THREADS / 32];
    if (b < pre_blocks) {
      const float* x = static_cast<const float*>(p.x);
      const int e = tf32h_exponent(sampled_maxabs(x, (int64_t)p.Nb * p.Cin * p.H * p.W, part));
      if (b == 0 && threadIdx.x == 0) const_cast<int*>(p.exps)[0] = e;
      const int units = row_blocks * (p.CIC / 8 * p.nchunk);   // every quad of xg, padding channels included
      for (int u = b; u < units; u += pre_blocks)
        grid_channels_last_row<MODE, T>(x, xg, p.Cin, p.H, p.W, p.Hq, p.Wq, p.halo, p.Mtot, p.xg_rows, p.fWq, p.fHq,
                                        u / row_blocks, (u % row_blocks) * PREP_THREADS + (int)threadIdx.x,
                                        exp2_int(e));
    } else {
      const int e = tf32h_exponent(sampled_maxabs(static_cast<const float*>(p.w),
                                                  (int64_t)p.Cin * p.Cout * p.K * p.K, part));
      if (b == pre_blocks && threadIdx.x == 0) const_cast<int*>(p.exps)[1] = e;
      const int idx = (b - pre_blocks) * PREP_THREADS + (int)threadIdx.x;
      if (idx < total_lanes)
        pack_b_wgmma_vec<MODE, T>(static_cast<const T*>(p.w), bpack, p.Cin, p.Cout, p.K, p.S, p.T, p.nkb, p.bn,
                                  p.bblocks, idx, exp2_int(e));
    }
  } else if (b < pre_blocks) {
    grid_channels_last_row<MODE, T>(static_cast<const T*>(p.x), xg, p.Cin, p.H, p.W, p.Hq, p.Wq, p.halo, p.Mtot,
                                    p.xg_rows, p.fWq, p.fHq, b / row_blocks,
                                    (b % row_blocks) * PREP_THREADS + (int)threadIdx.x);
  } else {
    const int idx = (b - pre_blocks) * PREP_THREADS + (int)threadIdx.x;
    if (idx < total_lanes)
      pack_b_wgmma_vec<MODE, T>(static_cast<const T*>(p.w), bpack, p.Cin, p.Cout, p.K, p.S, p.T, p.nkb, p.bn,
                                p.bblocks, idx);
  }
}

// A descriptor: K-major, no swizzle; core matrix = 8 rows x 16 bytes (128 B contiguous),
// next channel quad at +slab bytes (leading offset), next 8 rows of the m64 block at +256 B
// (stride offset): the tile's two m64 blocks take alternate 8-row groups, block mb starting
// at row 8 mb, so that each warp's accumulator rows are 32 consecutive tile rows (see the
// pairable epilogue).
constexpr uint32_t A_GROUP_STRIDE = 2 * 8 * 16;
__device__ __forceinline__ uint32_t a_block_offset(int mb) { return (uint32_t)mb * 8 * 16; }
__device__ __forceinline__ uint64_t wgmma_desc_a(uint32_t saddr, uint32_t slab_bytes) {
  return (uint64_t)((saddr & 0x3FFFFu) >> 4) | ((uint64_t)(slab_bytes >> 4) << 16) |
         ((uint64_t)(A_GROUP_STRIDE >> 4) << 32);
}

// Exact fp32 (8 64-column slices on v0.1, which do not divide 132 SMs). The first nsl * gm CTAs
// own one N-slice each and take its tiles [0, reg_tiles) round-robin (unit = tile). The nextra
// CTAs left over share the last `left` tiles of every slice: units slice-major (slice u / left,
// tile reg_tiles + u % left), each extra CTA a contiguous run of them, its two groups alternating.
// An extra CTA reloads B and the column table where its run crosses into the next slice
// (switch_slice in the kernel). Exact fp32 only: in the other modes' kernels the same code measured
// slower (perf log v27).
struct TileSchedule {
  int first, step, count;
  int slice0, last_slice;   // the CTA's first and last N-slice
  bool extra;
  // First unit of extra CTA e's run (the runs split the nsl * left units evenly).
  __device__ static int run_start(const Params& p, int e) {
    return (int)((int64_t)(p.nsl * p.left) * e / p.nextra);
  }
  __device__ static int first_slice(const Params& p) {
    const int nreg = p.nsl * p.gm;
    return blockIdx.x < nreg ? blockIdx.x % p.nsl : p.fleft.div(run_start(p, blockIdx.x - nreg));
  }
  __device__ TileSchedule(const Params& p, int g) {
    const int cta = blockIdx.x, nreg = p.nsl * p.gm;
    extra = cta >= nreg;
    if (!extra) {
      const int mslot = cta / p.nsl;
      first = mslot * GROUPS + g;
      step = GROUPS * p.gm;
      count = group_tiles(first, step, p.reg_tiles);
      slice0 = last_slice = cta % p.nsl;
    } else {
      const int e = cta - nreg, u0 = run_start(p, e), u1 = run_start(p, e + 1);
      first = u0 + g;
      step = GROUPS;
      count = first < u1 ? (u1 - 1 - first) / GROUPS + 1 : 0;
      slice0 = p.fleft.div(u0);
      last_slice = p.fleft.div(u1 - 1);
    }
  }
  __device__ __forceinline__ int unit(int k) const { return first + k * step; }
  __device__ __forceinline__ int tile(const Params& p, int k) const {
    const int u = unit(k);
    return extra ? p.reg_tiles + (u - p.fleft.div(u) * p.left) : u;
  }
  __device__ __forceinline__ int slice(const Params& p, int k) const { return extra ? p.fleft.div(unit(k)) : slice0; }
};

// Exact fp32's A pipeline of one warp group (any tile schedule, extra CTAs included): item q = (the group's
// tile k, chunk c of CIC channels) goes to stage q % nstages: CIC / QE quad slabs of npos rows (npos * 16 bytes),
// one bulk copy per slab.
// Callers count k and c instead of dividing q by nchunk: the refill sits between a chunk's
// retirement and the next chunk's issue, and a runtime division there kept the leader (and with
// it the group's next wgmmas) busy for hundreds of cycles per chunk (perf log v36).
// issue() is called by one thread of the group; the stage mbarrier expects that one arrival.
// NST: the stage count as a constant, or 0 for p.nstages. The copies stay a loop over the run-time slab count:
// written out, they measured 7 us slower here (perf log v59). The other kernels' SsCursorPipe, generalized to this
// schedule and serving exact fp32 too, measured 51 us slower for it (perf log, twenty-sixth session: `pu`), so
// exact fp32 keeps this pipe.
template <typename Schedule, int NST>
struct SsPipe {
  const Params& p;
  uint32_t stages, bars;   // this group's stages and mbarriers (shared-memory addresses)
  const Schedule& sched;
  int nitems, quads;
  __device__ __forceinline__ int nstages() const { return NST > 0 ? NST : p.nstages; }
  __device__ __forceinline__ uint32_t lap(int q) const { return NST > 0 ? (uint32_t)q / NST : p.fnstages.div(q); }
  __device__ __forceinline__ uint32_t slot(int q) const { return (uint32_t)q - lap(q) * nstages(); }
  // Loads item q + ahead, where item q is chunk c of the group's tile k.
  __device__ __forceinline__ void issue(int q, int k, int c, int ahead) const {
    if (q + ahead >= nitems) return;
    for (c += ahead; c >= p.nchunk; c -= p.nchunk) ++k;
    const uint32_t stage = stages + slot(q + ahead) * p.stage_bytes, bar = bars + 8 * slot(q + ahead);
    const int slab = p.npos * 16;
    // xg row of GEMM row m is m + halo, so the tile's first A row (m0 - halo) is row m0
    const uint4* src = p.xg + (int64_t)c * quads * p.xg_rows + (int64_t)sched.tile(p, k) * BM;
    mbar_arrive_expect_tx(bar, (uint32_t)p.stage_bytes);
    for (int j = 0; j < quads; ++j) bulk_copy_g2s(stage + j * slab, src + (int64_t)j * p.xg_rows, slab, bar);
  }
  __device__ __forceinline__ void wait(int q) const { mbar_wait(bars + 8 * slot(q), lap(q) & 1); }
};

// The stage ring both cursor pipes share: NST (or p.nstages) stages of p.stage_bytes with one full mbarrier each,
// and the consumer's cursor (the next stage to consume and its phase parity).
template <int NST>
struct StageRing {
  const Params& p;
  const uint32_t stages, bars;
  uint32_t use_slot = 0, use_parity = 0;
  __device__ __forceinline__ uint32_t nstages() const { return NST > 0 ? NST : p.nstages; }
  __device__ __forceinline__ uint32_t stage(uint32_t slot) const { return stages + slot * p.stage_bytes; }
  // Waits for the next stage to consume and returns its address.
  __device__ __forceinline__ uint32_t wait_next() const {
    mbar_wait(bars + 8 * use_slot, use_parity);
    return stage(use_slot);
  }
  __device__ __forceinline__ void consumed() {
    if (++use_slot == nstages()) {
      use_slot = 0;
      use_parity ^= 1;
    }
  }
};

// The A pipeline of one group of the other modes' kernels (round-robin tiles), as two cursors carried from item
// to item: the next load (stage slot, chunk, tile, source) and the next stage to consume (slot, parity). Each step
// is an add and a wrap instead of a rebuild from the item index. A TF32 group alone walks the path from a chunk's
// retirement to the next chunk's issue once per chunk, and that path, not the copies, paces it (perf log
// "What the epilogue and the turns cost"); with the cursors and a converged issuing warp it holds 80 instructions
// in the TF32 paired kernel, against 149 in v59 (perf log v60 / v61).
// issue() is called by the whole first warp of the group, converged: elect_one picks the lane that issues, and the
// other lanes keep the same cursor. The copies of the quad slabs are straight-line code for the two counts there
// are (CIC is one or two k-blocks, QE channels a quad: 2 or 4 slabs; perf log v59). TMA: the kernel's type may
// take one TMA tensor copy per item (16-bit types only, so the 32-bit kernels keep their code unchanged).
template <int NST, bool TMA>
struct SsCursorPipe : StageRing<NST> {
  using Ring = StageRing<NST>;
  using Ring::p, Ring::bars, Ring::nstages, Ring::stage;
  const int step;    // tiles between the group's consecutive tiles
  const int quads;   // quad slabs per chunk: 2 or 4
  // next item to load (the issuing warp's)
  int load_left, load_chunk, load_tile;
  uint32_t load_slot;
  const uint4* load_src;
  template <typename Schedule>
  __device__ SsCursorPipe(const Params& p_, uint32_t stages_, uint32_t bars_, const Schedule& sched, int nitems,
                          int quads_)
      : Ring{p_, stages_, bars_}, step(sched.step), quads(quads_), load_left(nitems), load_chunk(0),
        load_tile(sched.first), load_slot(0), load_src(p_.xg + (int64_t)sched.first * BM) {}
  __device__ __forceinline__ void issue() {
    if (load_left == 0) return;
    --load_left;
    const uint32_t stage_addr = stage(load_slot), bar = bars + 8 * load_slot;
    const bool one = elect_one();
    mbar_arrive_expect_tx_if(one, bar, (uint32_t)p.stage_bytes);
    if (TMA && p.tma) {
      tma_copy_3d_if(one, stage_addr, &p.xgmap, load_tile * (BM / 16), load_chunk * quads, bar);
    } else {
      const uint32_t slab = p.npos * 16;
      const uint4* src2 = load_src + 2 * (int64_t)p.xg_rows;
      bulk_copy_g2s_if(one, stage_addr, load_src, slab, bar);
      bulk_copy_g2s_if(one, stage_addr + slab, load_src + p.xg_rows, slab, bar);
      if (quads == 4) {
        bulk_copy_g2s_if(one, stage_addr + 2 * slab, src2, slab, bar);
        bulk_copy_g2s_if(one, stage_addr + 3 * slab, src2 + p.xg_rows, slab, bar);
      }
    }
    // the next chunk's slabs follow this one's in xg; the next tile starts step tiles on, at chunk 0 (xg row of
    // GEMM row m is m + halo, so a tile's first A row, m0 - halo, is xg row m0)
    if (++load_chunk == p.nchunk) {
      load_chunk = 0;
      load_tile += step;
      load_src = p.xg + (int64_t)load_tile * BM;
    } else {
      load_src += (int64_t)quads * p.xg_rows;
    }
    if (++load_slot == nstages()) load_slot = 0;
  }
};

// ---- Exact fp32's A straight from NCHW x (T = 2, pairable 64-column slices) ----
// TF32 wgmma reads A from shared memory only K-major, which is why the other paths copy x channels-last in a
// pre-pass. Exact fp32 loads every A word into registers anyway (its residual x_lo), so here both its products
// take A from registers, loaded from M-major stages that TMA fills from x as it lies, and the copy is gone
// (kernelbench-v0.1, H100, against the copy: -47 us on torch.rand, -133 on randn). TF32 and bf16 read this way
// lost (+87 us and, on randn, +198: perf log v101): their SS wgmmas read A from shared memory at no issue cost,
// and the fragment loads cost more than the copy. GEMM row m = (R, j), R = n Hq + i the flattened grid row;
// tap (a, b) reads x row i - a, column j - b. Rows i = H (one per image, Hq = H + 1) and columns -1 and W are
// zero: TMA's out-of-bounds fill. A stage holds the grid rows R0 - 1 .. R0 + xa_slots - 2 of the tile's first row
// R0, a k-block of 8 channels each, in two halves of XA_BOXW columns: x columns from -XA_LEAD and from
// XA_BOXW - XA_LEAD. A box's first column must lie on a 16-byte boundary of the row: from column
// -1 (the obvious start) every copy faulted as an illegal instruction (H100, perf log "XA's illegal instruction":
// the same copy from column 0 passed, from -1 failed in 3D and 4D, in a struct or alone, any dtype or destination).
// A row takes two boxes of XA_BOXW <= W columns (a box no larger than x's rows), and columns
// W .. 2 XA_BOXW - XA_LEAD - 1 come as out-of-bounds zeros.
constexpr int XA_BOXW = 40;   // 40 words = 8 banks mod 32 between channels, so the 4 channel columns of a fragment
                              // load fall on disjoint banks
constexpr int XA_LEAD = 4;    // columns before column 0: 16 bytes
constexpr int XA_CH_BYTES = XA_BOXW * 4;        // one channel's columns in a half
constexpr int XA_SLOT_BYTES = 8 * XA_CH_BYTES;  // one grid row's half: a k-block of 8 channels
template <int NST, typename Schedule>
struct XaPipe : StageRing<NST> {
  using Ring = StageRing<NST>;
  using Ring::p, Ring::bars, Ring::nstages, Ring::stage;
  const Schedule& sched;
  // next item to load (the issuing warp's): its stage slot, chunk, the group's tile k and its tile, the image / row
  // of its first grid row and whether the stage's rows lie in one image (one box a half then)
  int load_left, load_chunk, load_k, load_tile, load_n, load_i;
  bool load_one;
  uint32_t load_slot;
  __device__ XaPipe(const Params& p_, uint32_t stages_, uint32_t bars_, const Schedule& sched_, int nitems, int)
      : Ring{p_, stages_, bars_}, sched(sched_), load_left(nitems), load_chunk(0), load_k(0),
        load_tile(sched_.tile(p_, 0)), load_slot(0) {
    first_row();
  }
  // load_tile's first grid row R0 = (n, i). The stage's rows i - 1 .. i + xa_slots - 2 of image n (row -1 and the
  // pad row H are zeros, as the pad row H of image n - 1 that R0 - 1 is when i = 0) fit one box if the last is at
  // most H; otherwise one box a row from R0 - 1 = (n, i - 1), or (n - 1, H) when i = 0 (for n = 0 out of bounds).
  __device__ __forceinline__ void first_row() {
    const int r = p.fWq.div(load_tile * BM);
    load_n = p.fHq.div(r);
    load_i = r - load_n * p.Hq;
    load_one = p.xa_tilebox && load_i + p.xa_slots - 2 <= p.H;
  }
  // The whole first warp of the group, converged; one elected lane issues.
  __device__ __forceinline__ void issue() {
    if (load_left == 0) return;
    --load_left;
    const uint32_t stage_addr = stage(load_slot), bar = bars + 8 * load_slot;
    const uint32_t half2 = stage_addr + p.xa_half_bytes;
    if (elect_one()) {
      mbar_arrive_expect_tx(bar, (uint32_t)p.stage_bytes);   // out-of-bounds fill counts as bytes
      if (load_one) {
        tma_copy_4d(stage_addr, &p.xtmap, -XA_LEAD, load_chunk * p.CIC, load_i - 1, load_n, bar);
        tma_copy_4d(half2, &p.xtmap, XA_BOXW - XA_LEAD, load_chunk * p.CIC, load_i - 1, load_n, bar);
      } else {
        int n = load_i > 0 ? load_n : load_n - 1, i = load_i > 0 ? load_i - 1 : p.H;
        for (int s = 0; s < p.xa_slots; ++s) {
          tma_copy_4d(stage_addr + s * XA_SLOT_BYTES, &p.xmap, -XA_LEAD, i, load_chunk * p.CIC, n, bar);
          tma_copy_4d(half2 + s * XA_SLOT_BYTES, &p.xmap, XA_BOXW - XA_LEAD, i, load_chunk * p.CIC, n, bar);
          if (++i == p.Hq) {
            i = 0;
            ++n;
          }
        }
      }
    }
    __syncwarp();
    if (++load_chunk == p.nchunk) {
      load_chunk = 0;
      load_tile = sched.tile(p, ++load_k);
      first_row();
    }
    if (++load_slot == nstages()) load_slot = 0;
  }
};

// ---- pairable epilogue of the SS kernel (S == 2, K even: every GEMM row is a pw pair of two output rows) ----
// The wgmma fragments put 4 (co, ph) output rows x 8 positions under one warp store, which
// runs at a third of HBM speed (perf log, v8 runs C/F); one (co, ph) row x 32 consecutive
// positions per store runs near the best plain-store pattern (store patterns 3, 5 and 14).
// The SS kernel's A descriptors interleave the 8-row groups of the tile's two m64 blocks
// (see wgmma_desc_a), so warp wig's accumulator rows are the 32 consecutive tile rows
// 32 wig + 8 q + lg, q = 2 h + mb. In each n8 block lane (lg, lt) holds column pair lt
// (one (co, ph), both pw) at the 4 rows q; a 4 x 4 transposition over the lanes of a quad
// turns that into all 4 pairs at the one row q = lt. Each of the block's 4 stores then
// covers one (co, ph) at 32 consecutive positions, with no shared memory and no barrier.
static_assert(WG_MB == 2, "the row interleave pairs two m64 blocks");

// The transposition's two butterfly stages: lanes 2 (then 1) apart in the quad swap the
// halves (then the odd / even slots) that the other lane needs.
__device__ __forceinline__ void quad_transpose(float2 (&v)[4], int lt) {
#pragma unroll
  for (int step = 0; step < 2; ++step) {
    const int d = step == 0 ? 2 : 1;
    const bool upper = lt & d;
#pragma unroll
    for (int i = 0; i < 2; ++i) {
      const int lo = step == 0 ? i : 2 * i, hi = lo + d;   // slots (lo, hi): this lane keeps one, sends the other
      const float2 send = upper ? v[lo] : v[hi];
      float2 recv;
      recv.x = __shfl_xor_sync(0xffffffffu, send.x, d);
      recv.y = __shfl_xor_sync(0xffffffffu, send.y, d);
      if (upper) v[lo] = recv;
      else v[hi] = recv;
    }
  }
}

// The same transposition through a warp's 1 KB of shared memory, for the 64-column kernels built for two CTAs per SM
// (kernelbench-v0: 24 selects and 8 shuffles a block become 2 stmatrix and 2 128-bit loads; perf log v85-v89). Register
// (q, c) of lane (lg, lt) is the 4 bytes at byte 4 lt of row lg of an 8 x 16-byte stmatrix matrix, which holds row
// 8 q + lg's component c of the four pairs: 128-bit row (q, c, lg) is the block's pairs at that row, what lane
// (lg, q) loads. Matrix (q, c) is 128-byte line 2 q + c, its row lg at 16-byte slot lg ^ 2 q, so that the 8 lanes
// of each quarter warp load from 8 different bank groups (a CPU emulation checked the moves and the banks).
constexpr int XPOSE_BYTES = 1024;   // per warp
struct SmemTranspose {
  uint32_t wr, rd;   // this lane's stmatrix row address for pairs 0-1 (pairs 2-3: wr ^ 64, + 512), its load address
  // scratch is 128-byte aligned (as Abase; the stages take a multiple of 256 bytes), so flipping bit 6 of wr
  // stays in its 128-byte line
  __device__ SmemTranspose(uint32_t scratch, int lane) {
    const int j = lane >> 3, i = lane & 7, lg = lane >> 2, lt = lane & 3;
    wr = scratch + j * 128 + (i ^ (j & 2)) * 16;
    rd = scratch + 2 * lt * 128 + (lg ^ (2 * lt)) * 16;
    // held for the whole epilogue: rebuilt in every block they cost more than the shuffles they replace
    asm("" : "+r"(wr), "+r"(rd));
  }
  __device__ __forceinline__ void operator()(float2 (&v)[4]) const {
    __syncwarp();   // every lane's loads of the previous block before these rows
    asm volatile("stmatrix.sync.aligned.m8n8.x4.shared.b16 [%0], {%1, %2, %3, %4};" ::"r"(wr),
                 "f"(v[0].x), "f"(v[0].y), "f"(v[1].x), "f"(v[1].y) : "memory");
    asm volatile("stmatrix.sync.aligned.m8n8.x4.shared.b16 [%0], {%1, %2, %3, %4};" ::"r"((wr ^ 64) + 512),
                 "f"(v[2].x), "f"(v[2].y), "f"(v[3].x), "f"(v[3].y) : "memory");
    __syncwarp();   // the other lanes' rows before the loads
    float4 xs, ys;
    asm volatile("ld.shared.v4.f32 {%0, %1, %2, %3}, [%4];" : "=f"(xs.x), "=f"(xs.y), "=f"(xs.z), "=f"(xs.w)
                 : "r"(rd) : "memory");
    asm volatile("ld.shared.v4.f32 {%0, %1, %2, %3}, [%4];" : "=f"(ys.x), "=f"(ys.y), "=f"(ys.z), "=f"(ys.w)
                 : "r"(rd + 128) : "memory");
    v[0] = make_float2(xs.x, ys.x);
    v[1] = make_float2(xs.y, ys.y);
    v[2] = make_float2(xs.z, ys.z);
    v[3] = make_float2(xs.w, ys.w);
  }
};

// Stores one n8 block's 4 column pairs at this lane's position. Pair s is channel s / 2 of the
// block's two (`chan` points at the first one's phase-0 row), phase row s % 2; `channels` of the
// two exist (Cout need not fill the slice). The offsets follow from the column order (co, ph, pw),
// so no column table is read. FORM: the values are stored as they are, or through one of the GELUs.
// How a block's values and stores are ordered. PER_PAIR: each pair's values, then its store behind a branch; a GELU's
// math for the pair then runs inside the branch, one pair at a time. VALUES_FIRST: the four pairs' values, then the
// stores behind branches. PREDICATED: the four pairs' values, then the stores under predicates with no branch around
// them (store_pair_if), so that a block's GELUs run interleaved. For the all-zero blocks' constants the first two
// differ only in the code ptxas makes of the whole kernel (perf log v74-v77).
enum GeluForm : int { STORED_AS_IS, GELU_NEAR0, GELU_FULL, GELU_FULL_VIA_T };
enum StoreOrder : int { PER_PAIR, VALUES_FIRST, PREDICATED };
template <typename T, int FORM, int ORDER>
__device__ __forceinline__ void store_block(T* chan, int plane, int row, bool valid, int channels,
                                            const float2 (&v)[4], const Epilogue& epi) {
  const auto value = [&](float x) {
    if constexpr (FORM == GELU_NEAR0) return epi.gelu_mul_near0(x);
    else if constexpr (FORM == GELU_FULL) return epi.gelu_mul(x);
    else if constexpr (FORM == GELU_FULL_VIA_T) return epi.gelu_mul_via_t(x);
    else return x;
  };
  if constexpr (ORDER == PER_PAIR) {
#pragma unroll
    for (int s = 0; s < 4; ++s) {
      const float a = value(v[s].x), b = value(v[s].y);
      if (valid && s / 2 < channels) store_pair(chan + (s / 2) * plane + (s % 2) * row, a, b);
    }
  } else {
    float2 out[4];
#pragma unroll
    for (int s = 0; s < 4; ++s) out[s] = make_float2(value(v[s].x), value(v[s].y));
#pragma unroll
    for (int s = 0; s < 4; ++s) {
      T* dst = chan + (s / 2) * plane + (s % 2) * row;
      if constexpr (ORDER == PREDICATED) store_pair_if(valid && s / 2 < channels, dst, out[s].x, out[s].y);
      else if (valid && s / 2 < channels) store_pair(dst, out[s].x, out[s].y);
    }
  }
}

// A warp's all-zero blocks of one tile, left for the group's next tile to store (TF32's 128-column kernel): a few
// after each chunk's wgmma issue, while the tensor cores run. Their value is one constant, so they hold no registers
// but their place. Stored in the epilogue, a tile's 64 KB come as one burst that the memory system holds back, and
// the group's warps wait on it with no tensor work of their own in flight (H100, kernelbench-v0.1 torch.rand: TF32
// 39-43 us faster deferred: perf log v99). A warp defers only after a tile in which at least half its blocks were
// all-zero. On randn inputs, where about a fifth are, deferring cost TF32 52 us; storing them in the epilogue as
// before v99 takes 19 us of that back (perf log v103).
template <typename T>
struct DeferredZeros {
  T* chan;        // block 0's first store (position order)
  int cleft;      // channels of the slice left from block 0
  uint32_t mask;  // bit t: block t not stored yet (bit 31: this lane's position is valid)
  bool defer = true;   // this tile's all-zero blocks are left for the next tile
  __device__ __forceinline__ void store(const Params& p, const Epilogue& epi, int first, int end) {
    const float z = epi.zero_mul(0.f);
    const float2 zeros[4] = {{z, z}, {z, z}, {z, z}, {z, z}};
    const int plane = p.Ho * p.Wo;
#pragma unroll 1
    for (int t = first; t < end; ++t)
      if (mask >> t & 1)
        store_block<T, STORED_AS_IS, PER_PAIR>(chan + (int64_t)(2 * t) * plane, plane, p.Wo, (int)mask < 0,
                                               cleft - 2 * t, zeros, epi);
    mask &= ~(((1u << (end - first)) - 1u) << first) | 0x80000000u;
  }
};

// NEAR0_FORM: blocks near 0 may take gelu_mul_near0. Exact fp32 keeps gelu_mul alone: with both forms it measured
// 11.5 us slower on kernelbench-v0.1 (torch.rand, where nearly every block is all-zero) and no faster on randn
// (perf log v72).
// ZERO_ORDER, GELU_ORDER: store_block's order for the all-zero blocks and for the GELU blocks. The 16-bit and exact
// kernels store the GELU blocks under predicates: randn inputs measured 69 us faster for bf16. TF32's 128-column
// kernels keep v73's PER_PAIR everywhere: on kernelbench-v0.1 (torch.rand, nearly every block all-zero) v76's orders
// measured 3 us faster below ~1900 MHz but 37-59 us slower at the 1980 MHz boost clock, where run.py's calls run,
// although they change only code that such inputs rarely run (perf log v74-v77, and the thirty-third session's
// entry). TF32's 64-column kernel, with the transposition through shared memory, predicates its GELU blocks' stores
// like the 16-bit kernels (perf log v85-v89).
// SMEM_XPOSE: the quad transposition through shared memory (SmemTranspose at `scratch`), else by shuffles.
// DEFER: the all-zero blocks are left in *dz for the next tile's chunk loop (DeferredZeros).
template <typename T, int BNT, bool NEAR0_FORM, int ZERO_ORDER, int GELU_ORDER, bool SMEM_XPOSE, bool DEFER = false,
          bool SCALED = false>
__device__ __forceinline__ int transposed_epilogue(const Params& p, float (&acc)[WG_MB][BNT / 2], const ColInfo* tab,
                                                    int m0, int nslice, int wig, int lane, const Epilogue& epi,
                                                    uint32_t scratch, DeferredZeros<T>* dz = nullptr,
                                                    float unscale = 1.f) {
  const int lt = lane & 3;
  const int m = m0 + 32 * wig + 8 * lt + (lane >> 2);   // this lane's row after the transposition
  const bool valid = m < p.Mtot;
  int oh0, ow0;
  T* orow = output_row(p, static_cast<T*>(p.out), valid ? m : p.Mtot - 1, oh0, ow0);
  const float zero_out = epi.zero_mul(0.f);
  const float2 zeros[4] = {{zero_out, zero_out}, {zero_out, zero_out}, {zero_out, zero_out}, {zero_out, zero_out}};
  // min.NaN returns the canonical NaN, 0x7fffffff: the one clamped value whose bits are a positive int (+0 is 0,
  // the others negative). So the lane's largest clamped bits as an int are positive exactly when it met a NaN:
  // three-input integer maxes instead of a test per value.
  // Exact fp32 (!NEAR0_FORM) keeps the test per value (see gelu_mul_via_t).
  int nan_bits = 0;
  bool anynan = false;
  // n8 block t holds the slice's channels 2t and 2t + 1, phase rows 0 and 1 (pw in the pair)
  const int plane = p.Ho * p.Wo, slice_co = nslice * (BNT / 4), cleft = p.Cout - slice_co;
  T* chan = orow + (int64_t)slice_co * plane;
  // All-zero blocks store one constant, so their lanes may take any of the warp's 32 positions. In position
  // order each half-warp's 8-byte stores cover 16 consecutive positions (128 contiguous bytes unless they cross a
  // grid row) instead of the transposed order's four 32-byte pieces: 39% fewer L1 data-stage wavefronts for the
  // stores, a stage the wgmma operands also use. Only TF32's 128-column kernels take it: exact fp32 measured slower
  // with it, the 64-column TF32 kernel no faster, and 16-bit stores take one pass per warp in either order (perf
  // log v69).
  T* zchan = chan;   // where this lane stores the all-zero blocks
  bool zvalid = valid;
  if constexpr (sizeof(T) == 4 && BNT == 128) {
    const int mz = m0 + 32 * wig + lane;
    zvalid = mz < p.Mtot;
    zchan = output_row(p, static_cast<T*>(p.out), zvalid ? mz : p.Mtot - 1, oh0, ow0) + (int64_t)slice_co * plane;
  }
  // Each n8 block opens with a warp vote: does every pre-activation of the block clamp to +0? With
  // positive-leaning pre-activations (torch.rand inputs) most blocks do, and every output is then
  // zero_mul(+0): no clamp, no transposition, no erf. A sum clamps to +0 exactly when it lies in
  // [+0, +inf], i.e. when its bits, read unsigned, are at most those of +inf (-0, negatives and NaNs
  // are larger), so the test costs one integer max per value.
  // 16-bit outputs take every block's vote before the first store: bf16 measured 11 us faster that way
  // on kernelbench-v0.1, TF32 4.5 us slower, so the 32-bit kernels vote block by block (perf log v64).
  constexpr bool VOTES_FIRST = sizeof(T) == 2;
  static_assert(!(SCALED && VOTES_FIRST), "scaled operands: 32-bit outputs only");
  if constexpr (DEFER)
    *dz = DeferredZeros<T>{zchan, cleft, zvalid ? 0x80000000u : 0u, dz->defer};
  [[maybe_unused]] int zero_count = 0;   // DEFER: this tile's all-zero blocks (the next tile's choice, TurnChoice)
  [[maybe_unused]] const SmemTranspose xpose(scratch, lane);
  uint32_t zero_blocks = 0;   // VOTES_FIRST: bit t set when block t clamps to +0
  if constexpr (VOTES_FIRST) {
#pragma unroll
    for (int t = 0; t < BNT / 8; ++t) {
      const float badd = tab[t * 8 + 2 * lt].bias + epi.add;
      uint32_t top = 0;
#pragma unroll
      for (int q = 0; q < 4; ++q) {
        const float* a = &acc[q & 1][t * 4 + 2 * (q >> 1)];
        top = max(top, max(__float_as_uint(add_unshared(a[0], badd)), __float_as_uint(add_unshared(a[1], badd))));
      }
      zero_blocks |= (uint32_t)!__any_sync(0xffffffffu, top > 0x7f800000u) << t;
    }
  }
#pragma unroll
  for (int t = 0; t < BNT / 8; ++t, chan += 2 * plane, zchan += 2 * plane) {
    if (VOTES_FIRST && (zero_blocks >> t & 1)) {
      store_block<T, STORED_AS_IS, ZERO_ORDER>(zchan, plane, p.Wo, zvalid, cleft - 2 * t, zeros, epi);
      continue;
    }
    const float badd = tab[t * 8 + 2 * lt].bias + epi.add;
    float2 v[4];
    uint32_t top = 0;   // the lane's largest bits: its most negative value, if it has one (or a NaN)
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const float* a = &acc[q & 1][t * 4 + 2 * (q >> 1)];
      if constexpr (SCALED) v[q] = make_float2(fmaf(a[0], unscale, badd), fmaf(a[1], unscale, badd));
      else v[q] = make_float2(a[0] + badd, a[1] + badd);
      top = max(top, max(__float_as_uint(v[q].x), __float_as_uint(v[q].y)));
    }
    if (!VOTES_FIRST && !__any_sync(0xffffffffu, top > 0x7f800000u)) {
      if constexpr (DEFER) {
        ++zero_count;
        if (dz->defer) {
          dz->mask |= 1u << t;
          continue;
        }
      }
      store_block<T, STORED_AS_IS, ZERO_ORDER>(zchan, plane, p.Wo, zvalid, cleft - 2 * t, zeros, epi);
      continue;
    }
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      v[q] = make_float2(min0_nan(v[q].x), min0_nan(v[q].y));
      if constexpr (NEAR0_FORM) nan_bits = max(nan_bits, max(__float_as_int(v[q].x), __float_as_int(v[q].y)));
      else anynan |= isnan(v[q].x) || isnan(v[q].y);
    }
    if constexpr (SMEM_XPOSE) xpose(v);
    else quad_transpose(v, lt);
    // Blocks whose negative values all lie within NEAR0 of 0 take the GELU without MUFU (the most negative value
    // has the largest bits of the lane; a NaN passes either way).
    if (NEAR0_FORM && __all_sync(0xffffffffu, top <= __float_as_uint(-Epilogue::NEAR0)))
      store_block<T, GELU_NEAR0, GELU_ORDER>(chan, plane, p.Wo, valid, cleft - 2 * t, v, epi);
    else
      store_block<T, NEAR0_FORM ? GELU_FULL : GELU_FULL_VIA_T, GELU_ORDER>(chan, plane, p.Wo, valid, cleft - 2 * t, v,
                                                                          epi);
  }
  // Outputs whose pre-activation was NaN are re-evaluated directly (their rows: this warp's 32).
  if (__any_sync(0xffffffffu, nan_bits > 0 || anynan)) {
    if constexpr (DEFER) dz->store(p, epi, 0, BNT / 8);   // fixup_nans reads the warp's outputs
    __syncwarp();
    fixup_nans<T>(p, m0 + 32 * wig, 32, nslice * BNT, BNT, lane, epi);
  }
  if constexpr (DEFER) dz->defer = 2 * zero_count >= BNT / 8;
  return VOTES_FIRST ? __popc(zero_blocks) : zero_count;
}

// Whether a call's groups take turns (the 128-column paired kernels). The turns win where tiles are mostly all-zero
// (kernelbench-v0.1 torch.rand: TF32 34 us) and lose where most blocks go through the GELU (randn: TF32 72 us, perf
// log v103, call BF; bf16 21 us, perf log v110). The choice follows the share of all-zero blocks in the call before
// on this stream: every CTA reads the same slot, so both groups of a CTA choose alike (each turn wait needs the other
// group's pass). It changes only the schedule. For TF32 an output in compressible memory overrides it
// (Params::free_groups).
struct TurnChoice {
  __device__ static bool turns(const Params& p) {
    if (!p.turn_stats) return true;
    const int* last = p.turn_stats + 2 * ((p.turn_gen + 2) % 3);
    const int zeros = last[0], blocks = last[1];
    return blocks == 0 || 2 * zeros >= blocks;
  }
  __device__ static void count(const Params& p, int zeros, int blocks, int lane) {
    if (p.turn_stats && lane == 0) {
      int* slot = p.turn_stats + 2 * (p.turn_gen % 3);
      atomicAdd(slot, zeros);
      atomicAdd(slot + 1, blocks);
    }
  }
};

// x_lo of an fp32 value for the register-A wgmma: x minus the TF32 part the tensor core
// reads (low 13 bits cleared), with +0x1000 so that the tensor core's truncation of x_lo
// rounds to nearest. inf/NaN x gives NaN (the NaN fixup then recomputes those outputs).
__device__ __forceinline__ uint32_t tf32_residual(uint32_t xb) {
  const float x = __uint_as_float(xb), hi = __uint_as_float(xb & 0xffffe000u);
  return __float_as_uint(x - hi) + 0x1000u;
}

// CTAs per SM the SS kernel is built for. A 64-column slice outside exact fp32 holds 32
// accumulators per thread, so it fits in 128 registers (a few bytes of spill) and two CTAs per SM
// put twice the warps in flight: small problems, whose groups run only a few tiles each, wait on
// latency more than on any unit (kernelbench-v0: 10% faster, perf log v25).
__host__ __device__ constexpr int ss_ctas_per_sm(int mode, int bnt) { return bnt == 64 && mode != F32X3 ? 2 : 1; }
// The kernels built for two CTAs per SM transpose their epilogue blocks through shared memory (SmemTranspose): the
// scratch each CTA holds after its A stages, for the host's budget and the kernel's layout alike.
__host__ __device__ constexpr int ss_xpose_bytes(int mode, int bnt) {
  return ss_ctas_per_sm(mode, bnt) == 2 ? THREADS / 32 * XPOSE_BYTES : 0;
}
// The kernels with SS_MIN_STAGES as their maximum also take it as a compile-time constant.
__host__ __device__ constexpr int ss_max_stages(int mode, int bnt) {
  return tf32_family(mode) && bnt == 128 ? SS_MAX_STAGES : SS_MIN_STAGES;
}

// TAPS: T as a compile-time constant (unrolled taps), or 0 for any T (F32X3 needs TAPS > 0 and
// CIC = KB_CI: its x_lo fragments for a whole chunk live in registers). BNT: GEMM columns per CTA.
// PAIRED: p.pairable, as a template argument so each kernel holds only the epilogue it runs.
// XA: exact fp32's A from registers, loaded from stages of NCHW x (XaPipe; TAPS = 2, one k-block per chunk).
// The SS kernels whose all-zero blocks wait for the next tile (DeferredZeros).
__host__ __device__ constexpr bool defers_zero_blocks(int mode, int bnt, bool paired) { return tf32_family(mode) && bnt == 128 && paired; }
// The SS kernels whose turns TurnChoice picks: TF32's deferring kernel, and the 16-bit 128-column paired kernels, which
// count the all-zero blocks of their votes (bf16 randn -21 us, torch.rand unchanged: perf log v110).
__host__ __device__ constexpr bool counts_zero_blocks(int mode, int bnt, bool paired) {
  return bnt == 128 && paired && (tf32_family(mode) || mode == BF16 || mode == F16);
}
template <int MODE, int TAPS, int BNT, bool PAIRED, bool XA = false>
__global__ void __launch_bounds__(THREADS, ss_ctas_per_sm(MODE, BNT)) ct93_wgmma_ss_kernel(const __grid_constant__ Params p) {
  using T = typename Traits<MODE>::T;
  constexpr bool SPLIT = MODE == F32X3;
  constexpr int MMA_MODE = SPLIT ? TF32 : MODE == TF32H ? F16 : MODE;
  constexpr int KB_CI = Traits<MODE>::KB_CI;
  constexpr int QE = 16 / (int)sizeof(OpT<MODE>);
  constexpr int KBB = BNT * 32 * (SPLIT ? 2 : 1);   // packed B bytes per k-block ([w_hi | w_lo] for F32X3)
  const size_t b_bytes = (size_t)p.bblocks * BNT * 32;   // resident B (bblocks counts BNT-column blocks)
  // F32X3 accumulates x_hi [w_hi | w_lo] in one m64 x 2 BNT product; x_lo w_hi goes to the w_hi half
  constexpr int ACC = SPLIT ? BNT : BNT / 2;
  static_assert(!SPLIT || TAPS > 0, "exact fp32 keeps a chunk's x_lo fragments in registers");
  static_assert(!XA || (SPLIT && TAPS == 2 && BNT == 64), "A from NCHW x: exact fp32, T = 2, 64 columns");
  // Chunks of wgmmas in flight per group. A stage is refilled once its chunk has retired, so a load
  // has nstages - IN_FLIGHT - 1 chunk times to land. Exact fp32 keeps one chunk (its x_lo registers
  // are reused by the next chunk). The others keep two. On kernelbench-v0.1, TF32's 128-column slices
  // measured one in flight 13-20 us faster than two at 7 stages (loads 5 chunks ahead against 4: perf
  // log v65); two in flight at 8 stages (5 ahead again) measured 0-3 us faster than that on two fast
  // machines and 14 us on a slow one (perf log v66).
  constexpr int IN_FLIGHT = SPLIT ? 1 : 2;
  extern __shared__ __align__(128) unsigned char smem[];
  ColInfo* tab = reinterpret_cast<ColInfo*>(smem + b_bytes);
  unsigned char* Abase = smem + b_bytes + BNT * sizeof(ColInfo) + MBAR_BYTES;

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  using Schedule = std::conditional_t<SPLIT, TileSchedule, SliceTiles<BNT == 128 ? CONTIGUOUS : GROUP_MAJOR>>;
  int nslice = Schedule::first_slice(p);
  cta_prologue<T>(p, nslice, smem, tab, Abase, 0, GROUPS * SS_MAX_STAGES, 1);

  // Broadcast: ptxas then knows g and wig are warp-uniform, so branches on the group's tile count
  // are not divergent paths (across which it would serialize the in-flight wgmmas), and the refill
  // under wig == 0 is converged code (no loop over lanes around each copy).
  const int g = __shfl_sync(0xffffffffu, warp / GROUP_WARPS, 0), wig = __shfl_sync(0xffffffffu, warp % GROUP_WARPS, 0);
  const Schedule sched(p, g);

  const bool leader = tid % GROUP_THREADS == 0;
  const int bar_id = 1 + g;
  // Free-running groups fall into step: both issue, then both run their epilogues (clock64 traces: neither
  // group in its chunk loop 15-19% of the time). Turns keep the groups apart, so one group's epilogue overlaps
  // the other's products: a group passes the turn partway through its tile, and the other opens its next tile
  // then. How late the pass can come depends on how fast a group issues alone. Before v61, TF32 lost with
  // full turns (v44p: +30 us) and won at half or three quarters of the chunks (perf log "half turns", "turn
  // points"); with v61's shorter per-chunk path a lone TF32 group issues a chunk every ~870 cycles (stamps
  // included; v50: ~1,270), and passing after seven eighths of kernelbench-v0.1's 8 chunks measured 11-19 us
  // faster than three quarters, full turns only 4-7 us faster, half turns 14 us slower (perf log v62). Below 8
  // chunks this is a full turn, as bf16's two chunks already were (18 us faster than half turns). The 64-column
  // kernels (small problems, two CTAs per SM) measured 1.5 us slower with turns, so they keep free-running groups.
  constexpr bool TURNS = !SPLIT && BNT == 128;
  const bool turns = TURNS && !p.free_groups && (!counts_zero_blocks(MODE, BNT, PAIRED) || TurnChoice::turns(p));
  const int other_count = turns ? Schedule(p, 1 - g).count : 0;
  const int turn_chunk = (p.nchunk * 7 + 7) / 8 - 1;   // ceil(7 nchunk / 8) - 1: the chunk whose refill the turn follows
  const int nitems = sched.count * p.nchunk;
  // Both groups of an extra CTA pass every slice boundary of its run here, in order, whether or
  // not they have a tile after it: the first barrier waits until neither group reads the old
  // B or column table, the second until the new ones are in place.
  auto switch_slice = [&](int to) {
    while (nslice < to) {
      ++nslice;
      cta_bar();
      build_column_table<T>(p, nslice, tab);
      load_packed_b(p, nslice, smem);
      asm volatile("fence.proxy.async.shared::cta;" ::: "memory");   // B is read by the wgmmas (async proxy)
      cta_bar();
    }
  };
  const Epilogue epi{p.add, p.mul};
  // TF32H: the factor that undoes the operands' scales (the pre-pass's exponents, read after it has finished)
  const float unscale = MODE == TF32H ? exp2_int(-(p.exps[0] + p.exps[1])) : 1.f;
  const int T_ = TAPS > 0 ? TAPS : p.T;
  const int blocks = p.CIC / KB_CI;   // k-blocks of channels per chunk
  const uint32_t slab = p.npos * 16;
  const uint32_t b_smem = smem_u32(smem);
  constexpr int NST = ss_max_stages(MODE, BNT) == SS_MIN_STAGES ? SS_MIN_STAGES : 0;
  const uint32_t group_stages = smem_u32(Abase) + (uint32_t)(g * p.nstages * p.stage_bytes);
  const uint32_t group_bars = smem_u32(Abase - MBAR_BYTES) + 8 * SS_MAX_STAGES * g;
  // each warp's transposition scratch follows the stages
  constexpr bool SMEM_XPOSE = ss_xpose_bytes(MODE, BNT) > 0;
  const uint32_t xpose_scratch =
      smem_u32(Abase) + (uint32_t)(GROUPS * p.nstages * p.stage_bytes + warp * XPOSE_BYTES);
  using Pipe = std::conditional_t<XA, XaPipe<NST, Schedule>,
                                  std::conditional_t<SPLIT, SsPipe<Schedule, NST>, SsCursorPipe<NST, sizeof(OpT<MODE>) == 2>>>;
  constexpr bool LEADER_PIPE = SPLIT && !XA;   // SsPipe: the group's leader thread issues, by item index
  Pipe pipe{p, group_stages, group_bars, sched, nitems, p.CIC / QE};
  // this thread's A-fragment rows (register-A layout: rows lg and lg + 8 of the warp's 16 in
  // the m64 block, i.e. tile rows 32 wig + lg and 16 further with the interleaved row groups)
  const uint32_t frag_off = (uint32_t)((wig * 32 + (lane >> 2)) * 16 + (lane & 3) * 4);
  float acc[WG_MB][ACC];
  constexpr bool DEFER = defers_zero_blocks(MODE, BNT, PAIRED);
  DeferredZeros<T> dz{static_cast<T*>(p.out), 0, 0u};
  constexpr bool COUNTS = counts_zero_blocks(MODE, BNT, PAIRED);
  int zeros_seen = 0, blocks_seen = 0;   // COUNTS: the warp's all-zero blocks and blocks so far (TurnChoice)
  const int dz_per_chunk = (BNT / 8 + p.nchunk - 1) / p.nchunk;

  // XA: a stage is free once its chunk's fragments are in registers, not when its wgmmas retire
  constexpr int STAGE_LAG = XA ? 0 : IN_FLIGHT;
  if (LEADER_PIPE ? leader : wig == 0)
    for (int d = 0; d < (int)pipe.nstages() - STAGE_LAG; ++d) {
      if constexpr (LEADER_PIPE) pipe.issue(0, 0, 0, d);
      else pipe.issue();
    }
  // Tile loop outside, chunk loop inside: the accumulators then never merge, at a loop
  // head, with values from the epilogue while wgmmas are in flight (ptxas would insert a
  // full wgmma wait on every chunk).
  for (int q0 = 0, k = 0; q0 < nitems; q0 += p.nchunk, ++k) {
    const int m0 = sched.tile(p, k) * BM;
    if (sched.extra) switch_slice(sched.slice(p, k));
    // XA: byte offset in a stage of this lane's fragment rows (tile rows acc_row(wig, mb, h, lane / 4), the
    // interleave of the SS descriptors, so that the epilogue is unchanged) for tap (0, b), channel lane % 4;
    // x column j - b lies in the stage's first half up to column XA_BOXW - XA_LEAD - 1
    uint32_t xa_row[WG_MB][2][2];
    if constexpr (XA) {
      const int r0 = p.fWq.div(m0);
#pragma unroll
      for (int mb = 0; mb < WG_MB; ++mb)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int m = m0 + acc_row(wig, mb, h, lane >> 2), r = p.fWq.div(m), j = m - r * p.Wq;
          const int row = (r - r0 + 1) * XA_SLOT_BYTES + (lane & 3) * XA_CH_BYTES;
#pragma unroll
          for (int b = 0; b < 2; ++b) {
            const int col = j - b + XA_LEAD;   // x column j - b, counted from the first half's column -XA_LEAD
            xa_row[mb][h][b] = (uint32_t)(row + (col < XA_BOXW ? col * 4 : p.xa_half_bytes + (col - XA_BOXW) * 4));
          }
        }
    }
    if constexpr (TURNS) {
      if (turns && (g == 1 || k > 0)) turn_wait(g);   // group 0 opens the first tile
    }
    if constexpr (SPLIT) {   // two products start each tile's accumulators: zero them instead
#pragma unroll
      for (int mb = 0; mb < WG_MB; ++mb)
#pragma unroll
        for (int i = 0; i < ACC; ++i) acc[mb][i] = 0.f;
    }
    for (int chunk = 0; chunk < p.nchunk; ++chunk) {
      const int q = q0 + chunk;
      uint32_t stage;
      if constexpr (LEADER_PIPE) {
        pipe.wait(q);
        stage = pipe.stages + pipe.slot(q) * p.stage_bytes;
      } else {
        stage = pipe.wait_next();
      }
      // k-block (channel block cb, tap a, b) = the stage's quads 2cb, 2cb+1 shifted by a*Wq + b rows
      auto a_row0 = [&](int cb, int a, int b) {
        return stage + 2 * cb * slab + (uint32_t)((p.halo - a * p.Wq - b) * 16);
      };
      const uint64_t b_chunk = wgmma_desc(b_smem + (uint32_t)(chunk * blocks * T_ * T_) * KBB);
      auto b_desc = [&](int cb, int a, int b) { return b_chunk + (uint64_t)(((cb * T_ + a) * T_ + b) * (KBB >> 4)); };
      if constexpr (SPLIT) {
        // Exact fp32, one k-block of channels a chunk (the host sets CIC = KB_CI): x_lo, the residual of every A
        // word of the chunk (4 LDS a tap and m64 block), times w_hi; then x_hi [w_hi | w_lo]. x_lo w_hi is
        // committed alone, so the wait that frees its registers does not wait for the second product.
        // XA: the words come from NCHW x's stages and both products read registers (the tensor cores take x_hi,
        // the TF32 part, from the words as loaded), in the same order, so the sums are the same. The chunk's loads
        // then wait for the chunk before it to retire; the other group keeps the tensor cores busy meanwhile.
        uint32_t alo[TAPS * TAPS][WG_MB][4];
        [[maybe_unused]] uint32_t xw[XA ? TAPS * TAPS : 1][WG_MB][4];
        if constexpr (XA) wgmma_wait<0>();
#pragma unroll
        for (int t = 0; t < TAPS * TAPS; ++t)
#pragma unroll
          for (int mb = 0; mb < WG_MB; ++mb) {
            if constexpr (XA) {
              constexpr int HI = KB_CI / 2 * XA_CH_BYTES;   // the fragment's upper k columns
              const uint32_t r0 = stage + xa_row[mb][0][t % TAPS] - (t / TAPS) * XA_SLOT_BYTES;
              const uint32_t r1 = stage + xa_row[mb][1][t % TAPS] - (t / TAPS) * XA_SLOT_BYTES;
              xw[t][mb][0] = lds32(r0);
              xw[t][mb][1] = lds32(r1);
              xw[t][mb][2] = lds32(r0 + HI);
              xw[t][mb][3] = lds32(r1 + HI);
#pragma unroll
              for (int e = 0; e < 4; ++e) alo[t][mb][e] = tf32_residual(xw[t][mb][e]);
            } else {
              const uint32_t r = a_row0(0, t / TAPS, t % TAPS) + a_block_offset(mb) + frag_off;
              alo[t][mb][0] = tf32_residual(lds32(r));
              alo[t][mb][1] = tf32_residual(lds32(r + A_GROUP_STRIDE));
              alo[t][mb][2] = tf32_residual(lds32(r + slab));
              alo[t][mb][3] = tf32_residual(lds32(r + slab + A_GROUP_STRIDE));
            }
          }
        wgmma_fence();
#pragma unroll
        for (int t = 0; t < TAPS * TAPS; ++t)
#pragma unroll
          for (int mb = 0; mb < WG_MB; ++mb)
            wgmma_rs<MMA_MODE, BNT>(*reinterpret_cast<float(*)[BNT / 2]>(&acc[mb][0]), alo[t][mb],
                                    b_desc(0, t / TAPS, t % TAPS), 1);
        wgmma_commit();
#pragma unroll
        for (int t = 0; t < TAPS * TAPS; ++t)
#pragma unroll
          for (int mb = 0; mb < WG_MB; ++mb) {
            if constexpr (XA)
              wgmma_rs<MMA_MODE, 2 * BNT>(acc[mb], xw[t][mb], b_desc(0, t / TAPS, t % TAPS), 1);
            else
              wgmma_ss<MMA_MODE, 2 * BNT>(acc[mb],
                                          wgmma_desc_a(a_row0(0, t / TAPS, t % TAPS) + a_block_offset(mb), slab),
                                          b_desc(0, t / TAPS, t % TAPS), 1);   // x_hi w_hi | x_hi w_lo
          }
        wgmma_commit();
      } else {
        // One k-block of channels: every tap, both m64 blocks.
        auto kblock_mma = [&](int cb) {
#pragma unroll
          for (int a = 0; a < T_; ++a)
#pragma unroll
            for (int b = 0; b < T_; ++b) {
              const uint64_t bdesc = b_desc(cb, a, b);
#pragma unroll
              for (int mb = 0; mb < WG_MB; ++mb)
                wgmma_ss<MMA_MODE, BNT>(acc[mb], wgmma_desc_a(a_row0(cb, a, b) + a_block_offset(mb), slab), bdesc,
                                        chunk > 0 || cb > 0 || a > 0 || b > 0);
            }
        };
        // 128-column slices with unrolled taps issue the chunk's k-blocks (1 or 2: the host's CIC) as one
        // unrolled run. As a loop, ptxas opened every k-block with a warpgroup arrive and closed the commit
        // group with an empty HGMMA (perf log v31: TF32 and bf16 8-9 us faster). kernelbench-v0's
        // 64-column kernel measured 0.6 us slower unrolled, and the any-T kernels (TAPS = 0) only gained
        // injected arrives, so both keep the loop.
        auto chunk_mma = [&](auto nblocks) {
          wgmma_fence();
#pragma unroll
          for (int cb = 0; cb < decltype(nblocks)::value; ++cb) kblock_mma(cb);
          wgmma_commit();
        };
        if constexpr (BNT == 128 && TAPS > 0) {
          if (blocks == 2) chunk_mma(std::integral_constant<int, 2>{});
          else chunk_mma(std::integral_constant<int, 1>{});
        } else {
          wgmma_fence();
#pragma unroll 1
          for (int cb = 0; cb < blocks; ++cb) kblock_mma(cb);
          wgmma_commit();
        }
      }
      // Here, between the issue and the wait. At the chunk's end, after the refill (v112), they were 26 us faster
      // on an H200 but on an H100 never faster: 0 to 29 us slower (v0.1 torch.rand: perf log, calls CH-CJ).
      if constexpr (DEFER) {
        dz.store(p, epi, min(chunk * dz_per_chunk, BNT / 8), min((chunk + 1) * dz_per_chunk, BNT / 8));
      }
      if constexpr (!XA) wgmma_wait<IN_FLIGHT>();
      // Every warp of the group is past the wait: item q - IN_FLIGHT's wgmmas are done (XA: item q's fragments
      // are in registers), so its stage takes item q + nstages - STAGE_LAG.
      group_bar(bar_id);
      if constexpr (LEADER_PIPE) {
        if (leader) pipe.issue(q, k, chunk, pipe.nstages() - IN_FLIGHT);
      } else {
        pipe.consumed();
        if (wig == 0) pipe.issue();   // the whole warp: one elected lane issues
      }
      // Passed only where the other group has a tile to open with it, so every pass is waited for. After the
      // chunk's wait and refill, not right after its issue: 3-4 us faster for TF32 (perf log v63).
      if constexpr (TURNS) {
        if (turns && chunk == turn_chunk && (g == 0 ? k : k + 1) < other_count) turn_pass(g);
      }
    }
    wgmma_wait<0>();
#pragma unroll
    for (int mb = 0; mb < WG_MB; ++mb) fence_acc(acc[mb]);
    auto finish = [&](float (&c)[WG_MB][BNT / 2]) {
      if constexpr (PAIRED) {
        const int zero_blocks =
            transposed_epilogue<T, BNT, MODE != F32X3, tf32_family(MODE) ? PER_PAIR : VALUES_FIRST,
                                tf32_family(MODE) && !SMEM_XPOSE ? PER_PAIR : PREDICATED, SMEM_XPOSE, DEFER,
                                MODE == TF32H>(
                p, c, tab, m0, nslice, wig, lane, epi, xpose_scratch, &dz, unscale);
        if constexpr (COUNTS) {
          zeros_seen += zero_blocks;
          blocks_seen += BNT / 8;
        }
      } else {
        unpaired_epilogue<T, BNT>(p, c, tab, m0, nslice, wig, lane, epi, unscale);
      }
    };
    if constexpr (SPLIT) {
      float sum[WG_MB][BNT / 2];
#pragma unroll
      for (int mb = 0; mb < WG_MB; ++mb)
#pragma unroll
        for (int i = 0; i < BNT / 2; ++i) sum[mb][i] = acc[mb][i] + acc[mb][i + BNT / 2];
      finish(sum);
    } else {
      finish(acc);
    }
  }
  if constexpr (DEFER) dz.store(p, epi, 0, BNT / 8);
  if constexpr (COUNTS) TurnChoice::count(p, zeros_seen, blocks_seen, lane);
  if (sched.extra) switch_slice(sched.last_slice);
}

// Fallback for shapes whose tiles do not fit in shared memory: one thread per output,
// fp32 FMA (at least as accurate as every mode of the fast path).
template <typename T>
__global__ void ct93_direct_kernel(const T* __restrict__ x, const T* __restrict__ w, const T* __restrict__ bias,
                                   T* __restrict__ out, int Nb, int Cin, int Cout, int H, int W, int K, int S,
                                   int Ho, int Wo, float add, float mul, int64_t total) {
  const Epilogue epi{add, mul};
  const int T_ = (K + S - 1) / S;
  for (int64_t idx = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; idx < total;
       idx += (int64_t)gridDim.x * blockDim.x) {
    int ow = (int)(idx % Wo);
    int64_t r = idx / Wo;
    int oh = (int)(r % Ho); r /= Ho;
    int co = (int)(r % Cout);
    int n = (int)(r / Cout);
    float pre = direct_sum<T>(x, w, Cin, Cout, H, W, K, S, T_, n, co, oh / S, ow / S, oh % S, ow % S);
    pre += bias ? to_f(bias[co]) : 0.f;
    out[idx] = from_f<T>(epi(pre));
  }
}

static int round_up(int v, int m) { return (v + m - 1) / m * m; }

// The pre-pass's output, kept per device and stream and grown on demand (as PyTorch keeps cuBLAS
// workspaces): calls on one stream use it in stream order, and no allocation is on the path to the
// first kernel (kernelbench-v0.1 bf16: 11 us less per call on an idle GPU, perf log v50). Never freed:
// a static tensor would be destroyed after the allocator at exit.
static uint4* workspace(const torch::Tensor& x, int64_t bytes, cudaStream_t stream) {
  static std::mutex mu;
  static auto* cache = new std::map<std::pair<int, cudaStream_t>, torch::Tensor>();
  std::lock_guard<std::mutex> lock(mu);
  torch::Tensor& t = (*cache)[{x.get_device(), stream}];
  if (!t.defined() || t.numel() < bytes / 4) t = torch::empty({bytes / 4}, x.options().dtype(torch::kInt32));
  return reinterpret_cast<uint4*>(t.data_ptr());
}

// TurnChoice's counts, kept per device and stream (zeroed once; each call's pre-pass zeroes the slot it fills), and
// the number of calls so far on that stream.
static int* turn_stats(const torch::Tensor& x, cudaStream_t stream, unsigned& gen) {
  static std::mutex mu;
  static auto* cache = new std::map<std::pair<int, cudaStream_t>, std::pair<torch::Tensor, unsigned>>();
  std::lock_guard<std::mutex> lock(mu);
  auto& entry = (*cache)[{x.get_device(), stream}];
  if (!entry.first.defined()) entry.first = torch::zeros({6}, x.options().dtype(torch::kInt32));
  gen = entry.second++;
  return entry.first.data_ptr<int>();
}

// The SS kernel's A refill as one TMA tensor copy instead of one bulk copy per quad slab: used for 16-bit
// types, whose chunks are 4 slabs (bf16 on kernelbench-v0.1: 6.6 us faster). For TF32's 2 slabs it measured
// 4.6 us slower, and with 16-byte box rows (one per xg row) 0.09 ms slower: the box rows are 256 bytes here,
// 16 xg rows each, so a slab is padded to whole box rows (perf log v47).
static bool use_tma_refill(int esz) { return esz == 2; }
static int stage_rows(int rows, int esz) { return use_tma_refill(esz) ? round_up(rows, 16) : rows; }

// xg as a TMA tensor of 32-bit words: 256-byte rows (64 words = 16 xg rows), xg_rows / 16 of them per slab,
// `slabs` slabs; the box is one stage (64, npos / 16, quads). The encoded map is kept for the next call with
// the same workspace address and geometry (the caching allocator returns the same block), so the driver
// call is not on every call's host path.
static PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder() {
  static const PFN_cuTensorMapEncodeTiled_v12000 encode = [] {
    void* fn = nullptr;
    cudaDriverEntryPointQueryResult q;
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000, cudaEnableDefault, &q) != cudaSuccess ||
        q != cudaDriverEntryPointSuccess)
      fn = nullptr;
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(fn);
  }();
  return encode;
}

static bool encode_xg_map(Params& p, int slabs, int quads) {
  const PFN_cuTensorMapEncodeTiled_v12000 encode = tensor_map_encoder();
  if (!encode || p.npos % 16 != 0 || p.xg_rows % 16 != 0 || p.npos / 16 > 256 || quads > 256) return false;
  static std::mutex mu;
  static std::tuple<const void*, int, int, int, int> key;
  static CUtensorMap map;
  static bool valid = false;
  std::lock_guard<std::mutex> lock(mu);
  const auto want = std::make_tuple(static_cast<const void*>(p.xg), p.xg_rows, slabs, p.npos, quads);
  if (!valid || key != want) {
    const cuuint64_t dims[3] = {64, (cuuint64_t)p.xg_rows / 16, (cuuint64_t)slabs};
    const cuuint64_t strides[2] = {256, (cuuint64_t)p.xg_rows * 16};
    const cuuint32_t box[3] = {64, (cuuint32_t)p.npos / 16, (cuuint32_t)quads};
    const cuuint32_t elem_strides[3] = {1, 1, 1};
    key = want;
    valid = encode(&map, CU_TENSOR_MAP_DATA_TYPE_UINT32, 3, const_cast<uint4*>(p.xg), dims, strides, box, elem_strides,
                   CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_NONE, CU_TENSOR_MAP_L2_PROMOTION_L2_128B,
                   CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
    if (!valid) return false;
  }
  p.xgmap = map;
  return true;
}

// fp32 x itself as TMA tensors for the XA kernels, kept for the next call with the same x address, shape and
// stage height: xmap (W, H, Cin, Nb), box (XA_BOXW, 1, kb_ci, 1), one grid row's half of a chunk's k-block of
// channels; xtmap the same x with its H and Cin dimensions swapped (W, Cin, H, Nb), box (XA_BOXW, kb_ci,
// xa_slots, 1), so that one box fills a whole stage in the same [row][channel][column] order. Without xtmap (if
// the driver refuses it) every stage takes a box per row.
static bool encode_x_maps(Params& p, int kb_ci) {
  const PFN_cuTensorMapEncodeTiled_v12000 encode = tensor_map_encoder();
  if (!encode) return false;
  static std::mutex mu;
  static std::tuple<const void*, int, int, int, int, int> key;
  static CUtensorMap row_map, tile_map;
  static bool valid = false, tile_valid = false;
  std::lock_guard<std::mutex> lock(mu);
  const auto want = std::make_tuple(p.x, p.Nb, p.Cin, p.H, p.W, p.xa_slots);
  if (!valid || key != want) {
    constexpr CUtensorMapDataType dtype = CU_TENSOR_MAP_DATA_TYPE_FLOAT32;
    const cuuint64_t row = (cuuint64_t)p.W * 4, plane = row * p.H, image = plane * p.Cin;
    const cuuint32_t elem_strides[4] = {1, 1, 1, 1};
    key = want;
    {
      const cuuint64_t dims[4] = {(cuuint64_t)p.W, (cuuint64_t)p.H, (cuuint64_t)p.Cin, (cuuint64_t)p.Nb};
      const cuuint64_t strides[3] = {row, plane, image};
      const cuuint32_t box[4] = {XA_BOXW, 1, (cuuint32_t)kb_ci, 1};
      valid = encode(&row_map, dtype, 4, const_cast<void*>(p.x), dims, strides, box, elem_strides,
                     CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_NONE, CU_TENSOR_MAP_L2_PROMOTION_L2_128B,
                     CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
    }
    tile_valid = false;
    if (p.H >= p.xa_slots) {   // the box's rows no more than x's
      const cuuint64_t dims[4] = {(cuuint64_t)p.W, (cuuint64_t)p.Cin, (cuuint64_t)p.H, (cuuint64_t)p.Nb};
      const cuuint64_t strides[3] = {plane, row, image};
      const cuuint32_t box[4] = {XA_BOXW, (cuuint32_t)kb_ci, (cuuint32_t)p.xa_slots, 1};
      tile_valid = encode(&tile_map, dtype, 4, const_cast<void*>(p.x), dims, strides, box, elem_strides,
                          CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_NONE,
                          CU_TENSOR_MAP_L2_PROMOTION_L2_128B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
    }
    if (!valid) return false;
  }
  p.xmap = row_map;
  p.xtmap = tile_map;
  p.xa_tilebox = tile_valid ? 1 : 0;
  return true;
}

// Sets a kernel attribute once per kernel and device (the driver call costs microseconds, which
// count on small problems).
static void set_attribute_once(const void* kernel, int dev, cudaFuncAttribute attr, int value) {
  static std::mutex mu;
  static std::set<std::tuple<const void*, int, int>> done;
  std::lock_guard<std::mutex> lock(mu);
  if (done.count({kernel, dev, (int)attr})) return;
  C10_CUDA_CHECK(cudaFuncSetAttribute(kernel, attr, value));
  done.insert({kernel, dev, (int)attr});
}

static void allow_max_smem(const void* kernel, int dev, int max_smem) {
  set_attribute_once(kernel, dev, cudaFuncAttributeMaxDynamicSharedMemorySize, max_smem);
}

// The pre-pass uses no shared memory. Asking for the main kernels' carve-out anyway means the SMs
// need no reconfiguration when the main kernel's CTAs arrive during the pre-pass (kernelbench-v0:
// 6 us less than with the default carve-out, perf log v26).
static void prefer_max_smem_carveout(const void* kernel, int dev) {
  set_attribute_once(kernel, dev, cudaFuncAttributePreferredSharedMemoryCarveout, (int)cudaSharedmemCarveoutMaxShared);
}

// Launches a main kernel so that it may start while the kernel before it in the stream (its
// pre-pass) finishes: its launch latency and CTA set-up then overlap the pre-pass's last wave.
template <typename Kernel>
static void launch_after_prep(Kernel kernel, int grid, int smem, cudaStream_t stream, const Params& p) {
  cudaLaunchConfig_t cfg = {};
  cfg.gridDim = dim3(grid);
  cfg.blockDim = dim3(THREADS);
  cfg.dynamicSmemBytes = smem;
  cfg.stream = stream;
  cudaLaunchAttribute attr;
  attr.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr.val.programmaticStreamSerializationAllowed = 1;
  cfg.attrs = &attr;
  cfg.numAttrs = 1;
  C10_CUDA_CHECK(cudaLaunchKernelEx(&cfg, kernel, p));
}

using SsKernel = void (*)(const Params);
template <int MODE, int TAPS, int BNT>
static SsKernel ss_kernel(bool paired) {
  return paired ? ct93_wgmma_ss_kernel<MODE, TAPS, BNT, true> : ct93_wgmma_ss_kernel<MODE, TAPS, BNT, false>;
}

// Where run() takes its output: ModelNew's MemPool of compressible memory (perf log v108) from min_bytes on, else
// the caching allocator's default pool. Routed here, after the pre-pass launch, rather than by torch.cuda.use_mem_pool
// in ModelNew.forward: on a call that starts on an idle GPU that context manager's host time would come before the
// first kernel. A stream being captured allocates from its graph's pool instead.
struct OutputPool {
  c10::cuda::MempoolId_t id;
  int64_t min_bytes;
  cudaStream_t stream;
  // `compressible`: whether the tensor came from the pool.
  torch::Tensor empty(torch::IntArrayRef shape, const torch::TensorOptions& options, bool& compressible) const {
    const int64_t bytes = c10::multiply_integers(shape) * (int64_t)options.dtype().itemsize();
    cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
    compressible = false;
    if ((id.first == 0 && id.second == 0) || bytes < min_bytes || cudaStreamIsCapturing(stream, &capture) != cudaSuccess ||
        capture != cudaStreamCaptureStatusNone)
      return torch::empty(shape, options);
    compressible = true;
    namespace allocator = c10::cuda::CUDACachingAllocator;
    const c10::DeviceIndex device = options.device().index();
    allocator::beginAllocateToPool(device, id, [routed = stream](cudaStream_t s) { return s == routed; });
    struct Unroute {
      c10::DeviceIndex device;
      c10::cuda::MempoolId_t id;
      ~Unroute() {
        allocator::endAllocateToPool(device, id);
        allocator::releasePool(device, id);
      }
    } unroute{device, id};
    return torch::empty(shape, options);
  }
};

template <int MODE>
static torch::Tensor run(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor* bias, int S,
                         float add, float mul, const OutputPool& pool) {
  using T = typename Traits<MODE>::T;
  constexpr int KB_CI = Traits<MODE>::KB_CI;
  const int esz = (int)sizeof(OpT<MODE>);   // operand bytes
  const int Nb = (int)x.size(0), Cin = (int)x.size(1), H = (int)x.size(2), W = (int)x.size(3);
  const int Cout = (int)w.size(1), K = (int)w.size(2);
  const int Ho = (H - 1) * S + K, Wo = (W - 1) * S + K;
  // The output is allocated after the pre-pass launch, which it does not need: on a call that starts
  // on an idle GPU its allocation is then off the path to the first kernel.
  bool compressible_out = false;
  const auto new_out = [&] { return pool.empty({Nb, Cout, Ho, Wo}, x.options(), compressible_out); };
  if ((int64_t)Nb * Cout * Ho * Wo == 0) return new_out();
  cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  const void* bptr = bias ? bias->data_ptr() : nullptr;

  Params p;
  p.x = x.data_ptr(); p.w = w.data_ptr(); p.bias = bptr; p.out = nullptr;
  p.Nb = Nb; p.Cin = Cin; p.Cout = Cout; p.H = H; p.W = W; p.K = K; p.S = S;
  p.T = (K + S - 1) / S; p.Ho = Ho; p.Wo = Wo; p.Hq = (Ho + S - 1) / S; p.Wq = (Wo + S - 1) / S;
  p.add = add; p.mul = mul;
  p.pairable = (S == 2 && K % 2 == 0) ? 1 : 0;   // Ho and Wo even: outputs in (pw 0, pw 1) pairs
  p.xa = 0; p.xa_slots = 0; p.xa_tilebox = 0;
  p.free_groups = 0;

  // ---- choose the fast-path geometry; fall back to the direct kernel if it does not fit ----
  const int dev = x.get_device();
  const cudaDeviceProp* prop = at::cuda::getDeviceProperties(dev);
  const int max_smem = (int)prop->sharedMemPerBlockOptin;
  const int64_t Mtot64 = (int64_t)Nb * p.Hq * p.Wq;
  bool fast = Mtot64 < (int64_t)INT32_MAX && (int64_t)Cout * Ho * Wo < (int64_t)INT32_MAX &&
              (int64_t)Cin * H * W < (int64_t)INT32_MAX && S <= SHRT_MAX;
  int smem_total = 0;
  bool use_ss = false;   // SS wgmma kernel on the channels-last copy of x
  int ctas_per_sm = 1;   // CTAs per SM the chosen kernel runs with (the grid covers them)
  if (fast) {
    const int vpe = 16 / esz;   // elements per 16 bytes
    const int cmod = esz == 4 ? 32 : 64;   // pitchC = 8 (mod 32 words / 64 halves): conflict-free A loads
    p.XOFF = round_up(p.T - 1, vpe);
    p.R = (BM + p.Wq - 2) / p.Wq + 1 + (p.T - 1);
    const int wmin = round_up(p.XOFF + W + p.T - 1, vpe);
    auto fits = [&](int cic, int pitchC) {
      const int cinp = round_up(Cin, cic);
      const int nkb = cinp / KB_CI * p.T * p.T;
      const int stage = cic * pitchC * esz;
      const int64_t tot = (int64_t)nkb * KB_BYTES + BN * (int64_t)sizeof(ColInfo) + MBAR_BYTES +
                          (int64_t)GROUPS * STAGES * stage;
      if (tot > max_smem) return false;
      p.CIC = cic; p.nchunk = cinp / cic; p.nkb = nkb; p.nkbc = nkb / p.nchunk;
      p.pitchC = pitchC; p.stage_bytes = stage; smem_total = (int)tot;
      return true;
    };
    fast = false;
    // SS path: the largest chunk (2 or 1 k-blocks of channels) whose stages fit. Exact fp32
    // keeps w_hi and w_lo resident in a 64-column slice and is built for T = 2 and one
    // k-block per chunk (its x_lo fragments of a chunk are held in registers). At most 64
    // GEMM columns in all (T = 2): a 64-column slice, so no MMA or epilogue round is spent on
    // padding columns (measured 12% faster on kernelbench-v0). Kernels built for two CTAs per SM
    // first try the chunks that fit twice per SM (two CTAs with one-k-block chunks measured faster
    // than one with two-k-block chunks on kernelbench-v0), then one CTA's worth.
    const int halo = (p.T - 1) * (p.Wq + 1);
    const int ss_bn = (MODE == F32X3 || (Cout * S * S <= 64 && p.T == 2)) ? 64 : BN;
    const int parts = MODE == F32X3 ? 2 : 1;
    if ((MODE != F32X3 || p.T == 2) && Mtot64 + halo + BM + 32 < (int64_t)INT32_MAX) {
      for (int ctas = ss_ctas_per_sm(MODE, ss_bn); ctas >= 1 && !fast; --ctas) {
        const int budget = std::min(max_smem, (int)(prop->sharedMemPerMultiprocessor / ctas -
                                                    prop->reservedSharedMemPerBlock));
        // TF32's 128-column slices take one-k-block chunks: with the 12-byte column table, two-k-block chunks fit
        // kernelbench-v0.1 at 4 stages, which measured 15 us slower than v65's 7 one-k-block stages (perf log v66:
        // what `s8` ran). It also spares Cin 8 its padding to 16 channels (25 us); Cin 16 loses ~4.5 us, and
        // keeping two-k-block chunks where they get 7 stages did not measurably win it back (perf log v66).
        const int cic_max = MODE == F32X3 || (tf32_family(MODE) && ss_bn == BN) ? KB_CI : 2 * KB_CI;
        for (int cic = cic_max; cic >= KB_CI && !fast; cic -= KB_CI) {
          const int cinp = round_up(Cin, cic), nkb = cinp / KB_CI * p.T * p.T;
          const int npos = stage_rows(BM + halo, esz);
          const int stage = cic / vpe * npos * 16;
          const int64_t fixed = (int64_t)parts * nkb * ss_bn * 32 + ss_bn * (int64_t)sizeof(ColInfo) + MBAR_BYTES +
                                ss_xpose_bytes(MODE, ss_bn);
          const int64_t nst = std::min<int64_t>(ss_max_stages(MODE, ss_bn), (budget - fixed) / ((int64_t)GROUPS * stage));
          if (nst >= SS_MIN_STAGES) {
            p.CIC = cic; p.nchunk = cinp / cic; p.nkb = nkb; p.nkbc = nkb / p.nchunk;
            p.nstages = (int)nst; p.fnstages = FastDiv(p.nstages);
            p.stage_bytes = stage; p.halo = halo; p.npos = npos; smem_total = (int)(fixed + GROUPS * nst * stage);
            p.bn = ss_bn; p.bblocks = parts * nkb; ctas_per_sm = ctas;
            fast = use_ss = true;
          }
        }
      }
    }
    // Otherwise the mma.sync kernel: exact fp32 with T != 2, and shapes whose SS stages do not fit
    // (its two x-patch stages per group take about half the bytes of the SS kernel's four).
    if (!fast) {
      p.pitchR = wmin;
      int pitchC = round_up(p.R * p.pitchR, 8);
      while (pitchC % cmod != 8) pitchC += 8;
      for (int cic = 2 * KB_CI; cic >= KB_CI && !fast; cic -= KB_CI) fast = fits(cic, pitchC);
    }
  }
  if constexpr (MODE == TF32H) {
    // The fp16 operands serve the 128-column SS kernels only. The 64-column shapes (kernelbench-v0) take TF32's own:
    // there the sample and scaling cost more than the fp16 rate wins (pre-pass 18.3 us against 14.0, main kernel
    // 25.0 against 23.3 back to back; queued A/B -2.0 us on an H100, perf log "Calls DB, DD, DE").
    if (!use_ss || p.bn == 64) return run<TF32>(x, w, bias, S, add, mul, pool);
  }
  if (!fast) {
    auto out = new_out();
    const int64_t total = out.numel();
    const int threads = 256;
    const int64_t blocks = std::min<int64_t>((total + threads - 1) / threads, (int64_t)prop->multiProcessorCount * 32);
    ct93_direct_kernel<T><<<(int)blocks, threads, 0, stream>>>(
        (const T*)p.x, (const T*)p.w, (const T*)bptr, (T*)out.data_ptr(), Nb, Cin, Cout, H, W, K, S, Ho, Wo, add, mul, total);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    return out;
  }
  p.Mtot = (int)Mtot64;
  p.ntiles = (p.Mtot + BM - 1) / BM;
  if (!use_ss) { p.bn = BN; p.bblocks = p.nkb; }
  p.nsl = (Cout * S * S + p.bn - 1) / p.bn;
  const int nsm = prop->multiProcessorCount;
  // CTAs per N-slice: enough to fill the SMs (ctas_per_sm each), but no more than there are tile pairs.
  p.gm = std::max(1, std::min(ctas_per_sm * nsm / p.nsl, (p.ntiles + GROUPS - 1) / GROUPS));
  // Exact fp32 SS path, N-slices that do not divide the CTA slots: the slots left over run as extra CTAs that
  // take the last `left` tiles of every slice, while the regular CTAs keep a whole number of rounds
  // (GROUPS * gm tiles each). The split minimizes the tiles of the busiest group; on a tie, the
  // extra CTAs get less (their B reloads and A loads are not shared with other CTAs).
  p.reg_tiles = p.ntiles; p.left = 0; p.nextra = 0;
  const int slots = ctas_per_sm * nsm;
  if (MODE == F32X3 && use_ss && p.gm == slots / p.nsl && slots % p.nsl != 0) {
    const int extra = slots - p.gm * p.nsl, round = GROUPS * p.gm;
    int64_t best = (p.ntiles + round - 1) / round - 1;   // only a split that saves a round
    for (int rounds = 1; rounds * round < p.ntiles; ++rounds) {
      const int left = p.ntiles - rounds * round;
      const int64_t per_extra = ((int64_t)p.nsl * left + extra - 1) / extra;
      const int64_t busiest = std::max<int64_t>(rounds, (per_extra + GROUPS - 1) / GROUPS);
      if (busiest <= best) { best = busiest; p.reg_tiles = rounds * round; p.left = left; p.nextra = extra; }
    }
  }
  p.fleft = FastDiv(std::max(p.left, 1));
  const uintptr_t xaddr = reinterpret_cast<uintptr_t>(p.x);
  if (xaddr % 16 == 0 && (W * esz) % 16 == 0) p.ldmode = 0;
  else if (xaddr % 4 == 0 && (W * esz) % 4 == 0) p.ldmode = 1;
  else p.ldmode = 2;
  p.bulk = (p.ldmode == 0 && p.CIC * p.R <= GROUP_THREADS) ? 1 : 0;
  p.fWq = FastDiv(p.Wq); p.fHq = FastDiv(p.Hq); p.fR = FastDiv(p.R);
  p.fnvec = FastDiv(W * esz / (p.ldmode == 0 ? 16 : (p.ldmode == 1 ? 4 : esz)));

  // Exact fp32's paired 64-column kernels read A from NCHW x (XA, no channels-last copy) where x's rows suit TMA
  // (16-byte pitch and address), every box fits in x (W >= XA_BOXW, Cin >= KB_CI), two halves span a row's
  // columns -1 .. W from column -XA_LEAD (W + 1 + XA_LEAD <= 2 XA_BOXW) and its stages fit.
  if (MODE == F32X3 && use_ss && p.T == 2 && p.bn == 64 && p.pairable && W % 4 == 0 && W >= XA_BOXW &&
      W + 1 + XA_LEAD <= 2 * XA_BOXW && Cin >= KB_CI && xaddr % 16 == 0) {
    const int slots = (BM + p.Wq - 2) / p.Wq + 2;   // grid rows a tile spans, and the one before it (tap a = 1)
    const int stage = 2 * slots * XA_SLOT_BYTES;
    const int cinp = round_up(Cin, KB_CI), nkb = cinp / KB_CI * 4;
    const int budget = std::min(max_smem, (int)(prop->sharedMemPerMultiprocessor - prop->reservedSharedMemPerBlock));
    const int parts = 2;   // w_hi and w_lo resident
    const int64_t fixed = (int64_t)parts * nkb * p.bn * 32 + p.bn * (int64_t)sizeof(ColInfo) + MBAR_BYTES;
    const int64_t nst = std::min<int64_t>(ss_max_stages(MODE, p.bn), (budget - fixed) / ((int64_t)GROUPS * stage));
    p.xa_slots = slots;
    p.xa_half_bytes = slots * XA_SLOT_BYTES;
    if (nst >= SS_MIN_STAGES && slots <= 256 && encode_x_maps(p, KB_CI)) {
      p.xa = 1;
      p.CIC = KB_CI; p.nchunk = cinp / KB_CI; p.nkb = nkb; p.nkbc = 4; p.bblocks = parts * nkb;
      p.nstages = (int)nst; p.fnstages = FastDiv(p.nstages); p.stage_bytes = stage;
      smem_total = (int)(fixed + GROUPS * nst * stage);
    }
  }

  // ---- one workspace: the repacked weights (tiny), then on the SS path (not XA) the channels-last x ----
  const int total_lanes = p.nsl * p.bblocks * p.bn * 2;   // uint4 of packed B
  const int quads = use_ss && !p.xa ? p.CIC / (16 / esz) * p.nchunk : 0;
  // the last tile's stage reads rows up to (ntiles - 1) * BM + npos; TMA refills read whole box rows
  p.xg_rows = !use_ss || p.xa ? 0 : use_tma_refill(esz) ? round_up(p.Mtot + p.npos, 16) : p.Mtot + p.npos;
  const int64_t exp_vecs = MODE == TF32H ? 1 : 0;   // TF32H's two exponents, in a uint4
  uint4* bpack = workspace(x, ((int64_t)total_lanes + (int64_t)quads * p.xg_rows + exp_vecs) * 16, stream);
  p.bpack = bpack;
  p.xg = bpack + total_lanes;
  p.exps = reinterpret_cast<const int*>(p.xg + (int64_t)quads * p.xg_rows);
  p.tma = use_ss && !p.xa && use_tma_refill(esz) && encode_xg_map(p, quads, p.CIC / (16 / esz)) ? 1 : 0;
  p.turn_stats = nullptr;
  p.turn_gen = 0;
  if (use_ss && counts_zero_blocks(MODE, p.bn, p.pairable)) p.turn_stats = turn_stats(x, stream, p.turn_gen);
  if (use_ss) {
    const int row_blocks = (p.xg_rows + PREP_THREADS - 1) / PREP_THREADS, pre_blocks = row_blocks * quads;
    // TF32H: x's blocks, each drawing x's sample once, loop over the row blocks (8 per SM at most)
    const int blocks_x = MODE == TF32H ? std::min(pre_blocks, 8 * prop->multiProcessorCount) : pre_blocks;
    prefer_max_smem_carveout(reinterpret_cast<const void*>(prep_wgmma_kernel<MODE>), dev);
    prep_wgmma_kernel<MODE><<<blocks_x + (total_lanes + PREP_THREADS - 1) / PREP_THREADS, PREP_THREADS, 0,
                              stream>>>(p, bpack + total_lanes, bpack, row_blocks, blocks_x, total_lanes);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    auto out = new_out();
    p.out = out.data_ptr();
    p.free_groups = compressible_out && tf32_family(MODE);
    SsKernel kernel;
    if constexpr (MODE == F32X3) {
      kernel = p.xa ? ct93_wgmma_ss_kernel<MODE, 2, 64, true, true> : ss_kernel<MODE, 2, 64>(p.pairable);   // T == 2
    } else if (p.T == 2) {
      if constexpr (MODE == TF32H) kernel = ss_kernel<MODE, 2, BN>(p.pairable);   // 64 columns ran TF32 (above)
      else kernel = p.bn == 64 ? ss_kernel<MODE, 2, 64>(p.pairable) : ss_kernel<MODE, 2, BN>(p.pairable);
    } else {
      kernel = ss_kernel<MODE, 0, BN>(p.pairable);
    }
    allow_max_smem(reinterpret_cast<const void*>(kernel), dev, max_smem);
    launch_after_prep(kernel, p.nsl * p.gm + p.nextra, smem_total, stream, p);
    return out;
  }
  if constexpr (MODE != TF32H) {
    prefer_max_smem_carveout(reinterpret_cast<const void*>(pack_b_kernel<MODE, T>), dev);
    pack_b_kernel<MODE, T><<<(total_lanes + 255) / 256, 256, 0, stream>>>(
        (const T*)p.w, bpack, Cin, Cout, K, S, p.T, p.nkb, total_lanes);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    auto out = new_out();
    p.out = out.data_ptr();
    allow_max_smem(reinterpret_cast<const void*>(ct93_fused_kernel<MODE>), dev, max_smem);
    launch_after_prep(ct93_fused_kernel<MODE>, p.nsl * p.gm, smem_total, stream, p);
    return out;
  }
  return torch::Tensor();   // not reached: TF32H ran the SS kernels or TF32
}

}  // namespace ct93

// ModelNew.forward raises the errors a user sees (ValueError / TypeError naming the problem); these
// checks guard direct calls. (TORCH_CHECK_VALUE is avoided: under torch 2.11 a c10::ValueError thrown
// from this extension crashed the process instead of raising.)
torch::Tensor ct93_forward(torch::Tensor x, torch::Tensor w, c10::optional<torch::Tensor> bias,
                           int64_t stride, double add_value, double mul_value, int64_t pool_a, int64_t pool_b,
                           int64_t pool_min_bytes) {
  TORCH_CHECK(x.dim() == 4 && w.dim() == 4 && x.is_cuda() && w.device() == x.device(),
              "ct93: x and weight must be 4-D tensors on one CUDA device");
  TORCH_CHECK(x.scalar_type() == w.scalar_type(), "ct93: x and weight dtypes differ");
  TORCH_CHECK(x.size(1) == w.size(0), "ct93: channel mismatch");
  TORCH_CHECK(x.size(2) >= 1 && x.size(3) >= 1, "ct93: empty spatial size");
  TORCH_CHECK(w.size(2) == w.size(3), "ct93: square kernels only");
  TORCH_CHECK(stride >= 1, "ct93: stride must be >= 1");
  // torch.backends.cudnn.allow_tf32, read here rather than through the Python property
  const bool allow_tf32 = at::globalContext().allowTF32CuDNN();
  c10::cuda::CUDAGuard guard(x.device());
  x = x.contiguous();
  w = w.contiguous();
  torch::Tensor b;
  if (bias.has_value() && bias->defined()) {
    b = bias->contiguous();
    TORCH_CHECK(b.scalar_type() == x.scalar_type() && b.device() == x.device() && b.numel() == w.size(1),
                "ct93: bad bias");
  }
  const torch::Tensor* bp = b.defined() ? &b : nullptr;
  const ct93::OutputPool pool{{(c10::cuda::CaptureId_t)pool_a, (c10::cuda::CaptureId_t)pool_b}, pool_min_bytes,
                               at::cuda::getCurrentCUDAStream()};
  const float add = (float)add_value, mul = (float)mul_value;
  switch (x.scalar_type()) {
    case torch::kFloat32:
      return allow_tf32 ? ct93::run<ct93::TF32H>(x, w, bp, (int)stride, add, mul, pool)
                        : ct93::run<ct93::F32X3>(x, w, bp, (int)stride, add, mul, pool);
    case torch::kBFloat16: return ct93::run<ct93::BF16>(x, w, bp, (int)stride, add, mul, pool);
    case torch::kFloat16: return ct93::run<ct93::F16>(x, w, bp, (int)stride, add, mul, pool);
    default: TORCH_CHECK(false, "ct93: unsupported dtype");
  }
}

// ---- compressible output memory ------------------------------------------------------------
// On kernelbench-v0.1's torch.rand inputs nearly every output is the same zero, and on GPUs with Compute Data
// Compression the L2 writes such lines to DRAM compressed. ModelNew takes its large outputs from a torch MemPool
// whose allocator (these two functions, loaded by torch.cuda.memory.CUDAPluggableAllocator from this extension)
// maps compressible physical memory; the caching allocator above it keeps its stream semantics and its cache.
// (perf log v108)
namespace ct93::compressible {
template <typename F>
F driver(const char* name) {
  void* fn = nullptr;
  cudaDriverEntryPointQueryResult q;
  if (cudaGetDriverEntryPointByVersion(name, &fn, 12000, cudaEnableDefault, &q) != cudaSuccess ||
      q != cudaDriverEntryPointSuccess)
    return nullptr;
  return reinterpret_cast<F>(fn);
}
struct Mapping { CUmemGenericAllocationHandle handle; size_t bytes; };
std::mutex mappings_mutex;
std::map<void*, Mapping> mappings;
}  // namespace ct93::compressible

bool ct93_compressible_supported(int64_t device) {
  using namespace ct93::compressible;
  static auto attribute = driver<PFN_cuDeviceGetAttribute_v2000>("cuDeviceGetAttribute");
  int generic = 0, vmm = 0;
  return attribute && attribute(&generic, CU_DEVICE_ATTRIBUTE_GENERIC_COMPRESSION_SUPPORTED, (CUdevice)device) ==
                          CUDA_SUCCESS &&
         attribute(&vmm, CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED, (CUdevice)device) == CUDA_SUCCESS &&
         generic && vmm;
}

// A null return is the caching allocator's out-of-memory.
extern "C" __attribute__((visibility("default"))) void* ct93_compressible_alloc(ssize_t size, int device,
                                                                                cudaStream_t) {
  using namespace ct93::compressible;
  static auto granularity = driver<PFN_cuMemGetAllocationGranularity_v10020>("cuMemGetAllocationGranularity");
  static auto create = driver<PFN_cuMemCreate_v10020>("cuMemCreate");
  static auto release = driver<PFN_cuMemRelease_v10020>("cuMemRelease");
  static auto reserve = driver<PFN_cuMemAddressReserve_v10020>("cuMemAddressReserve");
  static auto address_free = driver<PFN_cuMemAddressFree_v10020>("cuMemAddressFree");
  static auto map = driver<PFN_cuMemMap_v10020>("cuMemMap");
  static auto unmap = driver<PFN_cuMemUnmap_v10020>("cuMemUnmap");
  static auto set_access = driver<PFN_cuMemSetAccess_v10020>("cuMemSetAccess");
  if (!granularity || !create || !release || !reserve || !address_free || !map || !unmap || !set_access) return nullptr;
  CUmemAllocationProp prop = {};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  prop.location.id = device;
  prop.allocFlags.compressionType = CU_MEM_ALLOCATION_COMP_GENERIC;
  size_t gran = 0;
  if (granularity(&gran, &prop, CU_MEM_ALLOC_GRANULARITY_RECOMMENDED) != CUDA_SUCCESS || gran == 0) return nullptr;
  const size_t bytes = ((size_t)size + gran - 1) / gran * gran;
  CUmemGenericAllocationHandle handle;
  if (create(&handle, bytes, &prop, 0) != CUDA_SUCCESS) return nullptr;
  CUdeviceptr ptr = 0;
  if (reserve(&ptr, bytes, gran, 0, 0) != CUDA_SUCCESS) {
    release(handle);
    return nullptr;
  }
  CUmemAccessDesc access = {};
  access.location = prop.location;
  access.flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
  if (map(ptr, bytes, 0, handle, 0) != CUDA_SUCCESS) {
    address_free(ptr, bytes);
    release(handle);
    return nullptr;
  }
  if (set_access(ptr, bytes, &access, 1) != CUDA_SUCCESS) {
    unmap(ptr, bytes);
    address_free(ptr, bytes);
    release(handle);
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(mappings_mutex);
  mappings[(void*)ptr] = Mapping{handle, bytes};
  return (void*)ptr;
}

// The caching allocator frees a segment only once no stream uses it; the synchronisation covers work that the
// driver has not yet retired.
extern "C" __attribute__((visibility("default"))) void ct93_compressible_free(void* ptr, size_t, int, cudaStream_t) {
  using namespace ct93::compressible;
  static auto release = driver<PFN_cuMemRelease_v10020>("cuMemRelease");
  static auto address_free = driver<PFN_cuMemAddressFree_v10020>("cuMemAddressFree");
  static auto unmap = driver<PFN_cuMemUnmap_v10020>("cuMemUnmap");
  Mapping m;
  {
    std::lock_guard<std::mutex> lock(mappings_mutex);
    auto it = mappings.find(ptr);
    if (it == mappings.end()) return;
    m = it->second;
    mappings.erase(it);
  }
  cudaDeviceSynchronize();
  unmap((CUdeviceptr)ptr, m.bytes);
  address_free((CUdeviceptr)ptr, m.bytes);
  release(m.handle);
}
"""



def _wgmma_source():
    """wgmma wrappers for m64 x N (N = 64, 128): A by descriptor (wgmma_ss), or from registers
    (wgmma_rs: exact fp32's x_lo, the XA kernels' fragments), B by descriptor, N / 2 accumulator operands per
    thread."""
    variants = {"TF32": ("k8", "tf32"), "BF16": ("k16", "bf16"), "F16": ("k16", "f16")}
    decls = ("template <int MODE, int N> __device__ __forceinline__ void wgmma_rs(float (&d)[N / 2], "
             "const uint32_t (&a)[4], uint64_t desc, int scale_d);\n"
             "template <int MODE, int N> __device__ __forceinline__ void wgmma_ss(float (&d)[N / 2], "
             "uint64_t adesc, uint64_t bdesc, int scale_d);\n")
    body = []
    for n in (64, 128):
        nacc = n // 2
        regs = ", ".join(f"%{i}" for i in range(nacc))
        outs = ", ".join(f'"+f"(d[{i}])' for i in range(nacc))
        for mode, (k, ty) in variants.items():
            trans = "" if mode == "TF32" else ", 0"   # the 16-bit register-A form takes B's transpose flag
            body.append(
                f"template <> __device__ __forceinline__ void wgmma_rs<{mode}, {n}>(float (&d)[{nacc}], "
                "const uint32_t (&a)[4], uint64_t desc, int scale_d) {\n"
                f'  asm volatile("{{\\n.reg .pred p;\\nsetp.ne.b32 p, %{nacc + 4}, 0;\\n"\n'
                f'               "wgmma.mma_async.sync.aligned.m64n{n}{k}.f32.{ty}.{ty} {{{regs}}}, '
                f'{{%{nacc}, %{nacc + 1}, %{nacc + 2}, %{nacc + 3}}}, %{nacc + 5}, p, 1, 1{trans};\\n}}\\n"\n'
                f"               : {outs}\n"
                '               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(scale_d), "l"(desc));\n}\n')
        for mode, (k, ty) in variants.items():
            trans = "" if mode == "TF32" else ", 0, 0"   # the 16-bit forms take A and B transpose flags
            body.append(
                f"template <> __device__ __forceinline__ void wgmma_ss<{mode}, {n}>(float (&d)[{nacc}], "
                "uint64_t adesc, uint64_t bdesc, int scale_d) {\n"
                f'  asm volatile("{{\\n.reg .pred p;\\nsetp.ne.b32 p, %{nacc + 2}, 0;\\n"\n'
                f'               "wgmma.mma_async.sync.aligned.m64n{n}{k}.f32.{ty}.{ty} {{{regs}}}, '
                f'%{nacc}, %{nacc + 1}, p, 1, 1{trans};\\n}}\\n"\n'
                f"               : {outs}\n"
                '               : "l"(adesc), "l"(bdesc), "r"(scale_d));\n}\n')
    return decls + "".join(body)


_CUDA_SRC = _CUDA_SRC.replace("//@WGMMA@", _wgmma_source())

_ext = None


def _load_ext():
    global _ext
    if _ext is None:
        verbose = os.environ.get("CT93_VERBOSE", "0") == "1"
        _ext = load_inline(
            name="ct93_fused_implicit_gemm_v120",
            cpp_sources=_CPP_SRC,
            cuda_sources=_CUDA_SRC,
            functions=["ct93_forward", "ct93_compressible_supported"],
            extra_cuda_cflags=["-O3", "-gencode=arch=compute_90a,code=sm_90a", "-lineinfo"]
            + (["-Xptxas=-v"] if verbose else []),
            verbose=verbose,
        )
    return _ext


_SUPPORTED = (torch.float32, torch.float16, torch.bfloat16)

# Outputs from this size on come from compressible memory (its gain, perf log v108, is measured on 0.55-1.1 GB
# outputs); smaller ones from the default pool.
_COMPRESSIBLE_MIN_BYTES = 256 << 20
_compressible_pools = {}


def _compressible_pool(device):
    """The MemPool of compressible memory for device (an index), or None where the GPU has no compression."""
    if device not in _compressible_pools:
        ext = _load_ext()
        pool = None
        if ext.ct93_compressible_supported(device):
            allocator = torch.cuda.memory.CUDAPluggableAllocator(
                ext.__file__, "ct93_compressible_alloc", "ct93_compressible_free")
            with torch.cuda.device(device):   # a MemPool belongs to the current device
                pool = (allocator, torch.cuda.MemPool(allocator.allocator()))
        _compressible_pools[device] = pool
    pool = _compressible_pools[device]
    return pool[1] if pool else None


def _output_pool_id(device):
    """The id of the pool large outputs on device come from; (0, 0), the default pool, without compression."""
    pool = _compressible_pool(device)
    return pool.id if pool is not None else (0, 0)


class ModelNew(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, add_value, multiply_value):
        super().__init__()
        # Same module, same creation order as the reference: identical seeded parameters
        # and interchangeable state_dicts.
        self.conv_transpose = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=stride)
        self.add_value = add_value
        self.multiply_value = multiply_value
        _load_ext()

    def forward(self, x):
        # On a call that starts on an idle GPU (run.py's timing) every microsecond of Python here comes
        # before the first kernel: the parameters are read from _parameters, not through
        # Module.__getattr__, and allow_tf32 is read in ct93_forward, not through torch.backends.
        ct = self.conv_transpose
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"ModelNew expects a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 4:
            raise ValueError(f"ModelNew expects a 4-D input (N, C, H, W), got {x.dim()}-D shape {tuple(x.shape)}")
        if not x.is_cuda:
            raise ValueError(f"ModelNew runs on CUDA only; input is on device '{x.device}'")
        if x.dtype not in _SUPPORTED:
            raise TypeError(f"ModelNew supports float32/float16/bfloat16 inputs, got {x.dtype}")
        params = ct._parameters
        w = params["weight"]
        _, cin, h, wd = x.shape
        if cin != w.size(0):
            raise ValueError(f"expected {w.size(0)} input channels, got {cin}")
        if h < 1 or wd < 1:
            raise ValueError(f"input spatial size must be >= 1, got {(h, wd)}")
        if w.device != x.device:
            raise ValueError(f"input is on {x.device} but the parameters are on {w.device}")
        if w.dtype != x.dtype:
            raise TypeError(f"input dtype {x.dtype} does not match parameter dtype {w.dtype}")
        if (ct.padding != (0, 0) or ct.output_padding != (0, 0) or ct.dilation != (1, 1) or ct.groups != 1
                or ct.kernel_size[0] != ct.kernel_size[1] or ct.stride[0] != ct.stride[1]):
            raise ValueError("ModelNew supports only the reference configuration of ConvTranspose2d")
        pool_a, pool_b = _output_pool_id(x.device.index)
        return _load_ext().ct93_forward(x, w, params["bias"], ct.stride[0], self.add_value, self.multiply_value,
                                        pool_a, pool_b, _COMPRESSIBLE_MIN_BYTES)
