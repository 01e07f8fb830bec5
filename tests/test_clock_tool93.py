"""tools/clock_under_load_93.py reads nvidia-smi's CSV; this checks, without a GPU, that it keeps the samples taken
while the calls ran (by timestamp, whatever reason they report) and turns clock and power into numbers."""
import datetime
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))
import clock_under_load_93  # noqa: E402

# The header and rows as nvidia-smi (driver 580.159) wrote them for the tool's query: it names the reasons field
# clocks_event_reasons, the tool asks for clocks_throttle_reasons. Rows 2-4 were taken under load: an H200 at its
# power cap (reason 0x4) and an H100 below it, at full clock with no reason set.
SAMPLES = """timestamp, clocks.current.sm [MHz], clocks.current.memory [MHz], power.draw [W], power.limit [W], \
temperature.gpu, clocks_event_reasons.active
2026/12/03 14:40:53.340, 1980 MHz, 3201 MHz, 85.07 W, 700.00 W, 35, 0x0000000000000000
2026/12/03 14:40:53.395, 1785 MHz, 3201 MHz, 691.91 W, 700.00 W, 52, 0x0000000000000004
2026/12/03 14:40:53.450, 1755 MHz, 3201 MHz, 703.82 W, 700.00 W, 53, 0x0000000000000004
2026/12/03 14:40:53.505, 1980 MHz, 2619 MHz, 646.35 W, 700.00 W, 49, 0x0000000000000000
2026/12/03 14:40:53.560, 1980 MHz, 3201 MHz, 95.40 W, 700.00 W, 40, 0x0000000000000005
"""


def _seconds(stamp: str) -> float:
    return datetime.datetime.strptime(stamp, "%Y/%m/%d %H:%M:%S.%f").timestamp()


def test_loaded_samples_are_those_inside_the_calls_window(tmp_path):
    csv_path = tmp_path / "smi_tf32.csv"
    csv_path.write_text(SAMPLES)
    loaded = clock_under_load_93.loaded_samples(str(csv_path), _seconds("2026/12/03 14:40:53.390"),
                                                _seconds("2026/12/03 14:40:53.510"))
    assert list(loaded.sm_mhz) == [1785.0, 1755.0, 1980.0]
    assert list(loaded.power_w) == [691.91, 703.82, 646.35]
    assert loaded.limit_w.max() == 700.0
    assert list(loaded.reasons) == ["0x0000000000000004", "0x0000000000000004", "0x0000000000000000"]
