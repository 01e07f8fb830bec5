"""Store-pattern micro-benchmark for problem 93 (run on the GPU box).

Writes the v0.1 output (128 x 128 x 130 x 130 fp32, NCHW) with the fused kernel's persistent tile
walk, changing only which addresses the lanes of one 8-byte warp store cover; checks the whole
output and prints the median time per pattern (see the perf log next to the kernel).

Usage: python3 tools/store_patterns_93.py [PATTERN[:LAG][@GRID] ...]   (default: 0 5 14 19; GRID: CTAs, default
132 * 8 for pattern 0 and 132 for the others; LAG: pattern 34's only)
  0 linear, 1 wgmma fragment order, 2 per-warp transpose, 3 per-group 32 positions of one row,
  4 fragment order with late neighbours, 5 per-co memory order, 6 per-co 32-byte-aligned windows,
  7 TMA tensor stores of two 64-element parts of each row pair (+ 2 elements by plain stores),
  8 TMA tensor stores of whole row pairs,
  9 TMA tensor stores split by phase row: a CTA owns one ph and 64 co; ph 0 stores elements
    [0, 64), ph 1 elements [66, 130) (both 16-byte aligned), each + 1 element by a plain store
  10 per co, the tile's items as contiguous runs in memory order, parked at the output's 16-byte phase and
    written by 1-D bulk stores (+ 8-byte heads/tails by plain stores)
  11 pattern 5 with each CTA walking one contiguous chunk of tiles, 12 pattern 5 with streaming (.cs) stores,
  13 pattern 8's boxes all stored from one buffer of a constant, filled once (checked against that constant)
  14 per warp, 32 consecutive positions of one (co, ph) per store (the v17 kernel's write-out)
  15, 16, 17 pattern 0 shifted by 8, 32 or 128 bytes (the first pairs are left out of the check); 24 by 16 bytes
  18 pattern 5's tiles, each warp store one 256-byte-aligned window of a channel plane, lanes outside the tile masked
  19 tiles of two image rows: per channel one hole-free 2080-byte run, written as sector-aligned 256-byte windows
  20 pattern 19 with the windows started at each run's first pair (odd channels: 16 bytes into a sector)
  21 pattern 19 without each row's last pair, then those pairs by a second kernel; 22 that second kernel alone
  23 pattern 19's tiles, each channel's run staged in shared memory by its warp and written by one 1-D bulk store
  25 pattern 14, with each 16-byte unit whose halves lie in different warps' stores of one tile (or at a
    row end, ph 0 at j = 64 with ph 1 at j = 0) written whole by one 16-byte store after the tile
  26, 27 pattern 14 with an L2 evict_last (26) or evict_first (27) cache policy on every store
  28 pattern 19's tiles, each lane storing the 16-byte unit that starts at one of its 2 positions per block of 8
    (a row-pair kernel's accumulators stored without staging), plus each row's 8-byte head or tail
  29 tiles of two global image rows (v = 2t, 2t + 1), positions j < 64 as an SS kernel's two m64 blocks hold them
    after the quad transposition: per store one (co, ph), lanes 0-15 row v and 16-31 row v + 1 at j = 16 warp + l;
    the 8 pairs at j = 64 of each n8 block (2 co x 2 ph x 2 rows) by lanes 0-7 of one warp after the block's stores;
    30 the same with the j = 64 pairs at the end of the tile; 31 without them (those pairs are not checked)
  34:LAG pattern 15's stream in 256-byte warp chunks, the even chunks swept first and the odd ones LAG steps
    behind (a step: every warp stores one chunk of each; 1056 warps, ~540 KB a step): both parts of every split
    sector are stored LAG steps apart, about LAG * 0.54 MB of other stores in between (LAG 0: one warp stores a
    chunk pair back to back)
  35 v94's map: per tile and channel, the tile's pairs of both phase rows in memory order on slots whose sector
    phase is their address's (each row segment that does not continue the one before it in memory starts on such
    a slot), group thread g storing slots g, g + 128 and g + 256: every warp store covers whole sectors;
    36 pattern 35 and 37 pattern 14 with each CTA walking one contiguous chunk of tiles (as main's v91 kernel)
  32 an all-zero tile as vzt would write it: the kernel's 128-position tiles, per 16-channel group each of the
    tile's runs in the row-pair view (below) as TMA boxes of power-of-two widths (16 to 1024 bytes) from one
    constant area, the runs' odd heads and tails (8 bytes) by plain stores (checked against that constant);
    33 the same with boxes of 128 bytes and more only, each run's narrower rest by plain stores
Patterns 7-9, 13, 32 and 33 view the output as 8-byte elements (one row pair 2i, 2i+1 is 130 of them,
1040 bytes): TMA needs strides that are multiples of 16 bytes, and a 130-float row is 520. A box
must also start 16-byte aligned: a part starting at element 65 (the second row) faults with an
illegal instruction. The group's threads write each round's values to shared memory (two
buffers per group), then one thread issues the stores. Tile t = phase rows 2t, 2t + 1.
"""
import sys

import torch
from torch.utils.cpp_extension import load_inline

CUDA_SRC = r"""
#include <torch/extension.h>
#include <cuda_runtime.h>
#include <cuda.h>
#include <cudaTypedefs.h>
constexpr int NB=128, CO=128, HQ=65, WQ=65, OH=130, OW=130;
constexpr int M = NB*HQ*WQ;
constexpr int BM = 128;
constexpr int MT = (M + BM - 1) / BM;

// The value every pattern writes at flat index idx (and idx + 1): the check recomputes it.
__device__ __forceinline__ float2 value_pair(long long idx) {
  return make_float2((float)(idx & 0xFFFFF), (float)((idx+1) & 0xFFFFF));
}

template<bool STREAMING = false>   // STREAMING: st.global.cs (evict-first)
__device__ __forceinline__ void put(float* out, int m, int pair, int nslice, uint64_t l2_policy = 0) {
  if (m >= M) return;
  int n = m / (HQ*WQ), rem = m % (HQ*WQ), i = rem / WQ, j = rem % WQ;
  int p = nslice*64 + pair;
  int co = p >> 1, ph = p & 1;
  long long idx = ((long long)(n*CO + co)*OH + 2*i+ph)*OW + 2*j;
  const float2 v = value_pair(idx);
  if (STREAMING) __stcs(reinterpret_cast<float2*>(out + idx), v);
  else if (l2_policy) asm volatile("st.global.L2::cache_hint.v2.f32 [%0], {%1, %2}, %3;"
                                   :: "l"(out + idx), "f"(v.x), "f"(v.y), "l"(l2_policy) : "memory");
  else *reinterpret_cast<float2*>(out + idx) = v;
}

// Pattern 25: where the 16-byte unit of position m's pair (co, ph of slice pair `pair`) has its other
// half in another warp's window or the other phase row (row ends: ph 0 at j = 64 with ph 1 at j = 0),
// but in the same tile. Returns 0 when the pair is stored as usual (other half in the same warp
// store, or outside the tile), 1 when this pair is the unit's first half (idx: the unit's start),
// 2 when it is the second half (written with the first).
__device__ __forceinline__ int split_pair(int m, int m0, int warp, int pair, int nslice, long long& idx) {
  if (m >= M) return 0;
  const int rem = m % (HQ*WQ), j = rem % WQ, ph = pair & 1;
  const bool first = ((j + ph) & 1) == 0;
  int other;
  if (first) other = j < WQ - 1 ? m + 1 : m - (WQ - 1);   // row end (ph 0): ph 1 at j = 0
  else other = j > 0 ? m - 1 : m + (WQ - 1);              // row start (ph 1): ph 0 at j = 64
  const bool row_cross = first ? j == WQ - 1 : j == 0;
  if (other < m0 || other >= min(m0 + BM, M)) return 0;
  if (!row_cross && (other - m0) / 32 == warp) return 0;
  if (!first) return 2;
  const int n = m / (HQ*WQ), i = rem / WQ, co = (nslice*64 + pair) >> 1;
  idx = ((long long)(n*CO + co)*OH + 2*i + ph)*OW + 2*j;
  return 1;
}

// Pattern 35's slots for group thread gt in tile m0 (v94's map, exp/check_v94_map.py on branch kit/v90): element
// offsets of slots gt, gt + 128, gt + 256 of channel slice_co + cp, and bit 3 cp + q set when slot q holds a pair.
// A plane holds 8450 pairs, so a channel's sector phase (4 pairs a sector) depends only on its parity.
__device__ __forceinline__ void memory_order_slots(int m0, int slice_co, int gt, long long (&dst)[2][3], unsigned& ok) {
  const int mend = min(m0 + BM, M);
  const int r0 = m0 / WQ, j0 = m0 - r0 * WQ, r1 = (mend - 1) / WQ, j1 = mend - 1 - r1 * WQ;
  ok = 0;
  for (int cp = 0; cp < 2; ++cp) {
    int prev_end = 0;
    for (int kk = 0; kk < 6; ++kk) {
      const int r = r0 + kk / 2, ph = kk & 1;
      if (r > r1) break;
      const int ja = r == r0 ? j0 : 0, jb = r == r1 ? j1 : WQ - 1, len = jb - ja + 1;
      const int n = r / HQ, i = r - n * HQ;
      const long long chan = (long long)n * CO + slice_co + cp;
      const int phase = (int)((chan * (OH * WQ) + (2 * i + ph) * WQ + ja) & 3);
      const bool contiguous = kk > 0 && (ph == 1 ? (ja == 0 && jb == WQ - 1) : i != 0);
      const int start = kk == 0 ? phase : contiguous ? prev_end : prev_end + ((phase - prev_end) & 3);
      for (int q = 0; q < 3; ++q) {
        const int d = gt + 128 * q - start;
        if (d >= 0 && d < len) {
          ok |= 1u << (3 * cp + q);
          dst[cp][q] = (chan * OH + 2 * i + ph) * OW + 2 * (ja + d);
        }
      }
      prev_end = start + len;
    }
  }
}

template<int PAT>
__global__ void __launch_bounds__(256,1) k(float* out) {
  int lane = threadIdx.x & 31, warp = (threadIdx.x >> 5) & 3, grp = threadIdx.x >> 7;
  int nslice = blockIdx.x & 3, mrow = blockIdx.x >> 2, nrows = gridDim.x >> 2;
  // patterns 11, 36 and 37: each CTA walks a contiguous chunk of tiles (the others: tiles interleaved over the CTAs)
  const int chunk = (MT + nrows - 1) / nrows;
  constexpr bool CONTIGUOUS = PAT == 11 || PAT == 36 || PAT == 37;
  const int tfirst = CONTIGUOUS ? mrow*chunk + grp : mrow*2 + grp;
  const int tend = CONTIGUOUS ? min(MT, (mrow + 1)*chunk) : MT, tstep = CONTIGUOUS ? 2 : nrows*2;
  for (int t = tfirst; t < tend; t += tstep) {
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
    } else if (PAT == 14 || PAT == 37) {  // per warp, 32 consecutive positions for every (co, ph) of the slice
      #pragma unroll 4
      for (int it = 0; it < 64; ++it) put(out, m0 + 32*warp + lane, it, nslice);
    } else if (PAT == 35 || PAT == 36) {   // v94's map, every channel of the slice
      long long dst[2][3];
      unsigned ok;
      memory_order_slots(m0, nslice * 32, 32 * warp + lane, dst, ok);
      #pragma unroll 4
      for (int c = 0; c < 32; ++c) {
        const int cp = c & 1;
        const long long off = (long long)(c - cp) * OH * OW;
        #pragma unroll
        for (int q = 0; q < 3; ++q)
          if (ok >> (3 * cp + q) & 1) {
            const long long idx = dst[cp][q] + off;
            *reinterpret_cast<float2*>(out + idx) = value_pair(idx);
          }
      }
    } else if (PAT == 26 || PAT == 27) {   // pattern 14 with an L2 eviction policy on every store
      uint64_t pol;
      if (PAT == 26) asm("createpolicy.fractional.L2::evict_last.b64 %0, 1.0;" : "=l"(pol));
      else asm("createpolicy.fractional.L2::evict_first.b64 %0, 1.0;" : "=l"(pol));
      #pragma unroll 4
      for (int it = 0; it < 64; ++it) put(out, m0 + 32*warp + lane, it, nslice, pol);
    } else if (PAT == 25) {  // pattern 14, with every 16-byte unit that lies in the tile written whole
      const int m = m0 + 32*warp + lane;
      #pragma unroll 4
      for (int it = 0; it < 64; ++it) {
        long long idx;
        if (split_pair(m, m0, warp, it, nslice, idx) == 0) put(out, m, it, nslice);
      }
      #pragma unroll 4
      for (int it = 0; it < 64; ++it) {   // the units split between warps or rows, after the tile
        long long idx;
        if (split_pair(m, m0, warp, it, nslice, idx) == 1) {
          const float2 a = value_pair(idx), b = value_pair(idx + 2);
          *reinterpret_cast<float4*>(out + idx) = make_float4(a.x, a.y, b.x, b.y);
        }
      }
    } else if (PAT == 5 || PAT == 11 || PAT == 12) {   // per group, per co: items (i, ph, j) in memory order,
                                                        // 32 consecutive per instruction (12: streaming stores)
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
          put<PAT == 12>(out, m0 + r, 2*co_l + ph, nslice);
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
              *reinterpret_cast<float2*>(out + a) = value_pair(a);
            }
          }
          ra = mb - m0;
        }
      }
    }
  }
}

// ---- TMA-store patterns: tile t = phase rows v = 2t, 2t + 1 (v = n * HQ + i); per round 8 co ----
__device__ __forceinline__ uint32_t smem_u32(const void* p) { return (uint32_t)__cvta_generic_to_shared(p); }
__device__ __forceinline__ void bar_sync(int id) { asm volatile("bar.sync %0, 128;" ::"r"(id) : "memory"); }

// Box geometry of TMA pattern PAT, shared by the kernel and its launch.
template<int PAT>
struct TmaPattern {
  static constexpr bool PARTS = PAT == 7;       // elements [0, 64) and [64, 128) by TMA, 128 and 129 by plain stores
  static constexpr bool PH_SPLIT = PAT == 9;
  static constexpr bool CONST = PAT == 13;      // pattern 8's boxes, all from one buffer filled once
  static constexpr int QB = PAT == 8 || CONST ? 130 : 64;   // 8-byte elements per box row
  static constexpr int NBOX = PARTS ? 4 : 2;    // boxes per round: (row, part) or row
  static constexpr int BOX_BYTES = 8 * QB * 8;  // [8 co][QB]
  static constexpr int BUF = NBOX * BOX_BYTES;
  static constexpr int SMEM = 2 * 2 * BUF;      // two buffers for each of the two groups
};

// Flat output index of element qq of the row pair of phase row v = 2t + row, channel co.
__device__ __forceinline__ long long pair_index(int t, int row, int co, int qq) {
  const int v = 2*t + row, n = v / HQ, i = v % HQ, ph = qq / 65, j = qq % 65;
  return ((long long)(n*CO + co)*OH + 2*i + ph)*OW + 2*j;
}

template<int PAT>
__global__ void __launch_bounds__(256,1) tma_k(float* out, const __grid_constant__ CUtensorMap map) {
  using P = TmaPattern<PAT>;
  constexpr bool PARTS = P::PARTS, PH_SPLIT = P::PH_SPLIT;
  constexpr int QB = P::QB, NBOX = P::NBOX, BOX_BYTES = P::BOX_BYTES, BUF = P::BUF;
  constexpr int Q1 = 64;                        // the second part's first element (16-byte aligned)
  constexpr int ROUNDS = PH_SPLIT ? 8 : 4;      // 8 co per round: 64 or 32 co per CTA
  extern __shared__ __align__(128) unsigned char sm[];
  const int tid = threadIdx.x & 127, grp = threadIdx.x >> 7;
  const int nslice = blockIdx.x & 3, mrow = blockIdx.x >> 2, nrows = gridDim.x >> 2;
  const int qph = PH_SPLIT ? (nslice & 1) * 66 : 0;   // PH_SPLIT: the CTA's first element
  unsigned char* gbuf = sm + grp * 2 * BUF;
  if (P::CONST) {
    for (int e = tid; e < NBOX*8*QB; e += 128) reinterpret_cast<float2*>(gbuf)[e] = make_float2(1.5f, 1.5f);
    asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
    bar_sync(1 + grp);
  }
  int round = 0;
  for (int t = mrow*2 + grp; t < NB*HQ/2; t += nrows*2) {
    for (int rd = 0; rd < ROUNDS; ++rd, ++round) {
      if (P::CONST) {
        if (tid == 0) {
          for (int box = 0; box < NBOX; ++box) {
            const int v = 2*t + box, n = v / HQ, i = v % HQ;
            asm volatile("cp.async.bulk.tensor.4d.global.shared::cta.bulk_group [%0, {%1, %2, %3, %4}], [%5];"
                         :: "l"(&map), "r"(0), "r"(i), "r"(nslice*32 + rd*8), "r"(n), "r"(smem_u32(gbuf) + box*BOX_BYTES)
                         : "memory");
          }
          asm volatile("cp.async.bulk.commit_group;" ::: "memory");
        }
        continue;
      }
      float2* buf = reinterpret_cast<float2*>(gbuf + (round & 1) * BUF);
      // the buffer's previous stores (two rounds back) must have read shared memory
      if (tid == 0) asm volatile("cp.async.bulk.wait_group.read 1;" ::: "memory");
      bar_sync(1 + grp);
      const int co0 = (PH_SPLIT ? (nslice >> 1)*64 : nslice*32) + rd*8;
      for (int e = tid; e < NBOX*8*QB; e += 128) {
        const int box = e / (8*QB), r = e % (8*QB), c = r / QB, q = r % QB;
        const int row = PARTS ? box >> 1 : box, qq = (PARTS ? (box & 1)*Q1 : qph) + q;
        buf[e] = value_pair(pair_index(t, row, co0 + c, qq));
      }
      asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
      bar_sync(1 + grp);
      if (tid == 0) {
        for (int box = 0; box < NBOX; ++box) {
          const int row = PARTS ? box >> 1 : box, q0 = PARTS ? (box & 1)*Q1 : qph;
          const int v = 2*t + row, n = v / HQ, i = v % HQ;
          asm volatile("cp.async.bulk.tensor.4d.global.shared::cta.bulk_group [%0, {%1, %2, %3, %4}], [%5];"
                       :: "l"(&map), "r"(q0), "r"(i), "r"(co0), "r"(n), "r"(smem_u32(buf) + box*BOX_BYTES) : "memory");
        }
        asm volatile("cp.async.bulk.commit_group;" ::: "memory");
      }
      if ((PARTS && tid < 32) || (PH_SPLIT && tid < 16)) {   // elements outside the boxes: 2 rows x 8 co x 2 or 1
        const int row = PARTS ? tid >> 4 : tid >> 3, c = PARTS ? (tid >> 1) & 7 : tid & 7;
        const int qq = PARTS ? 128 + (tid & 1) : (nslice & 1 ? 65 : 64);
        const long long idx = pair_index(t, row, co0 + c, qq);
        *reinterpret_cast<float2*>(out + idx) = value_pair(idx);
      }
    }
  }
  if (tid == 0) asm volatile("cp.async.bulk.wait_group 0;" ::: "memory");
}

// out as 8-byte elements: (q of a row pair, i, co, n)
static CUtensorMap pair_map(float* out, int box_q, int box_co = 8) {
  static PFN_cuTensorMapEncodeTiled_v12000 encode = [] {
    void* fn = nullptr;
    cudaDriverEntryPointQueryResult q;
    TORCH_CHECK(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &fn, 12000, cudaEnableDefault, &q) ==
                cudaSuccess && q == cudaDriverEntryPointSuccess, "cuTensorMapEncodeTiled not found");
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(fn);
  }();
  CUtensorMap map;
  const cuuint64_t dims[4] = {130, HQ, CO, NB};
  const cuuint64_t strides[3] = {1040, (cuuint64_t)OH*OW*4, (cuuint64_t)CO*OH*OW*4};
  const cuuint32_t box[4] = {(cuuint32_t)box_q, 1, (cuuint32_t)box_co, 1};
  const cuuint32_t estr[4] = {1, 1, 1, 1};
  TORCH_CHECK(encode(&map, CU_TENSOR_MAP_DATA_TYPE_FLOAT64, 4, out, dims, strides, box, estr,
                     CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_NONE, CU_TENSOR_MAP_L2_PROMOTION_NONE,
                     CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS, "tensor map encoding failed");
  return map;
}

template<int PAT>
static void launch_tma(float* out, int grid) {
  using P = TmaPattern<PAT>;
  static bool attr = false;
  if (!attr) { cudaFuncSetAttribute(tma_k<PAT>, cudaFuncAttributeMaxDynamicSharedMemorySize, P::SMEM); attr = true; }
  tma_k<PAT><<<grid, 256, P::SMEM>>>(out, pair_map(out, P::QB));
}

// ---- patterns 32, 33: an all-zero tile written as vzt would: TMA boxes from one constant area ----
constexpr int ZB_CO = 16;                  // channels per box: a 32-channel slice is two boxes deep
constexpr int ZB_WIDTHS = 7;               // box widths 2, 4, ..., 128 elements of 8 bytes
constexpr int ZB_SMEM = ZB_CO * 128 * 8;   // the widest box's source; every box reads its start
struct ZboxMaps { CUtensorMap width[ZB_WIDTHS]; };   // width[k - 1]: boxes of 2^k elements

// Calls f(n, i, lo, hi) for each run of tile [m0, m1) in the row-pair view: elements [lo, hi) of row pair i of
// image n. A phase-row segment [a, b) is two runs (ph 0 at a, ph 1 at 65 + a), a whole phase row one. Unlike
// pattern 10's tile_runs, runs that touch across row pairs stay apart: a box lies in one row pair.
template <typename F>
__device__ __forceinline__ void for_each_run(int m0, int m1, F f) {
  for (int m = m0; m < m1;) {
    const int v = m / WQ, n = v / HQ, i = v % HQ, a = m % WQ, b = min(WQ, a + (m1 - m));
    if (a == 0 && b == WQ) {
      f(n, i, 0, 2 * WQ);
    } else {
      f(n, i, a, b);
      f(n, i, WQ + a, WQ + b);
    }
    m += b - a;
  }
}

// Warps 0 and 1 of a group issue the boxes of channel groups 0 and 1 from one lane: per run, from its first even
// element on, the widest power-of-two boxes that fit (a box must start 16-byte aligned), while the rest is at least
// 2^MIN_K elements wide. Warps 2 and 3 store the rest by plain 8-byte stores: an odd head, and the run's last
// (len - boxed) elements, where boxed = len rounded down to a multiple of 2^MIN_K (what the greedy boxes take);
// per store two channels, 16 lanes each.
template <int MIN_K>
__global__ void __launch_bounds__(256, 1) zbox_k(float* out, const __grid_constant__ ZboxMaps maps) {
  extern __shared__ __align__(128) unsigned char sm[];
  const int tid = threadIdx.x & 127, grp = threadIdx.x >> 7, warp = tid >> 5, lane = tid & 31;
  const int nslice = blockIdx.x & 3, mrow = blockIdx.x >> 2, nrows = gridDim.x >> 2;
  for (int e = threadIdx.x; e < ZB_CO * 128; e += blockDim.x) reinterpret_cast<float2*>(sm)[e] = make_float2(1.5f, 1.5f);
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
  __syncthreads();
  const bool issuer = warp < 2 && lane == 0;
  const int co0 = nslice * 32 + (warp & 1) * ZB_CO;
  for (int t = mrow * 2 + grp; t < MT; t += nrows * 2) {
    const int m0 = t * BM, m1 = min(M, m0 + BM);
    if (issuer) {
      for_each_run(m0, m1, [&](int n, int i, int lo, int hi) {
        lo += lo & 1;
        for (int k; hi - lo >= (1 << MIN_K); lo += 1 << k) {
          k = min(31 - __clz(hi - lo), ZB_WIDTHS);
          asm volatile("cp.async.bulk.tensor.4d.global.shared::cta.bulk_group [%0, {%1, %2, %3, %4}], [%5];"
                       :: "l"(&maps.width[k - 1]), "r"(lo), "r"(i), "r"(co0), "r"(n), "r"(smem_u32(sm)) : "memory");
        }
      });
      asm volatile("cp.async.bulk.commit_group;" ::: "memory");
    } else if (warp >= 2) {
      for_each_run(m0, m1, [&](int n, int i, int lo, int hi) {
        const int head = lo & 1, len = hi - lo - head, rest = hi - (len & ((1 << MIN_K) - 1));
        const int j = lane & 15, e = head ? (j == 0 ? lo : rest + j - 1) : rest + j;   // this lane's element
        if (e >= hi) return;
        for (int c = lane >> 4; c < ZB_CO; c += 2) {
          float* pair0 = out + ((long long)(n * CO + co0 + c) * OH + 2 * i) * OW;   // element 0 of row pair i
          *reinterpret_cast<float2*>(pair0 + 2 * e) = make_float2(1.5f, 1.5f);
        }
      });
    }
  }
  if (issuer) asm volatile("cp.async.bulk.wait_group 0;" ::: "memory");
}

template <int MIN_K>
static void launch_zbox(float* out, int grid) {
  static bool attr = false;
  if (!attr) {
    cudaFuncSetAttribute(zbox_k<MIN_K>, cudaFuncAttributeMaxDynamicSharedMemorySize, ZB_SMEM);
    attr = true;
  }
  // Encoded once per output: seven encodes on the host would sit inside the timed events' window.
  static float* encoded_for = nullptr;
  static ZboxMaps maps;
  if (out != encoded_for) {
    for (int k = 1; k <= ZB_WIDTHS; ++k) maps.width[k - 1] = pair_map(out, 1 << k, ZB_CO);
    encoded_for = out;
  }
  zbox_k<MIN_K><<<grid, 256, ZB_SMEM>>>(out, maps);
}

// ---- pattern 10: per co, the tile's items as contiguous output runs, parked in memory order and written
// by 1-D bulk stores (16-byte aligned middle) plus plain 8-byte stores for an unaligned head or tail ----
constexpr int RUN_MAX = 8;                  // runs per co of one tile: <= 3 per image row span, <= 2 images
constexpr int CO_BYTES = 2 * BM * 8 + RUN_MAX * 16;   // one co's parked runs, each start shifted to the output's
                                                      // 16-byte phase
constexpr int BULK_BUF = 8 * CO_BYTES;      // one round: 8 co
struct Run { int n, start, len, sbyte; };   // image, first element in its (n, co) plane, elements, park byte

// The runs of tile t: split the tile's positions by image row; a row's ph 0 and ph 1 pieces are two runs,
// and pieces that touch in memory (full rows) merge.
__device__ int tile_runs(int m0, Run* runs) {
  int nr = 0, sbyte = 0;
  const int m1 = min(m0 + BM, M);
  for (int m = m0; m < m1;) {
    const int v = m / WQ, n = v / HQ, i = v % HQ, ja = m % WQ, jb = min(WQ, ja + (m1 - m));
    for (int ph = 0; ph < 2; ++ph) {
      const int start = (2*i + ph)*OW + 2*ja, len = 2*(jb - ja);
      if (nr > 0 && runs[nr-1].n == n && runs[nr-1].start + runs[nr-1].len == start) {
        runs[nr-1].len += len;
        sbyte += 4*len;
      } else {
        sbyte = (sbyte + 15) / 16 * 16 + (start % 4) * 4;   // same 16-byte phase as the output
        runs[nr++] = Run{n, start, len, sbyte};
        sbyte += 4*len;
      }
    }
    m += jb - ja;
  }
  return nr;
}

__global__ void __launch_bounds__(256,1) bulk_k(float* out) {
  __shared__ Run runs_sm[2][RUN_MAX];
  __shared__ int nruns_sm[2];
  extern __shared__ __align__(128) unsigned char sm[];
  const int tid = threadIdx.x & 127, grp = threadIdx.x >> 7;
  const int nslice = blockIdx.x & 3, mrow = blockIdx.x >> 2, nrows = gridDim.x >> 2;
  unsigned char* gbuf = sm + grp * 2 * BULK_BUF;
  Run* runs = runs_sm[grp];
  int round = 0;
  for (int t = mrow*2 + grp; t < MT; t += nrows*2) {
    const int m0 = t*BM;
    // the previous tile's issuers are past their last read of the run table (barrier below)
    bar_sync(1 + grp);
    if (tid == 0) nruns_sm[grp] = tile_runs(m0, runs);
    bar_sync(1 + grp);
    const int nr = nruns_sm[grp];
    for (int rd = 0; rd < 4; ++rd, ++round) {
      unsigned char* buf = gbuf + (round & 1) * BULK_BUF;
      // the buffer's previous bulk stores (two rounds back) must have read shared memory
      asm volatile("cp.async.bulk.wait_group.read 1;" ::: "memory");
      bar_sync(1 + grp);
      const int co0 = nslice*32 + rd*8;
      for (int e = tid; e < 8 * BM * 2; e += 128) {   // 8 co x 256 pairs, in run order
        const int c = e / (2*BM);
        int k = e % (2*BM), r = 0;
        while (r < nr - 1 && k >= runs[r].len / 2) k -= runs[r++].len / 2;
        if (r >= nr || k >= runs[r].len / 2) continue;   // last tile: fewer pairs
        const long long idx = (long long)(runs[r].n*CO + co0 + c)*OH*OW + runs[r].start + 2*k;
        *reinterpret_cast<float2*>(buf + c*CO_BYTES + runs[r].sbyte + 8*k) = value_pair(idx);
      }
      asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
      bar_sync(1 + grp);
      if (tid < 8 * nr) {   // one thread per (co, run)
        const int c = tid / nr;
        const Run run = runs[tid % nr];
        const long long base = (long long)(run.n*CO + co0 + c)*OH*OW;
        int a = run.start, b = run.start + run.len;   // elements [a, b); a and b are even
        const unsigned char* src = buf + c*CO_BYTES + run.sbyte;
        if (a % 4) {   // 8-byte head
          *reinterpret_cast<float2*>(out + base + a) = *reinterpret_cast<const float2*>(src);
          a += 2; src += 8;
        }
        if (b % 4 && b > a) {   // 8-byte tail
          b -= 2;
          *reinterpret_cast<float2*>(out + base + b) = *reinterpret_cast<const float2*>(src + 4*(b - a));
        }
        if (b > a) {
          asm volatile("cp.async.bulk.global.shared::cta.bulk_group [%0], [%1], %2;"
                       :: "l"(out + base + a), "r"(smem_u32(src)), "r"(4*(b - a)) : "memory");
        }
      }
      // every thread closes a (possibly empty) group per round, so "all but the last group" is the
      // round before this one for every thread
      asm volatile("cp.async.bulk.commit_group;" ::: "memory");
    }
  }
  asm volatile("cp.async.bulk.wait_group 0;" ::: "memory");
}

__global__ void lin(float* out, long long n2) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  long long stride = (long long)gridDim.x * blockDim.x;
  for (; i < n2; i += stride) {
    long long idx = 2*i;
    *reinterpret_cast<float2*>(out + idx) = value_pair(idx);
  }
}

// patterns 15, 24, 16, 17: pattern 0 shifted by 1, 2, 4 or 16 pairs (8, 16, 32 or 128 bytes), so that every
// 256-byte warp store is only 8-byte, 16-byte, sector or line aligned (the first shift pairs are not written)
__global__ void lin_off(float* out, long long n2, int shift) {
  long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  long long stride = (long long)gridDim.x * blockDim.x;
  for (; i < n2 - shift; i += stride) {
    long long idx = 2*(i + shift);
    *reinterpret_cast<float2*>(out + idx) = value_pair(idx);
  }
}

// pattern 34: lin_off's pairs 1 .. n2-1 in 256-byte chunks of 32 pairs. At step s warp w stores even chunk
// 2 (s W + w) and odd chunk 2 ((s - lag) W + w) + 1, so every sector split between two chunks gets its parts lag
// steps apart: the L2's tolerance for a partial sector measured in the stores between its parts.
__global__ void lin_lag(float* out, long long n2, int lag) {
  const long long nwarps = (long long)gridDim.x * (blockDim.x >> 5);
  const long long w = blockIdx.x * (long long)(blockDim.x >> 5) + (threadIdx.x >> 5);
  const long long nchunks = (n2 - 1 + 31) / 32;
  const int lane = threadIdx.x & 31;
  auto store_chunk = [&](long long c) {
    const long long pair = 1 + 32 * c + lane;
    if (pair < n2) *reinterpret_cast<float2*>(out + 2 * pair) = value_pair(2 * pair);
  };
  for (long long step = 0;; ++step) {
    const long long even = 2 * (step * nwarps + w), odd = 2 * ((step - lag) * nwarps + w) + 1;
    if (odd >= nchunks) break;
    if (even < nchunks) store_chunk(even);
    if (odd >= 0) store_chunk(odd);
  }
}

// pattern 18: pattern 5's tiles and channel split, but every warp store is one 256-byte-aligned window of the
// channel's output plane; a lane writes its pair only if that pair's position lies in the tile (m0 <= m < m1).
__global__ void __launch_bounds__(256,1) window_k(float* out) {
  const int lane = threadIdx.x & 31, warp = (threadIdx.x >> 5) & 3, grp = threadIdx.x >> 7;
  const int nslice = blockIdx.x & 3, mrow = blockIdx.x >> 2, nrows = gridDim.x >> 2;
  for (int t = mrow*2 + grp; t < MT; t += nrows*2) {
    const int m0 = t*BM, m1 = min(m0 + BM, M);
    for (int ma = m0; ma < m1;) {                 // one image of the tile at a time
      const int n = ma / (HQ*WQ), mb = min(m1, (n + 1)*HQ*WQ);
      const int ra = ma - n*HQ*WQ, rb = mb - 1 - n*HQ*WQ;
      const int p0 = 2*(ra / WQ)*WQ + ra % WQ;            // first pair: row 2i, column j of position ma
      const int p1 = (2*(rb / WQ) + 1)*WQ + rb % WQ + 1;  // one past the last: row 2i + 1 of position mb - 1
      for (int cc = 0; cc < 8; ++cc) {
        const int co = nslice*32 + 8*warp + cc;
        float* plane = out + (long long)(n*CO + co)*OH*OW;
        const int lead = (int)((reinterpret_cast<uintptr_t>(plane + 2*p0) & 255) >> 3);   // pairs before p0 in its window
        for (int pb = p0 - lead; pb < p1; pb += 32) {
          const int pr = pb + lane, r = pr / WQ, j = pr - r*WQ;
          const int m = n*HQ*WQ + (r >> 1)*WQ + j;
          if (pr >= p0 && pr < p1 && m >= ma && m < mb) {
            const long long idx = (long long)(n*CO + co)*OH*OW + 2LL*pr;
            *reinterpret_cast<float2*>(out + idx) = value_pair(idx);
          }
        }
      }
      ma = mb;
    }
  }
}


// pattern 19: tiles of two image rows (i = 2k, 2k + 1; the last tile of an image holds row 64 alone), so every
// channel's part of a tile is one contiguous run of 4 output rows (2080 bytes) with no holes; each warp writes
// whole runs of its 8 channels as 256-byte windows aligned to 32-byte sectors, lanes outside the run masked.
// Pattern 20: the same windows started at the run's first pair (odd channels' runs start 16 bytes into a sector).
constexpr int ROW_TILES = (HQ + 1) / 2;   // per image
// Pattern 21: pattern 19 with the last pair of every row (j = 64) left out, then written by a second kernel
// (col_k), as a kernel that computes only j < 64 in its main loop would.
template <bool SECTOR_ALIGNED, bool SKIP_LAST = false>
__global__ void __launch_bounds__(256,1) run_k(float* out) {
  const int lane = threadIdx.x & 31, warp = (threadIdx.x >> 5) & 3, grp = threadIdx.x >> 7;
  const int nslice = blockIdx.x & 3, mrow = blockIdx.x >> 2, nrows = gridDim.x >> 2;
  for (int t = mrow*2 + grp; t < NB*ROW_TILES; t += nrows*2) {
    const int n = t / ROW_TILES, k = t - n*ROW_TILES;
    const int rows = min(4, OH - 4*k);
    for (int cc = 0; cc < 8; ++cc) {
      const int co = nslice*32 + 8*warp + cc;
      const long long start = ((long long)(n*CO + co)*OH + 4*k)*OW, end = start + rows*OW;
      for (long long w = SECTOR_ALIGNED ? start & ~7LL : start; w < end; w += 64) {
        const long long idx = w + 2*lane;
        if (idx >= start && idx < end && !(SKIP_LAST && (idx - start) % OW == OW - 2))
          *reinterpret_cast<float2*>(out + idx) = value_pair(idx);
      }
    }
  }
}

// Pattern 28: pattern 19's tiles and channels, stored the way a row-pair kernel's accumulators (weights as the
// m64 operand: a warp holds 4 channels x 2 ph per m64 block, a lane 2 consecutive positions of one (co, ph)
// row per block of 8) could be stored without staging: per block, each lane writes the 16-byte unit that
// starts at one of its positions (ph 0 rows are 16-byte aligned, ph 1 rows start 8 bytes in), and the 8-byte
// tail (ph 0, j = 64) or head (ph 1, j = 0) of a row. In a kernel half the units need the next lane's pair.
__global__ void __launch_bounds__(256,1) rowpair_direct_k(float* out) {
  const int lane = threadIdx.x & 31, warp = (threadIdx.x >> 5) & 3, grp = threadIdx.x >> 7;
  const int nslice = blockIdx.x & 3, mrow = blockIdx.x >> 2, nrows = gridDim.x >> 2;
  const int r = lane >> 2, c = lane & 3, ph = r & 1;
  for (int t = mrow*2 + grp; t < NB*ROW_TILES; t += nrows*2) {
    const int n = t / ROW_TILES, kt = t - n*ROW_TILES;
    const int grid_rows = min(2, HQ - 2*kt);
    for (int mb = 0; mb < 2; ++mb) {
      const int co = nslice*32 + 8*warp + 4*mb + (r >> 1);
      const long long plane = (long long)(n*CO + co)*OH*OW;
      #pragma unroll 1
      for (int k = 0; k < 17; ++k) {
        long long unit = -1, piece = -1;
        #pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int col = 8*k + 2*c + h, gi = col >= WQ ? 1 : 0;
          if (gi >= grid_rows || col >= 2*WQ) continue;
          const int j = col - gi*WQ;
          const long long idx = plane + (long long)(4*kt + 2*gi + ph)*OW + 2*j;
          if ((j & 1) == ph && j < WQ - 1) unit = idx;
          else if ((ph == 0 && j == WQ - 1) || (ph == 1 && j == 0)) piece = idx;
        }
        if (unit >= 0) {
          const float2 a = value_pair(unit), b = value_pair(unit + 2);
          *reinterpret_cast<float4*>(out + unit) = make_float4(a.x, a.y, b.x, b.y);
        }
        if (piece >= 0) *reinterpret_cast<float2*>(out + piece) = value_pair(piece);
      }
    }
  }
}

// Pattern 23: pattern 19's tiles and channels; each warp stages 4 channels' runs per round in shared memory
// (two buffers per warp) and 4 lanes write them, one 1-D bulk store per run (16-byte aligned: 4 k OW and
// OH OW are multiples of 4 elements). Bulk-store groups belong to the issuing thread, so each issuing lane
// waits for its own store of two rounds back before the warp refills that buffer.
constexpr int RUN_BYTES = 4 * OW * 4;
constexpr int RUN_ROUND_BYTES = 4 * RUN_BYTES;
__global__ void __launch_bounds__(256,1) bulk_run_k(float* out) {
  extern __shared__ __align__(128) unsigned char sm[];
  const int lane = threadIdx.x & 31, warp = (threadIdx.x >> 5) & 3, grp = threadIdx.x >> 7;
  const int nslice = blockIdx.x & 3, mrow = blockIdx.x >> 2, nrows = gridDim.x >> 2;
  unsigned char* wbuf = sm + (threadIdx.x >> 5) * 2 * RUN_ROUND_BYTES;
  int round = 0;
  for (int t = mrow*2 + grp; t < NB*ROW_TILES; t += nrows*2) {
    const int n = t / ROW_TILES, k = t - n*ROW_TILES;
    const int len = min(4, OH - 4*k) * OW;   // elements per run
    for (int rd = 0; rd < 2; ++rd, ++round) {
      auto run_start = [&](int c) { return ((long long)(n*CO + nslice*32 + 8*warp + 4*rd + c)*OH + 4*k)*OW; };
      unsigned char* buf = wbuf + (round & 1) * RUN_ROUND_BYTES;
      if (lane < 4) asm volatile("cp.async.bulk.wait_group.read 1;" ::: "memory");
      __syncwarp();
      for (int c = 0; c < 4; ++c) {
        const long long start = run_start(c);
        for (int e = 2*lane; e < len; e += 64)
          *reinterpret_cast<float2*>(buf + c*RUN_BYTES + 4*e) = value_pair(start + e);
      }
      asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
      __syncwarp();
      if (lane < 4) {
        asm volatile("cp.async.bulk.global.shared::cta.bulk_group [%0], [%1], %2;"
                     :: "l"(out + run_start(lane)), "r"(smem_u32(buf + lane*RUN_BYTES)), "r"(4*len) : "memory");
        asm volatile("cp.async.bulk.commit_group;" ::: "memory");
      }
    }
  }
  if (lane < 4) asm volatile("cp.async.bulk.wait_group 0;" ::: "memory");
}

// Patterns 29-31: row-pair tiles of a positions-as-M kernel, which computes j = 64 apart (see the usage text).
template <int PAT>
__global__ void __launch_bounds__(256,1) rowtile_k(float* out) {
  const int lane = threadIdx.x & 31, warp = (threadIdx.x >> 5) & 3, grp = threadIdx.x >> 7;
  const int nslice = blockIdx.x & 3, mrow = blockIdx.x >> 2, nrows = gridDim.x >> 2;
  for (int t = mrow*2 + grp; t < NB*HQ/2; t += nrows*2) {
    const int m = (2*t + (lane >> 4))*WQ + 16*warp + (lane & 15);
    for (int blk = 0; blk < 16; ++blk) {
      #pragma unroll
      for (int s = 0; s < 4; ++s) put(out, m, 4*blk + s, nslice);
      if (PAT == 29 && warp == (blk & 3) && lane < 8) put(out, (2*t + (lane >> 2))*WQ + WQ - 1, 4*blk + (lane & 3), nslice);
    }
    if (PAT == 30) put(out, (2*t + (lane >> 4))*WQ + WQ - 1, 16*warp + (lane & 15), nslice);
  }
}

__global__ void col_k(float* out) {
  const int rows = NB * CO * OH;
  for (int r = blockIdx.x * blockDim.x + threadIdx.x; r < rows; r += gridDim.x * blockDim.x) {
    const long long idx = (long long)r * OW + OW - 2;
    *reinterpret_cast<float2*>(out + idx) = value_pair(idx);
  }
}

void run(torch::Tensor out, int pat, int grid, int lag) {
  float* p = out.data_ptr<float>();
  switch (pat) {
    case 0: lin<<<grid, 256>>>(p, out.numel()/2); break;
    case 1: k<1><<<grid, 256>>>(p); break;
    case 2: k<2><<<grid, 256>>>(p); break;
    case 3: k<3><<<grid, 256>>>(p); break;
    case 4: k<4><<<grid, 256>>>(p); break;
    case 5: k<5><<<grid, 256>>>(p); break;
    case 6: k<6><<<grid, 256>>>(p); break;
    case 7: launch_tma<7>(p, grid); break;
    case 8: launch_tma<8>(p, grid); break;
    case 9: launch_tma<9>(p, grid); break;
    case 11: k<11><<<grid, 256>>>(p); break;
    case 12: k<12><<<grid, 256>>>(p); break;
    case 13: launch_tma<13>(p, grid); break;
    case 32: launch_zbox<1>(p, grid); break;
    case 33: launch_zbox<4>(p, grid); break;
    case 14: k<14><<<grid, 256>>>(p); break;
    case 35: k<35><<<grid, 256>>>(p); break;
    case 36: k<36><<<grid, 256>>>(p); break;
    case 37: k<37><<<grid, 256>>>(p); break;
    case 25: k<25><<<grid, 256>>>(p); break;
    case 26: k<26><<<grid, 256>>>(p); break;
    case 28: rowpair_direct_k<<<grid, 256>>>(p); break;
    case 27: k<27><<<grid, 256>>>(p); break;
    case 15: lin_off<<<grid, 256>>>(p, out.numel()/2, 1); break;
    case 16: lin_off<<<grid, 256>>>(p, out.numel()/2, 4); break;
    case 17: lin_off<<<grid, 256>>>(p, out.numel()/2, 16); break;
    case 24: lin_off<<<grid, 256>>>(p, out.numel()/2, 2); break;
    case 34: lin_lag<<<grid, 256>>>(p, out.numel()/2, lag); break;
    case 18: window_k<<<grid, 256>>>(p); break;
    case 19: run_k<true><<<grid, 256>>>(p); break;
    case 20: run_k<false><<<grid, 256>>>(p); break;
    case 21: run_k<true, true><<<grid, 256>>>(p); col_k<<<132 * 8, 256>>>(p); break;
    case 22: col_k<<<132 * 8, 256>>>(p); break;
    case 29: rowtile_k<29><<<grid, 256>>>(p); break;
    case 30: rowtile_k<30><<<grid, 256>>>(p); break;
    case 31: rowtile_k<31><<<grid, 256>>>(p); break;
    case 23: {
      constexpr int smem = 8 * 2 * RUN_ROUND_BYTES;
      static bool attr = false;
      if (!attr) { cudaFuncSetAttribute(bulk_run_k, cudaFuncAttributeMaxDynamicSharedMemorySize, smem); attr = true; }
      bulk_run_k<<<grid, 256, smem>>>(p);
      break;
    }
    case 10: {
      static bool attr = false;
      if (!attr) { cudaFuncSetAttribute(bulk_k, cudaFuncAttributeMaxDynamicSharedMemorySize, 4 * BULK_BUF); attr = true; }
      bulk_k<<<grid, 256, 4 * BULK_BUF>>>(p);
      break;
    }
  }
}
"""


def main():
    mod = load_inline("ct93_store_patterns", cpp_sources="void run(torch::Tensor out, int pat, int grid, int lag);",
                      cuda_sources=CUDA_SRC, functions=["run"],
                      extra_cuda_cflags=["-O3", "-gencode=arch=compute_90a,code=sm_90a"])
    out = torch.empty(128 * 128 * 130 * 130, device="cuda")
    expected = (torch.arange(out.numel(), device="cuda") & 0xFFFFF).float()
    for arg in sys.argv[1:] or ["0", "5", "14", "19"]:
        head, _, grid_text = arg.partition("@")   # @GRID sets the grid (default: 132 * 8 for pattern 0, else 132)
        pat_text, _, lag_text = head.partition(":")
        pat = int(pat_text)
        if bool(lag_text) != (pat == 34):
            sys.exit(f"{arg}: pattern 34 takes a lag (34:LAG), the others none")
        lag = int(lag_text or 0)
        grid = int(grid_text) if grid_text else (132 * 8 if pat == 0 else 132)
        out.fill_(float("nan"))
        mod.run(out, pat, grid, lag)
        shift = {15: 1, 24: 2, 16: 4, 17: 16, 34: 1}.get(pat, 0)   # the shifted linear patterns leave their first pairs unwritten
        if pat in (13, 32, 33):
            ok = torch.equal(out, torch.full_like(out, 1.5))
        elif pat == 22:   # writes only the last pair of every row
            ok = torch.equal(out.view(-1, 130)[:, 128:], expected.view(-1, 130)[:, 128:])
        elif pat == 31:   # leaves the last pair of every row unwritten
            ok = torch.equal(out.view(-1, 130)[:, :128], expected.view(-1, 130)[:, :128])
        else:
            ok = torch.equal(out[2 * shift:], expected[2 * shift:])
        times = []
        for _ in range(15):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            mod.run(out, pat, grid, lag)
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
        times.sort()
        print(f"pattern {arg}: correct={ok} median {times[len(times) // 2]:.3f} ms, min {times[0]:.3f}", flush=True)


if __name__ == "__main__":
    main()
