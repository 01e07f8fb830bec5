import math
import subprocess

import pandas as pd
import pytest

from harness.record import COLUMNS, Result, git_commit, read_leaderboard, upsert_leaderboard


def result(solution, status="ok", median=1.0, dtype="fp32"):
    return Result(problem="level2/p", config="small", solution=solution, device="cpu", dtype=dtype,
                  status=status, correct=status == "ok", flags=["a", "b"], median_ms=median)


def test_upsert_replaces_rows_with_the_same_key_and_keeps_others(tmp_path):
    csv = tmp_path / "leaderboard.csv"
    upsert_leaderboard([result("x", median=1.0), result("y", median=2.0)], csv)
    upsert_leaderboard([result("x", status="incorrect", median=3.0), result("x", dtype="bf16")], csv)
    table = pd.read_csv(csv)
    assert list(table.columns) == COLUMNS
    assert len(table) == 3
    row = table[(table.solution == "x") & (table.dtype == "fp32")].iloc[0]
    assert row.status == "incorrect" and row.median_ms == 3.0 and row["flags"] == "a;b"
    assert table[table.solution == "y"].iloc[0].median_ms == 2.0


def test_nan_fields_round_trip(tmp_path):
    csv = tmp_path / "leaderboard.csv"
    upsert_leaderboard([result("x", status="needs_cuda", median=math.nan)], csv)
    upsert_leaderboard([result("z")], csv)
    table = pd.read_csv(csv)
    assert math.isnan(table[table.solution == "x"].iloc[0].median_ms) and len(table) == 2


def test_commit_hashes_that_look_like_numbers_stay_text(tmp_path):
    csv = tmp_path / "leaderboard.csv"
    first, second = result("x"), result("y")
    first.git_commit, second.git_commit = "412e601", "1234567"
    upsert_leaderboard([first], csv)
    upsert_leaderboard([second], csv)   # reads the first row back before writing
    table = read_leaderboard(csv).set_index("solution")
    assert table.loc["x", "git_commit"] == "412e601" and table.loc["y", "git_commit"] == "1234567"


def test_commit_is_marked_dirty_when_evaluated_files_differ_from_head(tmp_path):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True,
                       capture_output=True)
    try:
        git("init", "-q")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs git")
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "s.py").write_text("a = 1\n")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "leaderboard.csv").write_text("x\n")
    git("add", ".")
    git("commit", "-q", "-m", "c")
    clean = git_commit(tmp_path)
    assert clean and not clean.endswith("-dirty")
    (tmp_path / "results" / "leaderboard.csv").write_text("y\n")   # results are rewritten by every run
    assert git_commit(tmp_path) == clean
    (tmp_path / "solutions" / "s.py").write_text("a = 2\n")
    assert git_commit(tmp_path) == clean + "-dirty"
    assert git_commit(tmp_path / "solutions").endswith("-dirty")   # any directory of the checkout
    git("checkout", "-q", "--", "solutions/s.py")
    (tmp_path / "solutions" / "new.py").write_text("b = 1\n")   # a solution not committed yet
    assert git_commit(tmp_path) == clean + "-dirty"
