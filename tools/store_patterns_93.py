"""Store-pattern micro-benchmark for problem 93 (run on the GPU box).

Writes the v0.1 output (128 x 128 x 130 x 130 fp32, NCHW) with the fused kernel's persistent tile
walk, changing only which addresses the lanes of one 8-byte warp store cover; checks the whole
output and prints the median time per pattern (see the perf log next to the kernel).

Usage: python3 tools/store_patterns_93.py [PATTERN ...]   (default: all, 0-6)
  0 linear, 1 wgmma fragment order, 2 per-warp transpose, 3 per-group 32 positions of one row,
  4 fragment order with late neighbours, 5 per-co memory order, 6 per-co 32-byte-aligned windows
"""
import sys

import torch
from torch.utils.cpp_extension import load_inline

CUDA_SRC = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
constexpr int NB=128, CO=128, HQ=65, WQ=65, OH=130, OW=130;
constexpr int M = NB*HQ*WQ;
constexpr int BM = 128;
constexpr int MT = (M + BM - 1) / BM;

__device__ __forceinline__ void put(float* out, int m, int pair, int nslice) {
  if (m >= M) return;
  int n = m / (HQ*WQ), rem = m % (HQ*WQ), i = rem / WQ, j = rem % WQ;
  int p = nslice*64 + pair;
  int co = p >> 1, ph = p & 1;
  long long idx = ((long long)(n*CO + co)*OH + 2*i+ph)*OW + 2*j;
  float2 v = make_float2((float)(idx & 0xFFFFF), (float)((idx+1) & 0xFFFFF));
  *reinterpret_cast<float2*>(out + idx) = v;
}

template<int PAT>
__global__ void __launch_bounds__(256,1) k(float* out) {
  int lane = threadIdx.x & 31, warp = (threadIdx.x >> 5) & 3, grp = threadIdx.x >> 7;
  int nslice = blockIdx.x & 3, mrow = blockIdx.x >> 2, nrows = gridDim.x >> 2;
  for (int t = mrow*2 + grp; t < MT; t += nrows*2) {
    int m0 = t*BM;
    if (PAT == 1) {          // wgmma fragment order: 4 pairs x 8 positions per instruction
      int g = lane >> 2, q = lane & 3;
      #pragma unroll 4
      for (int it = 0; it < 64; ++it) {
        int mb = it >> 5, nb = (it >> 1) & 15, half = it & 1;
        put(out, m0 + mb*64 + 16*warp + g + 8*half, 4*nb + q, nslice);
      }
    } else if (PAT == 2) {   // per-warp transpose: 2 pairs x 16 positions
      #pragma unroll 4
      for (int it = 0; it < 64; ++it) {
        int mb = it >> 5, kk = it & 31;
        put(out, m0 + mb*64 + 16*warp + (lane & 15), 2*kk + (lane >> 4), nslice);
      }
    } else if (PAT == 3) {   // per-group: 1 pair x 32 positions
      #pragma unroll 4
      for (int it = 0; it < 64; ++it) {
        int pr = 16*warp + (it >> 2), s = it & 3;
        put(out, m0 + 32*s + lane, pr, nslice);
      }
    } else if (PAT == 4) {   // pattern 1's pieces, the +8-row neighbour written 16 stores later
      int g = lane >> 3, r = lane & 7;
      #pragma unroll 4
      for (int it = 0; it < 64; ++it) {
        int mb = it >> 5, sub = (it >> 4) & 1, pq = it & 15;
        put(out, m0 + mb*64 + 16*warp + 8*sub + r, 4*pq + g, nslice);
      }
    } else if (PAT == 5) {   // per group, per co: items (i, ph, j) in memory order, 32 consecutive per instruction
      int j0 = m0 % WQ;
      for (int cc = 0; cc < 8; ++cc) {
        int co_l = 8*warp + cc;
        #pragma unroll 2
        for (int kk = 0; kk < 8; ++kk) {
          int e = 32*kk + lane;
          int s = (e/2 + j0) / WQ;
          int rs = s == 0 ? 0 : s*WQ - j0;
          int re = min((s+1)*WQ - j0, BM);
          int len = re - rs, u = e - 2*rs;
          int ph = u >= len;
          int r = rs + u - ph*len;
          put(out, m0 + r, 2*co_l + ph, nslice);
        }
      }
    } else if (PAT == 6) {   // per group, per co: 32-byte aligned address windows over the co region
      for (int cc = 0; cc < 8; ++cc) {
        int co = nslice*32 + 8*warp + cc;
        int ra = 0;
        while (ra < BM && m0 + ra < M) {
          int ma = m0 + ra, n = ma / (HQ*WQ);
          int mb = min(min(m0 + BM, M), (n+1)*HQ*WQ);
          int rema = ma - n*HQ*WQ, remb = mb - 1 - n*HQ*WQ;
          long long plane = (long long)(n*CO + co)*OH*OW;
          long long A0 = plane + (long long)(2*(rema/WQ))*OW + 2*(rema%WQ);
          long long A1 = plane + (long long)(2*(remb/WQ)+1)*OW + 2*(remb%WQ) + 2;
          for (long long w = A0 & ~7LL; w < A1; w += 64) {
            long long a = w + 2*lane;
            int off = (int)(a - plane);
            int oh = off / OW, ow = off % OW;
            int pos = (oh >> 1)*WQ + (ow >> 1) + n*HQ*WQ;
            if (a >= A0 && a < A1 && pos >= ma && pos < mb) {
              float2 v = make_float2((float)(a & 0xFFFFF), (float)((a+1) & 0xFFFFF));
              *reinterpret_cast<float2*>(out + a) = v;
            }
          }
          ra = mb - m0;
        }
      }
    }
  }
}

__global__ void lin(float* out, long long n2) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  long long stride = (long long)gridDim.x * blockDim.x;
  for (; i < n2; i += stride) {
    long long idx = 2*i;
    *reinterpret_cast<float2*>(out + idx) = make_float2((float)(idx & 0xFFFFF), (float)((idx+1) & 0xFFFFF));
  }
}

void run(torch::Tensor out, int pat, int grid) {
  float* p = out.data_ptr<float>();
  switch (pat) {
    case 0: lin<<<grid, 256>>>(p, out.numel()/2); break;
    case 1: k<1><<<grid, 256>>>(p); break;
    case 2: k<2><<<grid, 256>>>(p); break;
    case 3: k<3><<<grid, 256>>>(p); break;
    case 4: k<4><<<grid, 256>>>(p); break;
    case 5: k<5><<<grid, 256>>>(p); break;
    case 6: k<6><<<grid, 256>>>(p); break;
  }
}
"""


def main():
    mod = load_inline("ct93_store_patterns", cpp_sources="void run(torch::Tensor out, int pat, int grid);",
                      cuda_sources=CUDA_SRC, functions=["run"],
                      extra_cuda_cflags=["-O3", "-gencode=arch=compute_90a,code=sm_90a"])
    out = torch.empty(128 * 128 * 130 * 130, device="cuda")
    expected = (torch.arange(out.numel(), device="cuda") & 0xFFFFF).float()
    for pat in [int(a) for a in sys.argv[1:]] or [0, 1, 2, 3, 4, 5, 6]:
        grid = 132 * 8 if pat == 0 else 132   # pattern 0 is a plain grid-stride loop
        out.fill_(float("nan"))
        mod.run(out, pat, grid)
        ok = torch.equal(out, expected)
        times = []
        for _ in range(15):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            mod.run(out, pat, grid)
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        times.sort()
        print(f"pattern {pat}: correct={ok} median {times[len(times) // 2]:.3f} ms, min {times[0]:.3f}", flush=True)


if __name__ == "__main__":
    main()
