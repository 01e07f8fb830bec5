"""tools/trace_93.py splices its clock64 and %globaltimer stamps into the problem-93 solution by text replacement;
this checks, without a GPU, that every splice still finds its one place in the current kernel, and the clock the
analysis reads from the two kinds of stamps."""
import math
import sys
from pathlib import Path

import pytest
import torch

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))
import trace_93  # noqa: E402


def test_stamps_splice_into_the_current_solution():
    source = Path(trace_93.SOL).read_text()
    traced = trace_93.traced_source(source)
    stamped_slots = {f"tr[k * TRACE_SLOTS + {slot}] = clock64();" for slot in
                     ("1 + 4 * chunk", "2 + 4 * chunk", "3 + 4 * chunk", "4 + 4 * chunk")}
    for stamp in stamped_slots:
        assert traced.count(stamp) == 1, stamp
    assert 'name="ct93_trace_' in traced and "ct93_set_trace" in traced


def test_a_bf16_build_dispatches_only_the_bf16_kernels_under_its_own_name():
    source = Path(trace_93.SOL).read_text()
    traced = trace_93.traced_source(source, light=True, sums=True, mode="bf16")
    assert "ct93::run<ct93::BF16>" in traced
    assert "ct93::run<ct93::TF32>" not in traced and "ct93::run<ct93::F16>" not in traced
    assert 'name="ct93_sums_bf16_' in traced
    assert "ct93::run<ct93::BF16>" not in trace_93.traced_source(source, light=True, sums=True)


def test_a_kernel_of_another_shape_is_refused():
    source = Path(trace_93.SOL).read_text().replace("      group_bar(bar_id);\n", "      group_bar(bar_id); \n")
    with pytest.raises(SystemExit, match=r"group_bar\(bar_id\);"):
        trace_93.traced_source(source)


def test_tile_starts_and_epilogue_ends_read_the_global_timer():
    traced = trace_93.traced_source(Path(trace_93.SOL).read_text())
    assert traced.count("long long trace_ns()") == 1
    assert traced.count(f"tr[k * TRACE_SLOTS + {trace_93.NS_TILE_START}] = trace_ns();") == 1
    assert traced.count(f"tr[k * TRACE_SLOTS + {trace_93.NS_EPILOGUE_END}] = trace_ns();") == 1


def _synthetic_trace(mhz_per_group):
    """Three stamped tiles per group, 5,000 cycles apart with 4,000-cycle tiles, at the given clock per group
    (cycles over ns); the chunk stamps evenly spaced inside each tile."""
    ctas, groups = len(mhz_per_group), len(mhz_per_group[0])
    tr = torch.zeros(ctas, groups, trace_93.TILES, trace_93.SLOTS, dtype=torch.int64)
    for cta in range(ctas):
        for g in range(groups):
            ns_per_cycle = 1e3 / mhz_per_group[cta][g]
            tr[cta, g, 0, trace_93.KERNEL_START] = 900
            for k in range(3):
                start = 1000 + 5000 * k
                for slot in range(trace_93.EPILOGUE_END + 1):
                    tr[cta, g, k, slot] = start + 100 * slot
                tr[cta, g, k, trace_93.NS_TILE_START] = round(50_000 + (start - 1000) * ns_per_cycle)
                tr[cta, g, k, trace_93.NS_EPILOGUE_END] = round(
                    50_000 + (start + 100 * trace_93.EPILOGUE_END - 1000) * ns_per_cycle)
    return tr


def test_the_sm_clock_is_the_stamped_cycles_over_the_stamped_ns(capsys):
    tr = _synthetic_trace([[2000, 2000], [2000, 1000]])
    assert trace_93.sm_clock_mhz(tr) == pytest.approx(2000, rel=1e-3)
    trace_93.analyse(tr)
    assert "SM clock from the stamps: 2000 MHz" in capsys.readouterr().out


def test_a_trace_without_the_ns_slots_has_no_clock():
    tr = _synthetic_trace([[2000, 2000]])[..., :trace_93.KERNEL_START + 1]
    assert math.isnan(trace_93.sm_clock_mhz(tr))


def test_the_light_build_stamps_each_group_once_at_its_start_and_end():
    light = trace_93.traced_source(Path(trace_93.SOL).read_text(), light=True)
    assert 'name="ct93_light_' in light
    assert light.count("tr[0] = clock64();") == 1 and light.count("tr[1] = trace_ns();") == 1
    assert light.count("tr[2] = clock64();") == 1 and light.count("tr[3] = trace_ns();") == 1
    assert "TRACE_SLOTS + 1 + 4 * chunk" not in light   # none of the per-tile stamps


def test_the_light_analysis_reads_span_and_clock(capsys):
    """Two calls, two CTAs of two groups: groups run 1,000 ns at 1,800 MHz, one group starting 200 ns late."""
    tr = torch.zeros(2, 2, 2, trace_93.LIGHT_SLOTS, dtype=torch.int64)
    for call in range(2):
        for cta in range(2):
            for g in range(2):
                start_ns = 10_000 + (200 if (cta, g) == (1, 1) else 0)
                tr[call, cta, g, :4] = torch.tensor([5_000, start_ns, 5_000 + 1_800, start_ns + 1_000])
    trace_93.analyse_light(tr, [0.5, 0.6])
    out = capsys.readouterr().out
    assert "main kernel 1.2 us, SM clock median 1800 MHz" in out
    assert "median over 2 calls: event 0.5500 ms, main kernel 1.2 us, SM clock 1800 MHz" in out


def test_the_sums_build_adds_register_sums_and_stores_them_once():
    sums = trace_93.traced_source(Path(trace_93.SOL).read_text(), light=True, sums=True)
    assert 'name="ct93_sums_' in sums
    assert sums.count("clock32()") == 5   # the helper and four reads per tile
    for slot, name in ((trace_93.OPEN_SUM, "open_sum"), (trace_93.LOOP_SUM, "loop_sum"),
                       (trace_93.EPILOGUE_SUM, "epilogue_sum")):
        assert sums.count(f"tr[{slot}] = {name};") == 1
    plain = trace_93.traced_source(Path(trace_93.SOL).read_text(), light=True)
    assert "clock32" not in plain and "constexpr uint32_t open_sum = 0" in plain


def test_the_phase_sums_are_split_by_when_groups_end(capsys):
    """Three groups per call ending at 1, 2 and 3 us; the late group's chunk loops take twice the cycles."""
    tr = torch.zeros(1, 3, 1, trace_93.LIGHT_SLOTS, dtype=torch.int64)
    for cta, (end_ns, loop) in enumerate(((1_000, 5_000), (2_000, 6_000), (3_000, 10_000))):
        tr[0, cta, 0] = torch.tensor([0, 1, 1_800, end_ns, 100 * 4, loop * 4, 4_000 * 4, 4])
    trace_93.analyse_light(tr, [0.5])
    out = capsys.readouterr().out
    assert "groups ending first : per tile    100 cycles to the first stage, chunk loop   5000, epilogue   4000" in out
    assert "groups ending last  : per tile    100 cycles to the first stage, chunk loop  10000" in out


def test_a_saved_bf16_light_trace_is_analysed_without_a_gpu(tmp_path, monkeypatch, capsys):
    """--analyse reads what --save wrote; the bf16 mode's --light requirement is for building, not for reading."""
    tr = torch.zeros(1, 1, 1, trace_93.LIGHT_SLOTS, dtype=torch.int64)
    tr[0, 0, 0, :4] = torch.tensor([0, 0, 1_800, 1_000])
    saved = tmp_path / "bf16.pt"
    torch.save({"stamps": tr, "times": [0.25]}, saved)
    monkeypatch.setattr(sys, "argv", ["trace_93.py", "--mode", "bf16", "--analyse", str(saved)])
    trace_93.main()
    assert "SM clock median 1800 MHz" in capsys.readouterr().out


def test_a_bf16_run_without_light_is_refused(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["trace_93.py", "--mode", "bf16"])
    with pytest.raises(SystemExit):
        trace_93.main()
