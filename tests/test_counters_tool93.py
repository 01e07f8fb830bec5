"""tools/counters_93.py reads the CSV that `ncu --csv --metrics` prints; this checks, without a GPU, that it skips
the lines before the header and turns each counter of the one launch into a number."""
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))
import counters_93  # noqa: E402

# ncu's output for the tool's kind of run (device call 3 of the thirtieth session, three of its counters): ncu's
# ==PROF== lines and the program's own output come before the header.
ROW = '"{id}","897","python3.12","127.0.0.1","void ct93_wgmma_ss_kernel<0, 2, 128, 1>(Params)","1","7","(256, 1, 1)",' \
      '"(132, 1, 1)","0","9.0","Command line profiler metrics","{name}","{unit}","{value}"'
HEADER = '"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size",' \
         '"Device","CC","Section Name","Metric Name","Metric Unit","Metric Value"'
PREAMBLE = "==PROF== Connected to process 897 (/usr/bin/python3.12)\n==PROF== Disconnected from process 897\n"


def ncu_output(launch_ids=("0", "0", "0")):
    rows = [ROW.format(id=i, name=n, unit=u, value=v) for i, (n, u, v) in zip(launch_ids, [
        ("gpu__time_duration.sum", "ns", "419,392"),
        ("l1tex__data_pipe_lsu_wavefronts.avg.pct_of_peak_sustained_elapsed", "%", "68.97"),
        ("sm__cycles_elapsed.avg.per_second", "hz", "1,748,426,546.19")])]
    return PREAMBLE + "\n".join([HEADER] + rows) + "\n"


def test_read_ncu_csv_gives_each_counter_as_a_number():
    counters = counters_93.read_ncu_csv(ncu_output())
    assert counters == {"gpu__time_duration.sum": 419392.0,
                        "l1tex__data_pipe_lsu_wavefronts.avg.pct_of_peak_sustained_elapsed": 68.97,
                        "sm__cycles_elapsed.avg.per_second": 1748426546.19}


def test_read_ncu_csv_refuses_output_without_a_header():
    with pytest.raises(ValueError, match="no ncu CSV header"):
        counters_93.read_ncu_csv(PREAMBLE + "==ERROR== Failed to find metric bogus__metric.sum\n")


def test_read_ncu_csv_refuses_more_than_one_launch():
    with pytest.raises(ValueError, match="one profiled launch, got 2"):
        counters_93.read_ncu_csv(ncu_output(launch_ids=("0", "1", "1")))
