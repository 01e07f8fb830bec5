"""The CLI end to end, as a user runs it: subprocesses of run.py on the CPU."""
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import torch

from conftest import CANDIDATES, PROBLEM, REPO


def run_cli(*args, timeout=600):
    return subprocess.run([sys.executable, str(REPO / "run.py"), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


@pytest.fixture(scope="module")
def small_root(test_root, tmp_path_factory):
    """problem 93 with two solutions: pure PyTorch and CUDA."""
    root = tmp_path_factory.mktemp("cli_root")
    for part in ("problems", "configs"):
        shutil.copytree(test_root / part, root / part)
    solutions = root / "solutions" / PROBLEM
    solutions.mkdir(parents=True)
    for name in ("_base.py", "good_pytorch.py", "cuda_epilogue.py"):
        shutil.copy(CANDIDATES / name, solutions)
    return root


def test_default_command_evaluates_every_solution(small_root, tmp_path):
    proc = run_cli("--root", small_root, "--config", "small", "--device", "cpu", "--no-compile-baseline",
                   "--results-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "leaderboard.csv").set_index("solution")
    assert table.loc["good_pytorch", "status"] == "ok" and bool(table.loc["good_pytorch", "correct"])
    assert table.loc["cuda_epilogue", "status"] == "needs_cuda"
    assert (table["config"] == "small").all() and (table["dtype"] == "fp32").all()
    assert len(list((tmp_path / "runs").glob("*.json"))) == 2
    assert "good_pytorch" in proc.stdout and "needs_cuda" in proc.stdout
    if not torch.cuda.is_available():
        assert "need a GPU" in proc.stdout


def test_eval_one_solution_by_path_infers_the_problem(small_root, tmp_path):
    solution = small_root / "solutions" / PROBLEM / "good_pytorch.py"
    proc = run_cli("eval", solution, "--root", small_root, "--device", "cpu", "--dtype", "fp32-exact",
                   "--no-compile-baseline", "--results-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    row = pd.read_csv(tmp_path / "leaderboard.csv").iloc[0]
    assert (row["problem"], row["config"], row["solution"], row["dtype"], row["status"]) == (
        PROBLEM, "small", "good_pytorch", "fp32-exact", "ok")


def test_list_shows_problems_configs_and_solutions(small_root):
    proc = run_cli("list", "--root", small_root)
    assert proc.returncode == 0, proc.stderr
    for text in ("93_ConvTranspose2d", "small", "tiny-randn", "good_pytorch", "cuda_epilogue (cuda)"):
        assert text in proc.stdout


@pytest.mark.parametrize("args, message", [
    (["eval", "good_pytorch", "--problem", "no_such_problem"], "unknown problem 'no_such_problem'"),
    (["eval", "no_such_solution", "--problem", PROBLEM], "unknown solution 'no_such_solution'"),
    (["--config", "no_such_set"], "unknown config 'no_such_set'"),
])
def test_unknown_names_give_one_line_and_nonzero_exit(small_root, tmp_path, args, message):
    proc = run_cli(*args, "--root", small_root, "--device", "cpu", "--results-dir", tmp_path)
    assert proc.returncode != 0
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("args, message", [
    (["--timing-trials", "0"], "must be > 0"),
    (["--timing-trials", "-1"], "must be > 0"),
    (["--timing-trials", "2.5"], "not a whole number"),
    (["--run-timeout", "-5"], "must be > 0"),
    (["--compile-timeout", "soon"], "not a number"),
])
def test_bad_numeric_options_are_usage_errors(small_root, tmp_path, args, message):
    proc = run_cli("eval", "good_pytorch", *args, "--root", small_root, "--device", "cpu",
                   "--results-dir", tmp_path / "results")
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "results").exists(), "nothing is evaluated or recorded"


def test_malformed_config_gives_one_line(small_root, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(small_root, root)
    config = next((root / "configs").rglob("*.yaml"))
    config.write_text(config.read_text() + "surprise: 1\n")
    proc = run_cli("--root", root, "--device", "cpu", "--results-dir", tmp_path / "results")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert str(config) in proc.stderr and "unknown key 'surprise'" in proc.stderr
