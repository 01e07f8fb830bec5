"""clock64 trace of the problem-93 SS kernel's chunk loop (run on the GPU box; --analyse runs anywhere).

Builds a TF32-only copy of a solution file whose SS kernel has each group leader stamp `clock64()` at
the tile start, at every chunk's stage-ready, wgmma wait, group barrier and refill, after the drain
(`wait_group 0`) and after the epilogue; runs kernelbench-v0.1 once with `torch.rand` inputs, and prints
where a group tile's cycles go, how often the two groups issue at once, and each chunk's period with
the other group issuing or in its epilogue. Each stamp costs ~90 cycles (a chunk carries four). Each tile's start
and epilogue end also read `%globaltimer` (ns), so the trace gives the SM clock the traced call ran at. With
--sync the traced call starts as `run.py`'s timed calls do: after an L2 flush and a device-wide sync.
The stamps are spliced in by text replacement on the file's SS kernel, so a file whose kernel has
changed shape around those lines fails with the line it could not find.

--light N builds a copy with only two stamps per group (after the CTA's prologue, after its last epilogue) and
runs N calls, each after an L2 flush (with --sync also after a device-wide sync, as `run.py` times; without it
queued back to back): the SM clock and span of a kernel that runs nearly as built. --sums adds each group's cycles
per tile phase (to the first stage, the chunk loop, the epilogue), summed in registers and stored once at the end,
split by when the groups end. --mode tf32 traces TF32's own kernels (fp32 operands, 8 chunks a tile on
kernelbench-v0.1), which the solution runs only where TF32H's stages do not fit; --mode tf32h the TF32H kernels the
solution runs for TF32 (fp16 operands, 4 chunks a tile) and --mode bf16 the bf16 kernels, both with --light only:
the per-tile analysis reads 8 chunks a tile. --analyse reads what --save wrote, in any mode.

Usage: python3 tools/trace_93.py [--sol FILE] [--mode tf32|tf32h|bf16] [--save TRACE.pt] [--sync] [--light CALLS [--sums]]
       python3 tools/trace_93.py --analyse TRACE.pt
"""
import argparse
import bisect
import os
import statistics
import tempfile

import torch

from ab_93 import L2_FLUSH_BYTES
from bench_fused_93 import SOL, load

TILES, SLOTS = 80, 38   # stamped tiles per group; slots per tile (below)
CHUNKS = 8              # stamped chunks per tile (kernelbench-v0.1 TF32 has 8)
# Slot layout per tile: 0 tile start; 1 + 4c stage ready, 2 + 4c after the wgmma wait, 3 + 4c after the
# group barrier, 4 + 4c after the refill (chunk c); 33 after the drain; 34 after the epilogue;
# 35 (tile 0 only) the kernel's start after its prologue; 36 and 37 %globaltimer (ns) at the tile's start and
# after its epilogue.
DRAIN, EPILOGUE_END, KERNEL_START, NS_TILE_START, NS_EPILOGUE_END = 33, 34, 35, 36, 37
# --light, per group: start cycles, start ns, end cycles, end ns; with --sums also the group's summed cycles (32-bit
# %clock) from each tile's start to its first stage (the turn's wait shows there), from there to the drain, and in
# the epilogue, and its tile count
LIGHT_SLOTS = 8
OPEN_SUM, LOOP_SUM, EPILOGUE_SUM, TILE_COUNT = 4, 5, 6, 7

_STAMP = "if (stamp && k < TRACE_TILES && chunk < 8) tr[k * TRACE_SLOTS + {slot}] = clock64();"
# Edits of both builds: the trace pointer in Params, the %globaltimer helper, a one-mode dispatch (_MODE_DISPATCH), the
# binding.
_COMMON_EDITS = [
    ("""  FastDiv fnstages;
""", """  FastDiv fnstages;
  long long* trace;
"""),
    ("""struct Params {
""", f"""constexpr int TRACE_TILES = {TILES}, TRACE_SLOTS = {SLOTS};
static long long* g_trace = nullptr;
__device__ __forceinline__ long long trace_ns() {{
  long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}}
struct Params {{
"""),
    ("""  Params p;
  p.x = x.data_ptr();""", """  Params p;
  p.trace = g_trace;
  p.x = x.data_ptr();"""),
    ('''}
"""



def _wgmma_source():''', '''}

void ct93_set_trace(torch::Tensor t) {
  ct93::g_trace = t.numel() ? reinterpret_cast<long long*>(t.data_ptr<int64_t>()) : nullptr;
}
"""



def _wgmma_source():'''),
    ('''bool ct93_compressible_supported(int64_t device);
"""''', '''bool ct93_compressible_supported(int64_t device);
void ct93_set_trace(torch::Tensor t);
"""'''),
    ('functions=["ct93_forward", "ct93_compressible_supported"],',
     'functions=["ct93_forward", "ct93_compressible_supported", "ct93_set_trace"],'),
]
# One mode's kernels only: a third of the build time.
_DISPATCH = """      return allow_tf32 ? ct93::run<ct93::TF32H>(x, w, bp, (int)stride, add, mul, pool)
                        : ct93::run<ct93::F32X3>(x, w, bp, (int)stride, add, mul, pool);
    case torch::kBFloat16: return ct93::run<ct93::BF16>(x, w, bp, (int)stride, add, mul, pool);
    case torch::kFloat16: return ct93::run<ct93::F16>(x, w, bp, (int)stride, add, mul, pool);"""
_MODE_DISPATCH = {
    "tf32": """      TORCH_CHECK(allow_tf32, "trace build: TF32 only");
      return ct93::run<ct93::TF32>(x, w, bp, (int)stride, add, mul, pool);""",
    "tf32h": """      TORCH_CHECK(allow_tf32, "trace build: TF32 only");
      return ct93::run<ct93::TF32H>(x, w, bp, (int)stride, add, mul, pool);""",
    "bf16": """      TORCH_CHECK(false, "trace build: bf16 only");
    case torch::kBFloat16: return ct93::run<ct93::BF16>(x, w, bp, (int)stride, add, mul, pool);""",
}
# The per-tile build's stamps.
_TILE_EDITS = [
    ("""  const Schedule sched(p, g);
""", f"""  const Schedule sched(p, g);
  long long* tr = p.trace ? p.trace + (int64_t)(blockIdx.x * GROUPS + g) * TRACE_TILES * TRACE_SLOTS : nullptr;
  const bool stamp = tr && tid % GROUP_THREADS == 0;
  if (stamp) tr[{KERNEL_START}] = clock64();
"""),
    ("""    const int m0 = sched.tile(p, k) * BM;
    if (sched.extra) switch_slice(sched.slice(p, k));""", f"""    const int m0 = sched.tile(p, k) * BM;
    if (stamp && k < TRACE_TILES) {{
      tr[k * TRACE_SLOTS] = clock64();
      tr[k * TRACE_SLOTS + {NS_TILE_START}] = trace_ns();
    }}
    if (sched.extra) switch_slice(sched.slice(p, k));"""),
    ("""        stage = pipe.wait_next();
      }
      // k-block""", """        stage = pipe.wait_next();
      }
      """ + _STAMP.format(slot="1 + 4 * chunk") + """
      // k-block"""),
    ("""      if constexpr (!XA) wgmma_wait<IN_FLIGHT>();
""", """      if constexpr (!XA) wgmma_wait<IN_FLIGHT>();
      """ + _STAMP.format(slot="2 + 4 * chunk") + """
"""),
    ("""      group_bar(bar_id);
""", """      group_bar(bar_id);
      """ + _STAMP.format(slot="3 + 4 * chunk") + """
"""),
    ("""        if (wig == 0) pipe.issue();   // the whole warp: one elected lane issues
      }
""", """        if (wig == 0) pipe.issue();   // the whole warp: one elected lane issues
      }
      """ + _STAMP.format(slot="4 + 4 * chunk") + """
"""),
    ("""    for (int mb = 0; mb < WG_MB; ++mb) fence_acc(acc[mb]);
    auto finish""", f"""    for (int mb = 0; mb < WG_MB; ++mb) fence_acc(acc[mb]);
    if (stamp && k < TRACE_TILES) tr[k * TRACE_SLOTS + {DRAIN}] = clock64();
    auto finish"""),
    ("""    } else {
      finish(acc);
    }
  }""", f"""    }} else {{
      finish(acc);
    }}
    if (stamp && k < TRACE_TILES) {{
      tr[k * TRACE_SLOTS + {EPILOGUE_END}] = clock64();
      tr[k * TRACE_SLOTS + {NS_EPILOGUE_END}] = trace_ns();
    }}
  }}"""),
]
# --light: each group leader stamps clock64 and %globaltimer once after the CTA's prologue and once after its last
# epilogue, [start cycles, start ns, end cycles, end ns] per group, so the kernel runs nearly as built.
_LIGHT_EDITS = [
    ("""  const Schedule sched(p, g);
""", f"""  const Schedule sched(p, g);
  long long* tr = p.trace ? p.trace + (int64_t)(blockIdx.x * GROUPS + g) * {LIGHT_SLOTS} : nullptr;
  const bool stamp = tr && tid % GROUP_THREADS == 0;
  if (stamp) {{
    tr[0] = clock64();
    tr[1] = trace_ns();
  }}
"""),
    ("""  if (sched.extra) switch_slice(sched.last_slice);
}""", f"""  if (sched.extra) switch_slice(sched.last_slice);
  if (stamp) {{
    tr[2] = clock64();
    tr[3] = trace_ns();
    tr[{OPEN_SUM}] = open_sum;
    tr[{LOOP_SUM}] = loop_sum;
    tr[{EPILOGUE_SUM}] = epilogue_sum;
    tr[{TILE_COUNT}] = sched.count;
  }}
}}"""),
]
_NO_SUM_EDITS = [
    ("""  if (stamp) {
    tr[0] = clock64();""", """  constexpr uint32_t open_sum = 0, loop_sum = 0, epilogue_sum = 0;
  if (stamp) {
    tr[0] = clock64();"""),
]
# --sums: three 32-bit sums in the leader's registers, four %clock reads per tile and no stores until the end.
_SUM_EDITS = [
    ("""  if (stamp) {
    tr[0] = clock64();""", """  uint32_t tile_t = 0, drain_t = 0, open_sum = 0, loop_sum = 0, epilogue_sum = 0;
  if (stamp) {
    tr[0] = clock64();"""),
    ("""    const int m0 = sched.tile(p, k) * BM;
    if (sched.extra) switch_slice(sched.slice(p, k));""", """    const int m0 = sched.tile(p, k) * BM;
    if (stamp) tile_t = clock32();
    if (sched.extra) switch_slice(sched.slice(p, k));"""),
    ("""        stage = pipe.wait_next();
      }
      // k-block""", """        stage = pipe.wait_next();
      }
      if (stamp && chunk == 0) {
        const uint32_t t = clock32();
        open_sum += t - tile_t;
        tile_t = t;
      }
      // k-block"""),
    ("""    for (int mb = 0; mb < WG_MB; ++mb) fence_acc(acc[mb]);
    auto finish""", """    for (int mb = 0; mb < WG_MB; ++mb) fence_acc(acc[mb]);
    if (stamp) {
      drain_t = clock32();
      loop_sum += drain_t - tile_t;
    }
    auto finish"""),
    ("""    } else {
      finish(acc);
    }
  }""", """    } else {
      finish(acc);
    }
    if (stamp) epilogue_sum += clock32() - drain_t;
  }"""),
    ("""__device__ __forceinline__ long long trace_ns() {""", """__device__ __forceinline__ uint32_t clock32() {
  uint32_t t;
  asm volatile("mov.u32 %0, %%clock;" : "=r"(t));
  return t;
}
__device__ __forceinline__ long long trace_ns() {"""),
]


def traced_source(src: str, light: bool = False, sums: bool = False, mode: str = "tf32") -> str:
    """The solution's source with the stamps spliced in (per tile, or with `light` once per group, and with `sums`
    the per-phase cycle sums), only `mode`'s kernels dispatched, and its extension renamed."""
    edits = _COMMON_EDITS + [(_DISPATCH, _MODE_DISPATCH[mode])] + (
        _LIGHT_EDITS + (_SUM_EDITS if sums else _NO_SUM_EDITS) if light else _TILE_EDITS)
    for old, new in edits:
        if src.count(old) != 1:
            raise SystemExit(f"trace_93: expected exactly one occurrence of:\n{old}")
        src = src.replace(old, new)
    name = src.index('name="') + len('name="')
    prefix = ("ct93_sums_" if sums else "ct93_light_" if light else "ct93_trace_") + ("" if mode == "tf32" else mode + "_")
    return src[:name] + prefix + src[name:]


def _traced_model(sol: str, light: bool, sums: bool = False, mode: str = "tf32"):
    """The traced build's module, a seeded kernelbench-v0.1 ModelNew and a torch.rand input, in `mode`."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(traced_source(open(sol).read(), light, sums, mode))
    module = load(f.name, "sums93" if sums else "light93" if light else "traced93")
    os.unlink(f.name)
    torch.manual_seed(0)
    model = module.ModelNew(64, 128, 4, 2, 0.5, 2.0).cuda()
    x = torch.rand(128, 64, 64, 64, device="cuda")
    if mode == "bf16":
        model, x = model.bfloat16(), x.bfloat16()
    return module, model, x


def _traced_calls(sol: str, light: bool, sums: bool, calls: int, words: int, sync: bool, flush_each: bool,
                  mode: str = "tf32") -> tuple:
    """`calls` kernelbench-v0.1 calls (in `mode`) of a traced build after one warm-up call, each stamping into its own
    `words` int64 words; before each call an L2 flush (`flush_each` or `sync`) and, with `sync`, a device-wide sync
    (run.py's regime; otherwise the calls queue back to back). Returns the stamps [call, words] (on the GPU) and
    each call's CUDA-event time in ms."""
    module, model, x = _traced_model(sol, light, sums, mode)
    set_trace = module._load_ext().ct93_set_trace
    trace = torch.zeros(calls, words, dtype=torch.int64, device="cuda")
    flush = torch.empty(L2_FLUSH_BYTES // 4, dtype=torch.int32, device="cuda") if flush_each or sync else None
    events = []
    with torch.no_grad():
        model(x)   # build, warm-up
        for i in range(calls):
            set_trace(trace[i])
            if flush is not None:
                flush.zero_()
            if sync:
                torch.cuda.synchronize()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            model(x)
            end.record()
            if sync:
                torch.cuda.synchronize()
            events.append((start, end))
        set_trace(torch.empty(0, dtype=torch.int64, device="cuda"))
    torch.cuda.synchronize()
    return trace, [start.elapsed_time(end) for start, end in events]


def record(sol: str, sync: bool = False) -> torch.Tensor:
    """One kernelbench-v0.1 TF32 call on torch.rand inputs; the stamps as [CTA, group, tile, slot]. With `sync` the
    traced call follows an L2 flush and a device-wide sync, as run.py's timed calls do; otherwise it is queued right
    behind the warm-up call."""
    ctas = torch.cuda.get_device_properties(0).multi_processor_count
    trace, _ = _traced_calls(sol, False, False, 1, ctas * 2 * TILES * SLOTS, sync, flush_each=False)
    return trace.view(ctas, 2, TILES, SLOTS).cpu()


def record_light(sol: str, calls: int, sync: bool = True, sums: bool = False, mode: str = "tf32") -> tuple:
    """`calls` kernelbench-v0.1 calls (in `mode`) of the --light build, each after an L2 flush and, with `sync`, a
    device-wide sync (run.py's regime; otherwise queued back to back): the stamps as [call, CTA, group,
    LIGHT_SLOTS] and each call's CUDA-event time in ms."""
    ctas = torch.cuda.get_device_properties(0).multi_processor_count
    trace, times = _traced_calls(sol, True, sums, calls, ctas * 2 * LIGHT_SLOTS, sync, flush_each=True, mode=mode)
    return trace.view(calls, ctas, 2, LIGHT_SLOTS).cpu(), times


def analyse_light(tr: torch.Tensor, times: list) -> None:
    """Per call: the event time, the main kernel's span from the first group's start to the last group's end (ns
    stamps), and the SM clock (cycles over ns per group: median, min, max); then the medians over the calls, and
    with --sums the per-tile phases of the groups that ended first, in the middle and last."""
    tr = tr.double()
    spans, clocks = [], []
    for i in range(tr.shape[0]):
        t = tr[i].reshape(-1, tr.shape[-1])
        t = t[t[:, 3] > 0]   # groups that ran (every group stamps, with or without tiles)
        mhz = (t[:, 2] - t[:, 0]) / (t[:, 3] - t[:, 1]) * 1e3
        span = (t[:, 3].max() - t[:, 1].min()).item() / 1e3
        spans.append(span)
        clocks.append(mhz.median().item())
        print(f"call {i}: event {times[i]:.4f} ms, main kernel {span:.1f} us, SM clock median {mhz.median():.0f} MHz "
              f"(groups {mhz.min():.0f} .. {mhz.max():.0f}); last group ends {(t[:, 3].max() - t[:, 3].median()) / 1e3:.1f} "
              f"us after the median group")
    med = statistics.median
    print(f"median over {len(times)} calls: event {med(times):.4f} ms, main kernel {med(spans):.1f} us, "
          f"SM clock {med(clocks):.0f} MHz")
    if tr.shape[-1] > LOOP_SUM and (tr[..., LOOP_SUM] > 0).any():
        _phase_sums(tr)


def _phase_sums(tr: torch.Tensor) -> None:
    """Mean cycles per tile in each phase (start to first stage, chunk loop, epilogue) of the third of the groups
    that ended first, the middle third and the last third of each call; medians over the calls."""
    per_class = {name: [] for name in ("first", "middle", "last")}
    for i in range(tr.shape[0]):
        t = tr[i].reshape(-1, tr.shape[-1])
        t = t[t[:, TILE_COUNT] > 0]
        order = t[:, 3].argsort()
        for name, part in zip(per_class, order.tensor_split(3)):
            g = t[part]
            per_class[name].append([(g[:, slot] / g[:, TILE_COUNT]).mean().item()
                                    for slot in (OPEN_SUM, LOOP_SUM, EPILOGUE_SUM)])
    for name, rows in per_class.items():
        open_, loop, epilogue = (statistics.median(col) for col in zip(*rows))
        print(f"groups ending {name:6s}: per tile {open_:6.0f} cycles to the first stage, chunk loop {loop:6.0f}, "
              f"epilogue {epilogue:6.0f}")


def _chunk_loops(tr: torch.Tensor, valid: torch.Tensor, cta: int, g: int) -> list:
    """(tile start, drain) of each stamped tile of group g of one CTA, in order."""
    return [(tr[cta, g, k, 0].item(), tr[cta, g, k, DRAIN].item()) for k in range(TILES) if valid[cta, g, k]]


def _busy_fractions(tr: torch.Tensor, valid: torch.Tensor, cta: int) -> tuple:
    """Cycles of one CTA with both, one or neither group between tile start and drain, and its span."""
    edges = sorted(edge for g in range(2) for start, drain in _chunk_loops(tr, valid, cta, g)
                   for edge in ((start, 1), (drain, -1)))
    start = tr[cta, :, 0, KERNEL_START].min().item()
    end = max(tr[cta, g, valid[cta, g], EPILOGUE_END].max().item() for g in range(2) if valid[cta, g].any())
    level, last, spent = 0, start, [0.0, 0.0, 0.0]
    for t, step in edges:
        spent[level] += t - last
        level, last = level + step, t
    spent[level] += end - last
    return spent, end - start


def sm_clock_mhz(tr: torch.Tensor) -> float:
    """The SM clock of the traced call in MHz: per group, the cycles from its first stamped tile's start to its last
    one's epilogue end over the %globaltimer ns between the same two points; the median over the groups. NaN for
    traces without the ns slots (recorded before they existed)."""
    if tr.shape[-1] <= NS_EPILOGUE_END:
        return float("nan")
    tr = tr.double()
    valid = tr[..., 0] != 0
    rates = []
    for cta in range(tr.shape[0]):
        for g in range(tr.shape[1]):
            tiles = valid[cta, g].nonzero().flatten()
            if len(tiles) == 0:
                continue
            first, last = tiles[0].item(), tiles[-1].item()
            ns = tr[cta, g, last, NS_EPILOGUE_END] - tr[cta, g, first, NS_TILE_START]
            if ns > 0:
                rates.append((tr[cta, g, last, EPILOGUE_END] - tr[cta, g, first, 0]).item() / ns.item() * 1e3)
    return torch.tensor(rates).median().item() if rates else float("nan")


def analyse(tr: torch.Tensor) -> None:
    """Print where a group tile's cycles go, how often the groups issue together, and chunk periods."""
    tr = tr.double()
    valid = tr[..., 0] != 0
    med = lambda v: round(v[valid].median().item())
    print(f"tiles stamped: {int(valid.sum())}; per tile (median cycles): chunk loop {med(tr[..., DRAIN] - tr[..., 0])}, "
          f"epilogue {med(tr[..., EPILOGUE_END] - tr[..., DRAIN])}")
    if tr.shape[-1] > NS_EPILOGUE_END:
        span_us = (tr[..., NS_EPILOGUE_END][valid].max() - tr[..., NS_TILE_START][valid].min()).item() / 1e3
        print(f"SM clock from the stamps: {sm_clock_mhz(tr):.0f} MHz (cycles over %globaltimer ns, median of the "
              f"groups); the stamped tiles span {span_us:.1f} us")
    names = ("stage ready", "issue + wgmma wait", "group barrier", "refill")
    for j, name in enumerate(names):
        per_chunk = [med(tr[..., 1 + j + 4 * c] - (tr[..., j + 4 * c] if c or j else tr[..., 0])) for c in range(CHUNKS)]
        print(f"  {name:20s} per chunk: {per_chunk}")
    totals, span = [0.0, 0.0, 0.0], 0.0
    for cta in range(tr.shape[0]):
        spent, s = _busy_fractions(tr, valid, cta)
        totals = [a + b for a, b in zip(totals, spent)]
        span += s
    print(f"groups in their chunk loops: both {totals[2] / span:.1%}, one {totals[1] / span:.1%}, "
          f"neither {totals[0] / span:.1%}; the tensor cores' work (4,096 cycles a tile) fills "
          f"{int(valid.sum()) * 4096 / span:.1%} of the CTAs' spans")
    periods = {True: [], False: []}
    for cta in range(tr.shape[0]):
        for g in range(2):
            other = _chunk_loops(tr, valid, cta, 1 - g)
            starts = [a for a, _ in other]
            for k in range(TILES):
                if not valid[cta, g, k]:
                    continue
                for c in range(1, CHUNKS):
                    a, b = tr[cta, g, k, 4 * c].item(), tr[cta, g, k, 4 + 4 * c].item()
                    i = bisect.bisect_right(starts, (a + b) / 2) - 1
                    periods[i >= 0 and (a + b) / 2 < other[i][1]].append(b - a)
    for issuing, v in periods.items():
        if v:
            print(f"chunk period with the other group {'issuing' if issuing else 'in its epilogue'}: "
                  f"median {torch.tensor(v).median().item():.0f} cycles over {len(v)} chunks")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sol", default=SOL)
    parser.add_argument("--mode", choices=sorted(_MODE_DISPATCH), default="tf32",
                        help="the kernels traced: TF32's own, TF32H (fp32 inputs) or bf16; kernelbench-v0.1")
    parser.add_argument("--save", help="also write the raw stamps here")
    parser.add_argument("--analyse", help="analyse stamps saved by --save instead of running")
    parser.add_argument("--sync", action="store_true",
                        help="flush L2 and synchronize before the traced call (with --light: before each call)")
    parser.add_argument("--light", type=int, metavar="CALLS",
                        help="instead: CALLS calls of the build stamped once per group, each after an L2 flush")
    parser.add_argument("--sums", action="store_true",
                        help="with --light: also sum each group's cycles per tile phase in registers")
    args = parser.parse_args()
    if args.mode != "tf32" and not (args.light or args.analyse):
        parser.error(f"--mode {args.mode} needs --light: the per-tile analysis reads TF32's 8 chunks a tile")
    if args.analyse:
        saved = torch.load(args.analyse)
        if isinstance(saved, dict):
            analyse_light(saved["stamps"], saved["times"])
        else:
            analyse(saved)
        return
    if args.light:
        tr, times = record_light(args.sol, args.light, args.sync, args.sums, args.mode)
        if args.save:
            torch.save({"stamps": tr, "times": times}, args.save)
        analyse_light(tr, times)
        return
    tr = record(args.sol, args.sync)
    if args.save:
        torch.save(tr, args.save)
    analyse(tr)


if __name__ == "__main__":
    main()
