"""wgmma issue-rate micro-benchmark for problem 93's MMA side (run on the GPU box).

Each CTA (one per SM) runs one or two warp groups that do nothing but the fused kernel's chunk
loop: per chunk, four taps x MB m64 blocks of `m64nNk8` TF32 (or `k16` bf16) wgmmas, one commit
group, `wait_group 1`. No loads, no epilogue: the time is the tensor pipe fed from shared memory
in a given operand layout. Shared memory holds random finite values: the data can change the tensor
cores' power draw, and with it the clock.

Variants differ only in the operands' shared-memory layout (no swizzle, as the fused kernel uses,
or 128-byte swizzle), in A from shared memory or registers, N and the number of groups. Prints
per variant the median time, the TF32 (or bf16) rate and SM cycles per wgmma (from clock64).

Usage: python3 tools/wgmma_rates_93.py [CHUNKS]   (default 4000 chunks per group)
"""
import sys

import torch
from torch.utils.cpp_extension import load_inline


def _wgmma_asm():
    """m64nNk8 TF32 (SS and RS) and m64nNk16 bf16 (SS) wrappers for N = 128, 256."""
    out = []
    for n in (128, 256):
        nacc = n // 2
        regs = ", ".join(f"%{i}" for i in range(nacc))
        outs = ", ".join(f'"+f"(d[{i}])' for i in range(nacc))
        for name, shape, trans in (("ss_tf32", f"m64n{n}k8.f32.tf32.tf32", ""),
                                   ("ss_bf16", f"m64n{n}k16.f32.bf16.bf16", ", 0, 0")):
            out.append(
                f"__device__ __forceinline__ void {name}_{n}(float (&d)[{nacc}], uint64_t a, uint64_t b) {{\n"
                f'  asm volatile("{{\\n.reg .pred p;\\nsetp.eq.u32 p, 1, 1;\\n"\n'
                f'               "wgmma.mma_async.sync.aligned.{shape} {{{regs}}}, %{nacc}, %{nacc + 1}, p, 1, 1{trans};\\n}}\\n"\n'
                f'               : {outs} : "l"(a), "l"(b));\n}}\n')
        out.append(
            f"__device__ __forceinline__ void rs_tf32_{n}(float (&d)[{nacc}], const uint32_t (&a)[4], uint64_t b) {{\n"
            f'  asm volatile("{{\\n.reg .pred p;\\nsetp.eq.u32 p, 1, 1;\\n"\n'
            f'               "wgmma.mma_async.sync.aligned.m64n{n}k8.f32.tf32.tf32 {{{regs}}}, '
            f'{{%{nacc}, %{nacc + 1}, %{nacc + 2}, %{nacc + 3}}}, %{nacc + 4}, p, 1, 1;\\n}}\\n"\n'
            f'               : {outs} : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b));\n}}\n')
    return "".join(out)


CUDA_SRC = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#include <c10/cuda/CUDAException.h>
#include <cstdint>

//@ASM@

constexpr int WQ = 65, HALO = WQ + 1, NPOS = 128 + HALO;   // kernelbench-v0.1's grid row and a tile's A rows
constexpr int B_BYTES = 128 * 1024;                        // resident B: 128 columns x K = 256, TF32
constexpr int STAGE = (NPOS * 128 + 1023) / 1024 * 1024;  // one A stage of 32 channels (1024-byte aligned)
constexpr int SMEM = B_BYTES + 2 * STAGE;                  // + one stage per group

__device__ __forceinline__ uint32_t smem_u32(const void* p) { return (uint32_t)__cvta_generic_to_shared(p); }
// sm_90 matrix descriptor: start, leading and stride byte offsets; layout type 1 = 128-byte swizzle.
__device__ __forceinline__ uint64_t desc(uint32_t addr, uint32_t lbo, uint32_t sbo, bool sw128) {
  return (uint64_t)((addr & 0x3FFFFu) >> 4) | ((uint64_t)(lbo >> 4) << 16) | ((uint64_t)(sbo >> 4) << 32) |
         (sw128 ? (1ull << 62) : 0ull);
}

// A of tap t, m64 block mb, k-block kb (8 TF32 channels = 32 bytes of K).
//   no swizzle (the fused kernel's stage): [quad][row][16 B]; next quad (LBO) one slab on, next 8 rows 256 B
//     on (the two m64 blocks' 8-row groups interleaved);
//   128-byte swizzle: [row][128 B] (32 channels a row), 8-row atoms of 1024 B; kb advances the start by 32 B.
template <bool SW>
__device__ __forceinline__ uint64_t a_desc(uint32_t stage, int t, int mb, int kb) {
  const int shift = HALO - (t / 2) * WQ - (t % 2);
  if (SW) return desc(stage + (uint32_t)(shift * 128 + mb * 64 * 128 + kb * 32), 16, 1024, true);
  return desc(stage + (uint32_t)(kb * 2 * NPOS * 16 + shift * 16 + mb * 128), NPOS * 16, 256, false);
}
// B of k-block kb, columns n0 ..: no swizzle as the fused kernel packs it (per k-block 8-column groups of
// 256 B, two core matrices); 128-byte swizzle: [k32 block][column][128 B].
template <bool SW>
__device__ __forceinline__ uint64_t b_desc(uint32_t b, int kb, int ncols) {
  kb %= B_BYTES / (ncols * 32);   // k-blocks of the resident B (N = 256: half of K)
  if (SW) return desc(b + (uint32_t)((kb / 4) * ncols * 128 + (kb % 4) * 32), 16, 1024, true);
  return desc(b + (uint32_t)(kb * ncols * 32), 128, 256, false);
}

template <int N, bool ASW, bool BSW, bool RS, bool BF16, int MB>
__global__ void __launch_bounds__(256, 1) rate_kernel(int chunks, int groups, float* sink, int64_t* cycles) {
  extern __shared__ __align__(1024) unsigned char smem[];
  // random finite values in [1, 2), as TF32 or as two bf16
  for (int i = threadIdx.x; i < SMEM / 4; i += blockDim.x) {
    uint32_t h = (uint32_t)i * 2654435761u;
    h ^= h >> 13; h *= 0x5bd1e995u; h ^= h >> 15;
    reinterpret_cast<uint32_t*>(smem)[i] = BF16 ? 0x3F803F80u | (h & 0x007F007Fu) : 0x3F800000u | (h & 0x007FE000u);
  }
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
  __syncthreads();
  const int g = threadIdx.x / 128;
  if (g >= groups) return;
  const uint32_t b = smem_u32(smem), stage = b + B_BYTES + g * STAGE;
  constexpr int NACC = N / 2;
  float acc[MB][NACC];
#pragma unroll
  for (int mb = 0; mb < MB; ++mb)
#pragma unroll
    for (int i = 0; i < NACC; ++i) {
      acc[mb][i] = 0.f;
      asm volatile("" : "+f"(acc[mb][i])::"memory");   // no constant for ptxas to fold into the loop head
    }
  uint32_t afrag[4];
#pragma unroll
  for (int i = 0; i < 4; ++i) afrag[i] = 0x3F800000u | ((threadIdx.x * 4 + i) << 13);
  const int64_t t0 = clock64();
  for (int c = 0; c < chunks; ++c) {
    const int kb = c % 8;   // the chunk's k-block of channels, as the fused kernel's 8 chunks per tile
    asm volatile("wgmma.fence.sync.aligned;" ::: "memory");
#pragma unroll
    for (int t = 0; t < 4; ++t) {
      const uint64_t bd = b_desc<BSW>(b, (kb * 4 + t) % 32, N);
#pragma unroll
      for (int mb = 0; mb < MB; ++mb) {
        if constexpr (RS) {
          if constexpr (N == 128) rs_tf32_128(acc[mb], afrag, bd); else rs_tf32_256(acc[mb], afrag, bd);
        } else {
          const uint64_t ad = a_desc<ASW>(stage, t, mb, kb % 4);
          if constexpr (BF16) { if constexpr (N == 128) ss_bf16_128(acc[mb], ad, bd); else ss_bf16_256(acc[mb], ad, bd); }
          else { if constexpr (N == 128) ss_tf32_128(acc[mb], ad, bd); else ss_tf32_256(acc[mb], ad, bd); }
        }
      }
    }
    asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory");
    asm volatile("wgmma.wait_group.sync.aligned 1;" ::: "memory");
  }
  asm volatile("wgmma.wait_group.sync.aligned 0;" ::: "memory");
  const int64_t t1 = clock64();
  float s = 0.f;
#pragma unroll
  for (int mb = 0; mb < MB; ++mb)
#pragma unroll
    for (int i = 0; i < NACC; ++i) {
      asm volatile("" : "+f"(acc[mb][i])::"memory");   // read only after the wait
      s += acc[mb][i];
    }
  if (s == 12345.f) sink[0] = s;   // keeps the products alive
  if (threadIdx.x == 0) cycles[blockIdx.x] = t1 - t0;
}

using Kernel = void (*)(int, int, float*, int64_t*);
template <int N, bool ASW, bool BSW, bool RS, bool BF16, int MB>
Kernel pick() {
  auto k = rate_kernel<N, ASW, BSW, RS, BF16, MB>;
  cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, SMEM);
  return k;
}

void run(int variant, int chunks, int groups, torch::Tensor sink, torch::Tensor cycles) {
  Kernel k = nullptr;
  switch (variant) {
    case 0: k = pick<128, false, false, false, false, 2>(); break;   // the fused kernel's layouts
    case 1: k = pick<128, true, true, false, false, 2>(); break;
    case 2: k = pick<128, false, true, false, false, 2>(); break;
    case 3: k = pick<128, true, false, false, false, 2>(); break;
    case 4: k = pick<128, false, false, true, false, 2>(); break;    // A from registers
    case 5: k = pick<128, false, true, true, false, 2>(); break;
    case 6: k = pick<256, false, false, false, false, 1>(); break;
    case 7: k = pick<256, true, true, false, false, 1>(); break;
    case 8: k = pick<128, false, false, false, true, 2>(); break;    // bf16 k16
    case 9: k = pick<128, true, true, false, true, 2>(); break;
    default: TORCH_CHECK(false, "unknown variant");
  }
  k<<<(int)cycles.numel(), 256, SMEM>>>(chunks, groups, sink.data_ptr<float>(), cycles.data_ptr<int64_t>());
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}
"""

VARIANTS = {
    0: "TF32 n128 SS, A and B no swizzle (fused kernel)",
    1: "TF32 n128 SS, A and B 128B swizzle",
    2: "TF32 n128 SS, A no swizzle, B 128B swizzle",
    3: "TF32 n128 SS, A 128B swizzle, B no swizzle",
    4: "TF32 n128 RS, B no swizzle",
    5: "TF32 n128 RS, B 128B swizzle",
    6: "TF32 n256 SS (one m64 block), no swizzle",
    7: "TF32 n256 SS (one m64 block), 128B swizzle",
    8: "bf16 n128 SS, no swizzle",
    9: "bf16 n128 SS, 128B swizzle",
}


def main():
    chunks = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    mod = load_inline("ct93_wgmma_rates", cpp_sources="void run(int, int, int, torch::Tensor, torch::Tensor);",
                      cuda_sources=CUDA_SRC.replace("//@ASM@", _wgmma_asm()), functions=["run"],
                      extra_cuda_cflags=["-O3", "-gencode=arch=compute_90a,code=sm_90a"])
    nsm = torch.cuda.get_device_properties(0).multi_processor_count
    sink = torch.zeros(1, device="cuda")
    cycles = torch.zeros(nsm, dtype=torch.int64, device="cuda")
    for groups in (2, 1):
        for variant, label in VARIANTS.items():
            mod.run(variant, chunks // 10, groups, sink, cycles)   # warm-up
            times = []
            for _ in range(7):
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                mod.run(variant, chunks, groups, sink, cycles)
                end.record()
                end.synchronize()
                times.append(start.elapsed_time(end))
            ms = sorted(times)[len(times) // 2]
            n = 256 if variant in (6, 7) else 128
            mb = 1 if variant in (6, 7) else 2
            k = 16 if variant in (8, 9) else 8
            wgmmas = chunks * 4 * mb * groups   # per SM
            flop = 2.0 * 64 * n * k * wgmmas * nsm
            cyc = cycles.double().median().item()
            print(f"groups {groups} variant {variant} ({label}): {ms:.3f} ms, {flop / ms / 1e9:.0f} TFLOP/s, "
                  f"{cyc / wgmmas:.1f} SM cycles per wgmma, clock {cyc / ms / 1e6:.2f} GHz", flush=True)


if __name__ == "__main__":
    main()
