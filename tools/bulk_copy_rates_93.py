"""Bulk-copy (cp.async.bulk, global -> shared) cost per SM, for problem 93's A loads (run on the GPU box).

Every SM runs one CTA that loads batches of copies of one size into shared memory, all completing on one
mbarrier, and times with clock64: how long the issuing threads spend issuing a batch, and how long until
the batch has landed. The fused kernel's refill is two copies of 3,104 bytes (one chunk of A); clock64
traces put ~500 cycles of the issuing leader's time on it, and spreading the two copies over two warps
did not shorten the chunk loop (perf log, fifteenth session). If the cost per copy grows with its bytes
and does not fall with more issuing warps, a per-SM copy rate is the limit, and the bytes per tile (A's
halo rows) are what to cut; if it is flat in bytes, it is the instruction's own latency.

Sources: `l2` re-reads one 192 KB region per SM (L2-resident after the first batch), `dram` walks a
2 GiB buffer so no line is read twice.

Usage: python3 tools/bulk_copy_rates_93.py
"""
import torch
from torch.utils.cpp_extension import load_inline

CUDA_SRC = r"""
#include <torch/extension.h>
#include <c10/cuda/CUDAException.h>
#include <cstdint>

constexpr int BUF = 192 * 1024;   // shared-memory destination ring

__device__ __forceinline__ uint32_t smem_u32(const void* p) { return (uint32_t)__cvta_generic_to_shared(p); }

// Per CTA: `batches` batches of `per_batch` copies of `bytes` each (per_batch * bytes <= BUF), issued by lane 0 of
// warps 0 .. issuers - 1 in turn. out[cta] = {issue cycles (warp 0's, summed over batches), landed cycles (summed)}.
__global__ void __launch_bounds__(128, 1) bulk_kernel(const char* src, int64_t src_bytes_per_cta, bool walk,
                                                     int bytes, int per_batch, int batches, int issuers,
                                                     int64_t* out) {
  extern __shared__ __align__(128) unsigned char smem[];
  __shared__ __align__(8) uint64_t bar;
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const uint32_t b = smem_u32(&bar);
  if (threadIdx.x == 0) asm volatile("mbarrier.init.shared::cta.b64 [%0], 1;" ::"r"(b) : "memory");
  asm volatile("fence.mbarrier_init.release.cluster;" ::: "memory");
  __syncthreads();
  const char* base = src + blockIdx.x * (walk ? (int64_t)batches * per_batch * bytes : src_bytes_per_cta);
  int64_t issue = 0, landed = 0;
  for (int i = 0; i < batches; ++i) {
    const char* from = base + (walk ? (int64_t)i * per_batch * bytes : 0);
    if (threadIdx.x == 0)
      asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;" ::"r"(b), "r"(per_batch * bytes) : "memory");
    __syncthreads();
    const int64_t t0 = clock64();
    if (lane == 0 && warp < issuers)
      for (int j = warp; j < per_batch; j += issuers)
        asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];"
                     ::"r"(smem_u32(smem) + j * bytes), "l"(from + (int64_t)j * bytes), "r"(bytes), "r"(b) : "memory");
    const int64_t t1 = clock64();
    asm volatile("{\n.reg .pred done;\nWAIT_%=:\n"
                 "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
                 "@!done bra WAIT_%=;\n}\n" ::"r"(b), "r"(i & 1) : "memory");
    const int64_t t2 = clock64();
    issue += t1 - t0;
    landed += t2 - t0;
    __syncthreads();
  }
  if (threadIdx.x == 0) { out[2 * blockIdx.x] = issue; out[2 * blockIdx.x + 1] = landed; }
}

void run(torch::Tensor src, bool walk, int bytes, int per_batch, int batches, int issuers, torch::Tensor out) {
  const int ctas = (int)out.size(0);
  C10_CUDA_CHECK(cudaFuncSetAttribute(bulk_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, BUF));
  const int64_t per_cta = src.numel() / ctas / 128 * 128;   // bulk-copy sources must be 16-byte aligned
  bulk_kernel<<<ctas, 128, BUF>>>(static_cast<const char*>(src.data_ptr()), per_cta, walk, bytes, per_batch, batches,
                                  issuers, out.data_ptr<int64_t>());
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}
"""


def cycles_per_copy(mod, src, out, walk, bytes_, per_batch, batches, issuers):
    """(issue cycles per copy per issuing warp, cycles per landed copy), medians over the CTAs of `out`."""
    mod.run(src, False, bytes_, per_batch, 4, issuers, out)   # warm-up (its own lines, but CTA 0's)
    mod.run(src, walk, bytes_, per_batch, batches, issuers, out)
    torch.cuda.synchronize()
    issue, landed = (out.double() / (batches * per_batch)).median(dim=0).values.tolist()
    return issue * issuers, landed


def main():
    mod = load_inline("ct93_bulk_copy_rates", cpp_sources="void run(torch::Tensor, bool, int, int, int, int, torch::Tensor);",
                      cuda_sources=CUDA_SRC, functions=["run"],
                      extra_cuda_cflags=["-O3", "-gencode=arch=compute_90a,code=sm_90a"])
    ctas = torch.cuda.get_device_properties(0).multi_processor_count
    src = torch.ones(2 * 1024 ** 3, dtype=torch.uint8, device="cuda")
    out = torch.zeros(ctas, 2, dtype=torch.int64, device="cuda")
    batches = 40
    print(f"{ctas} SMs, one CTA each, {batches} batches; cycles per copy (medians over SMs)")
    for source in ("l2", "dram"):
        for bytes_ in (1552, 3104, 6208, 12416, 24832):
            per_batch = min(16, 192 * 1024 // bytes_)
            if source == "dram" and batches * per_batch * bytes_ * ctas > src.numel():
                continue
            for issuers in (1, 2, 4):
                issue, landed = cycles_per_copy(mod, src, out, source == "dram", bytes_, per_batch, batches, issuers)
                print(f"{source:4s} {bytes_:6d} B x {per_batch:2d} per batch, {issuers} issuing warps: "
                      f"issue {issue:7.1f} cycles per copy per issuer, landed {landed:7.1f} per copy "
                      f"({bytes_ / landed:5.1f} B/cycle)", flush=True)
    # one SM alone: is the per-SM rate the SM's own (copy engine, shared-memory writes) or the shared fabric's?
    alone = torch.zeros(1, 2, dtype=torch.int64, device="cuda")
    for source in ("l2", "dram"):
        for issuers in (1, 2):
            issue, landed = cycles_per_copy(mod, src, alone, source == "dram", 3104, 16, batches, issuers)
            print(f"one SM alone, {source:4s} 3104 B x 16, {issuers} issuing warps: issue {issue:7.1f}, "
                  f"landed {landed:7.1f} per copy ({3104 / landed:5.1f} B/cycle)", flush=True)


if __name__ == "__main__":
    main()
