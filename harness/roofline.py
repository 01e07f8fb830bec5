"""Speed of light: a problem's FLOPs and minimum bytes, the device's measured ceilings, and the floor time."""
from __future__ import annotations

import json
import math
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from .seeding import DTYPES, as_tensor_list
from .timing import do_bench

COPY_BYTES = 1 << 30
MATMUL_SIZE = 8192
CPU_COPY_BYTES = (1 << 20, 1 << 24, 1 << 28)
CPU_MATMUL_SIZE = 1024
RATE_DTYPES = {"tf32": torch.float32, "fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


@dataclass
class Workload:
    """FLOPs of the reference forward and the bytes it must at least move (inputs and parameters
    read once, outputs written once)."""

    flops: int
    bytes: int
    output_bytes: int


@dataclass
class DeviceCeilings:
    device: str
    torch_version: str
    copy_gbps: float
    fill_gbps: float
    tflops: dict = field(default_factory=dict)

    @property
    def best_gbps(self) -> float:
        return max(self.copy_gbps, self.fill_gbps)


def workload(model_cls, init_inputs, inputs, dtype_name: str) -> Workload:
    """Count on the meta device: no memory is allocated and nothing is computed."""
    dtype = DTYPES[dtype_name]
    with torch.device("meta"):
        model = model_cls(*init_inputs)
    if dtype != torch.float32:
        model = model.to(dtype)
    meta_inputs = [torch.empty_like(x, device="meta") if isinstance(x, torch.Tensor) else x for x in inputs]
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        outputs = as_tensor_list(model(*meta_inputs))
    tensors = [x for x in meta_inputs if isinstance(x, torch.Tensor)]
    tensors += list(model.parameters()) + list(model.buffers())
    read = sum(t.numel() * t.element_size() for t in tensors)
    written = sum(t.numel() * t.element_size() for t in outputs)
    return Workload(flops=int(counter.get_total_flops()), bytes=read + written, output_bytes=written)


def floor_ms(work: Workload, ceilings: DeviceCeilings | None, precision: str) -> float:
    """max(bytes / copy bandwidth, flops / matmul rate); NaN without ceilings, bytes alone without a
    rate for the precision (CPU fp16/bf16). Exact fp32 takes the faster of the fp32 and TF32 rates:
    split operands (3xTF32) reach fp32 accuracy on tensor cores, faster than any CUDA-core matmul, so
    a floor from the fp32 rate alone could be beaten by a correct solution."""
    if ceilings is None:
        return math.nan
    memory_ms = work.bytes / (ceilings.copy_gbps * 1e9) * 1e3
    keys = ("fp32", "tf32") if precision == "fp32" else (precision,)
    rate = max((ceilings.tflops[k] for k in keys if ceilings.tflops.get(k, 0) > 0), default=math.nan)
    compute_ms = work.flops / (rate * 1e12) * 1e3 if work.flops and rate > 0 else 0.0
    return max(memory_ms, compute_ms)


def impossible_reason(median_ms: float, work: Workload, ceilings: DeviceCeilings | None) -> str | None:
    """Why a time cannot be real: it beats moving the minimum bytes at the best measured bandwidth."""
    if ceilings is None or not median_ms > 0:
        return None
    best_ms = work.bytes / (ceilings.best_gbps * 1e9) * 1e3
    if median_ms < best_ms:
        return (f"median {median_ms:.4f} ms is below {best_ms:.4f} ms, the time to move "
                f"{work.bytes} bytes at the best measured bandwidth ({ceilings.best_gbps:.0f} GB/s)")
    return None


def measure_ceilings(device_name: str, device: str = "cuda") -> DeviceCeilings:
    """Copy and fill bandwidth and dense matmul rates of the current CUDA device, or of the CPU."""
    if device == "cpu":
        return _measure_cpu_ceilings(device_name)
    src = torch.empty(COPY_BYTES, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    copy = do_bench(lambda: dst.copy_(src), trials=20, warmup=3)
    fill = do_bench(lambda: dst.fill_(0), trials=20, warmup=3)
    del src, dst
    tflops = {}
    matmul_tf32 = torch.backends.cuda.matmul.allow_tf32
    try:
        for precision, dtype in RATE_DTYPES.items():
            torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
            a = torch.randn(MATMUL_SIZE, MATMUL_SIZE, device="cuda", dtype=dtype)
            b = torch.randn(MATMUL_SIZE, MATMUL_SIZE, device="cuda", dtype=dtype)
            result = do_bench(lambda: torch.mm(a, b), trials=10, warmup=3)
            tflops[precision] = 2 * MATMUL_SIZE ** 3 / (result.median * 1e-3) / 1e12
    finally:
        torch.backends.cuda.matmul.allow_tf32 = matmul_tf32
    return DeviceCeilings(device=device_name, torch_version=torch.__version__,
                          copy_gbps=2 * COPY_BYTES / (copy.median * 1e-3) / 1e9,
                          fill_gbps=COPY_BYTES / (fill.median * 1e-3) / 1e9, tflops=tflops)


def _measure_cpu_ceilings(device_name: str) -> DeviceCeilings:
    """The CPU has no L2 flush in timing, so bandwidth is the best over sizes from cache-resident to
    DRAM-bound, each at its fastest call: a time below the floor beats even the caches. Rate: fp32 only."""
    copy_gbps = fill_gbps = 0.0
    for nbytes in CPU_COPY_BYTES:
        src = torch.ones(nbytes, dtype=torch.uint8)
        dst = torch.zeros_like(src)
        copy = do_bench(lambda: dst.copy_(src), device="cpu", trials=20, warmup=2)
        fill = do_bench(lambda: dst.fill_(0), device="cpu", trials=20, warmup=2)
        copy_gbps = max(copy_gbps, 2 * nbytes / (copy.min * 1e-3) / 1e9)
        fill_gbps = max(fill_gbps, nbytes / (fill.min * 1e-3) / 1e9)
    a, b = torch.randn(CPU_MATMUL_SIZE, CPU_MATMUL_SIZE), torch.randn(CPU_MATMUL_SIZE, CPU_MATMUL_SIZE)
    mm = do_bench(lambda: torch.mm(a, b), device="cpu", trials=5, warmup=1)
    return DeviceCeilings(device=device_name, torch_version=torch.__version__, copy_gbps=copy_gbps,
                          fill_gbps=fill_gbps, tflops={"fp32": 2 * CPU_MATMUL_SIZE ** 3 / (mm.min * 1e-3) / 1e12})


def cpu_name() -> str:
    """The CPU model and torch's thread count: the key of the CPU's ceilings."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        model = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                      if line.startswith("model name")), model)
    return f"cpu: {model}, {torch.get_num_threads()} threads"


def cache_key(device_name: str, torch_version: str) -> str:
    return f"{device_name} | torch {torch_version}"


def load_cached_ceilings(path: Path, device_name: str, torch_version: str) -> DeviceCeilings | None:
    if not path.is_file():
        return None
    entry = json.loads(path.read_text()).get(cache_key(device_name, torch_version))
    return DeviceCeilings(**entry) if entry else None


def save_ceilings(path: Path, ceilings: DeviceCeilings) -> None:
    cache = json.loads(path.read_text()) if path.is_file() else {}
    cache[cache_key(ceilings.device, ceilings.torch_version)] = asdict(ceilings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(cache, indent=2, sort_keys=True) + "\n")
