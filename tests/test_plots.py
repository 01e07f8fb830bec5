import math
import sys

import pandas as pd
import pytest

from harness.plots import FLOOR_FILE, SPEEDUP_FILE, PlotsUnavailable, write_plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAN = math.nan


def _row(config, solution, device, median_ms, floor_ms, status="ok", correct=True, flags=""):
    eager_ms, compile_ms = 5.83, 1.61
    return dict(problem="level2/93_ConvTranspose2d_Add_Min_GELU_Multiply", config=config,
                solution=solution, device=device, dtype="fp32", status=status, correct=correct,
                degenerate=False, flags=flags, max_abs_err=1e-6, max_rel_err=1e-6,
                median_ms=median_ms, eager_ms=eager_ms, compile_ms=compile_ms,
                speedup_eager=eager_ms / median_ms, speedup_compile=compile_ms / median_ms,
                floor_ms=floor_ms, pct_of_floor=floor_ms / median_ms * 100)


def leaderboard() -> pd.DataFrame:
    return pd.DataFrame([
        _row("kernelbench-v0.1", "pytorch_reference", "H100", 5.8, 0.42),
        _row("kernelbench-v0.1", "fused_implicit_gemm", "H100", 0.71, 0.42),
        _row("kernelbench-v0.1", "wrong", "H100", 0.3, 0.42, correct=False),
        _row("kernelbench-v0.1", "broken", "H100", NAN, 0.42, status="compile_error", correct=NAN),
        _row("kernelbench-v0", "flagged", "H100", 0.05, 0.031, flags="timing_unstable"),
        _row("kernelbench-v0.1", "cpp_cpu", "cpu", 3650.0, NAN),
    ])


def _assert_png(path, min_bytes=10_000):
    assert path.is_file()
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > min_bytes


def test_writes_both_charts_as_png(tmp_path):
    written = write_plots(leaderboard(), tmp_path / "results")
    assert [path.name for path in written] == [SPEEDUP_FILE, FLOOR_FILE]
    for path in written:
        _assert_png(path)


def test_rows_read_back_from_csv_with_only_failures_still_plot(tmp_path):
    csv = tmp_path / "leaderboard.csv"
    leaderboard().iloc[[3, 5]].to_csv(csv, index=False)
    for path in write_plots(pd.read_csv(csv), tmp_path):
        _assert_png(path, min_bytes=5_000)


def test_empty_leaderboard_writes_nothing(tmp_path):
    assert write_plots(leaderboard().iloc[0:0], tmp_path) == []


def test_without_matplotlib_raises_plots_unavailable(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PlotsUnavailable, match=r"pip install -e '\.\[plots\]'"):
        write_plots(leaderboard(), tmp_path)
    assert not any(tmp_path.iterdir())
