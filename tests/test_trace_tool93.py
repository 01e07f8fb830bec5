"""tools/trace_93.py splices its clock64 stamps into the problem-93 solution by text replacement; this checks,
without a GPU, that every splice still finds its one place in the current kernel."""
import sys
from pathlib import Path

import pytest

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


def test_a_kernel_of_another_shape_is_refused():
    source = Path(trace_93.SOL).read_text().replace("      group_bar(bar_id);\n", "      group_bar(bar_id); \n")
    with pytest.raises(SystemExit, match=r"group_bar\(bar_id\);"):
        trace_93.traced_source(source)
