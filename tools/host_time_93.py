"""Host cost per call of the fused problem-93 solution (run on the GPU box).

For v0 shapes at batch 1 (GPU time small, so the loop runs at host speed) and batch 128, prints the
wall time per call of 300 calls without syncs: ModelNew.forward, the C++ entry alone and one
torch.empty of the output's size for scale; then a torch.profiler table of 20 forwards.

Usage: python3 tools/host_time_93.py [SOLUTION_FILE]
"""
import sys
import time

import torch

from bench_fused_93 import SOL, load


def per_call_us(fn, n=300, warm=20):
    """(host time, host + drain time) per call in microseconds over n calls without syncs."""
    for _ in range(warm):
        fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    t1 = time.perf_counter()
    torch.cuda.synchronize()
    t2 = time.perf_counter()
    return (t1 - t0) / n * 1e6, (t2 - t0) / n * 1e6


def main():
    sol = load(sys.argv[1] if len(sys.argv) > 1 else SOL, "sol93")
    torch.manual_seed(0)
    net = sol.ModelNew(32, 16, 4, 2, 0.5, 2.0).cuda()
    ext = sol._load_ext()
    ct = net.conv_transpose
    for batch in (1, 128):
        x = torch.rand(batch, 32, 32, 32, device="cuda")
        with torch.no_grad():
            fwd = per_call_us(lambda: net(x))
            entry = per_call_us(lambda: ext.ct93_forward(x, ct.weight, ct.bias, 2, 0.5, 2.0, 0, 0, 0))
            empty = per_call_us(lambda: torch.empty(128, 16, 66, 66, device="cuda"))
            print(f"batch {batch}: forward host {fwd[0]:.1f} us (with GPU {fwd[1]:.1f}); "
                  f"C++ entry {entry[0]:.1f} ({entry[1]:.1f}); torch.empty {empty[0]:.1f}")
            with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU,
                                                    torch.profiler.ProfilerActivity.CUDA]) as prof:
                for _ in range(20):
                    net(x)
                torch.cuda.synchronize()
        print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=12))


if __name__ == "__main__":
    main()
