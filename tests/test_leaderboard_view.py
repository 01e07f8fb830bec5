import math

import pandas as pd
from rich.console import Console

from harness.leaderboard_view import (
    COLUMNS, leaderboard_markdown, leaderboard_table, matches_problem, ranked, valid_rows,
)

P93 = "level2/93_ConvTranspose2d_Add_Min_GELU_Multiply"
P12 = "level1/12_Matmul"
NAN = math.nan


def _row(problem, solution, status="ok", speedup=NAN, *, correct=True, degenerate=False, flags="",
         median_ms=NAN, floor_ms=NAN, pct_of_floor=NAN, sm_mhz=NAN):
    return dict(problem=problem, config="kernelbench-v0.1", solution=solution, device="H100",
                dtype="fp32", status=status, correct=correct, degenerate=degenerate, flags=flags,
                max_abs_err=1e-6, max_rel_err=1e-6, median_ms=median_ms, eager_ms=5.83,
                compile_ms=1.61, speedup_eager=speedup, speedup_compile=speedup / 3.6,
                floor_ms=floor_ms, pct_of_floor=pct_of_floor, sm_mhz=sm_mhz)


def leaderboard() -> pd.DataFrame:
    return pd.DataFrame([
        _row(P93, "slow", speedup=1.0, median_ms=5.83, floor_ms=0.42, pct_of_floor=7.2, sm_mhz=1980.0),
        _row(P93, "broken", status="compile_error", correct=NAN),
        _row(P93, "wrong_but_fast", speedup=50.0, correct=False, median_ms=0.1),
        _row(P93, "fast", speedup=4.2, median_ms=1.39, floor_ms=0.42, pct_of_floor=30.2),
        _row(P93, "flagged", speedup=9.0, flags="suspiciously_fast", median_ms=0.6),
        _row(P93, "cpu_only", speedup=0.02, median_ms=290.0),
        _row(P12, "other_problem", speedup=2.0, median_ms=1.0),
    ])


def test_valid_rows_excludes_failed_incorrect_flagged_and_degenerate():
    df = leaderboard()
    df["degenerate"] = df["degenerate"].astype(object)
    df.loc[df.solution == "slow", "degenerate"] = "True"  # as read back from a CSV
    assert list(df.solution[valid_rows(df)]) == ["fast", "cpu_only", "other_problem"]


def test_ranked_puts_valid_rows_first_by_speedup_then_the_rest():
    order = ranked(leaderboard(), problem="93")
    assert list(order.solution) == [
        "fast", "slow", "cpu_only", "wrong_but_fast", "flagged", "broken"]


def test_problem_filter_accepts_full_name_basename_and_number():
    assert matches_problem(P93, P93)
    assert matches_problem(P93, "93_ConvTranspose2d_Add_Min_GELU_Multiply")
    assert matches_problem(P93, "93")
    assert not matches_problem(P93, "9")
    assert list(ranked(leaderboard(), problem="12").solution) == ["other_problem"]
    assert len(ranked(leaderboard())) == 7


def test_markdown_shape_and_nan_formatting():
    text = leaderboard_markdown(leaderboard(), problem="93")
    lines = text.strip().splitlines()
    assert len(lines) == 2 + 6
    assert all(line.count(" | ") == len(COLUMNS) - 1 for line in lines[:1] + lines[2:])
    assert lines[1].count("|") == len(COLUMNS) + 1
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header[header.index("vs eager"):header.index("% of floor") + 1] == [
        "vs eager", "vs compile", "median ms", "referee ms", "SM MHz", "floor ms", "% of floor"]
    fast = lines[2]
    assert "| fast |" in fast and "4.20x" in fast and "| 0.42 |" in fast and "30.2%" in fast
    assert "| 1.39 | — | — |" in fast and "| 290 |" in lines[4]   # rows recorded before the referee or the clock
    assert "| 5.83 | — | 1980 |" in lines[3]
    assert "| incorrect |" in lines[-3] and "| flagged |" in lines[-2]
    broken = lines[-1]
    assert "compile_error" in broken and "nan" not in broken.lower() and "—" in broken


def test_markdown_escapes_pipes_in_cells():
    df = leaderboard()
    df.loc[df.solution == "flagged", "flags"] = "a|b"
    assert "a\\|b" in leaderboard_markdown(df)


def test_rich_table_has_all_rows_and_floor_columns():
    table = leaderboard_table(leaderboard(), problem="93")
    assert table.row_count == 6
    headers = [column.header for column in table.columns]
    assert "floor ms" in headers and "% of floor" in headers
    console = Console(width=250, record=True)
    console.print(table)
    rendered = console.export_text()
    assert rendered.index("fast") < rendered.index("broken")
    assert "nan" not in rendered.lower()


def test_empty_selection_gives_header_only():
    assert len(leaderboard_markdown(leaderboard(), problem="999").strip().splitlines()) == 2
    assert leaderboard_table(leaderboard(), problem="999").row_count == 0
