"""The CLI as a person or a script uses it: show, export, --json/--quiet, and errors one can act on."""
import json
import re
import shutil

import pandas as pd
import pytest
import torch

from conftest import CANDIDATES, PROBLEM, REPO
from test_cli import run_cli

FAST = ("--device", "cpu", "--no-compile-baseline", "--timing-trials", "2")
DIR_SOLUTION = REPO / "tests" / "fixtures" / "dir_solution_cpu"


@pytest.fixture()
def leaderboard_dir(tmp_path):
    rows = [
        dict(problem=PROBLEM, config="kernelbench-v0.1", solution="slow", device="cuda", dtype="fp32",
             status="ok", correct=True, degenerate=False, flags="", median_ms=3.0, eager_ms=6.0,
             speedup_eager=2.0, floor_ms=0.42, pct_of_floor=14.0),
        dict(problem=PROBLEM, config="kernelbench-v0.1", solution="fast", device="cuda", dtype="fp32",
             status="ok", correct=True, degenerate=False, flags="", median_ms=1.0, eager_ms=6.0,
             speedup_eager=6.0, floor_ms=0.42, pct_of_floor=42.0),
        dict(problem=PROBLEM, config="kernelbench-v0.1", solution="broken", device="cuda", dtype="fp32",
             status="incorrect", correct=False, degenerate=False, flags="", median_ms=0.1, eager_ms=6.0,
             speedup_eager=60.0, floor_ms=0.42, pct_of_floor=420.0),
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "leaderboard.csv", index=False)
    return tmp_path


def test_show_ranks_valid_rows_by_speedup(leaderboard_dir):
    proc = run_cli("show", "--results-dir", leaderboard_dir, "--problem", "93")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.index("fast") < out.index("slow") < out.index("broken")


def test_show_markdown_is_a_markdown_table(leaderboard_dir):
    proc = run_cli("show", "--results-dir", leaderboard_dir, "--markdown")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("|") and set(lines[1]) <= set("|-: ")
    assert len(lines) == 2 + 3 and "fast" in lines[2]


def test_show_without_a_leaderboard_is_one_line(tmp_path):
    proc = run_cli("show", "--results-dir", tmp_path)
    assert proc.returncode == 2 and "no leaderboard" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_export_command_writes_one_self_contained_file(tmp_path):
    out = tmp_path / "exported.py"
    proc = run_cli("export", DIR_SOLUTION, "-o", out)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "class ModelNew" in text and "read_text" not in text and "__file__" not in text


def test_a_directory_solution_is_evaluated_through_its_export(test_root, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(test_root, root)
    shutil.copytree(DIR_SOLUTION, root / "solutions" / PROBLEM / "dir_solution")
    proc = run_cli("eval", "dir_solution", "--problem", PROBLEM, "--root", root, *FAST,
                   "--results-dir", tmp_path / "results", "--cache-dir", tmp_path / "cache", "--json")
    (result,) = json.loads(proc.stdout)
    record = json.loads((tmp_path / "results" / "runs").glob("*.json").__next__().read_text())
    evaluated = record["detail"]["candidate"]["evaluated"]
    assert evaluated == str((tmp_path / "cache" / "exports" / "dir_solution.py").resolve())
    # the fixture computes x*2+1, not problem 93: judged on what was exported, and found wrong
    assert result["solution"] == "dir_solution" and result["status"] != "ok" and proc.returncode == 1


def test_a_directory_solution_that_cannot_be_exported_does_not_stop_the_others(test_root, tmp_path):
    root = tmp_path / "root"
    for part in ("problems", "configs"):
        shutil.copytree(test_root / part, root / part)
    solutions = root / "solutions" / PROBLEM
    solutions.mkdir(parents=True)
    shutil.copy(CANDIDATES / "good_pytorch.py", solutions)
    (solutions / "broken_dir").mkdir()
    (solutions / "broken_dir" / "model_new.py").write_text(
        "from pathlib import Path\nSOURCE = Path(__file__).with_name('gone.cpp').read_text()\nclass ModelNew:\n    pass\n")
    proc = run_cli("all", "--problem", PROBLEM, "--root", root, *FAST, "--results-dir", tmp_path / "results", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {row["solution"]: row for row in json.loads(proc.stdout)}
    assert rows["good_pytorch"]["status"] == "ok"
    assert rows["broken_dir"]["status"] == "compile_error" and "export: " in rows["broken_dir"]["message"]
    assert "gone.cpp" in rows["broken_dir"]["message"]


def test_json_output_is_machine_readable_and_quiet_prints_nothing(test_root, tmp_path):
    as_json = run_cli("eval", "good_pytorch", "--problem", PROBLEM, "--root", test_root, *FAST,
                      "--results-dir", tmp_path / "a", "--json")
    assert as_json.returncode == 0, as_json.stderr
    (row,) = json.loads(as_json.stdout)
    assert row["status"] == "ok" and row["correct"] is True and row["median_ms"] > 0
    quiet = run_cli("eval", "good_pytorch", "--problem", PROBLEM, "--root", test_root, *FAST,
                    "--results-dir", tmp_path / "b", "--quiet")
    assert quiet.returncode == 0 and quiet.stdout.strip() == "" and quiet.stderr.strip() == ""


def test_piped_output_names_each_stage_as_it_starts(test_root, tmp_path):
    proc = run_cli("eval", "good_pytorch", "--problem", PROBLEM, "--root", test_root, *FAST,
                   "--results-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    stages = re.findall(r"^\[ *[0-9.]+ s\] (\w+): good_pytorch$", proc.stdout, flags=re.M)
    assert stages == ["baseline", "compile", "run", "judge", "done"]


SIGNATURE = "import torch.nn as nn\n\nclass ModelNew(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
NO_MODEL_NEW = "import torch.nn as nn\n\nclass Model(nn.Module):\n    pass\n"


@pytest.mark.parametrize("source, status, words", [
    (NO_MODEL_NEW, "compile_error", "defines no class ModelNew"),
    (SIGNATURE, "runtime_error", "TypeError"),
    ((CANDIDATES / "import_error.py").read_text(), "compile_error", "Error"),
], ids=["missing-ModelNew", "wrong-constructor-signature", "traceback-at-import"])
def test_broken_solutions_give_their_status_and_exit_1(test_root, tmp_path, source, status, words):
    solution = tmp_path / "solution.py"
    solution.write_text(source)
    proc = run_cli("eval", solution, "--problem", PROBLEM, "--root", test_root, *FAST,
                   "--results-dir", tmp_path / "results")
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    (line,) = [l for l in proc.stdout.splitlines() if l.startswith("solution: ")]
    assert status in line and words in line


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_solution_without_cuda_says_so(test_root, tmp_path):
    proc = run_cli("eval", "cuda_epilogue", "--problem", PROBLEM, "--root", test_root, *FAST,
                   "--results-dir", tmp_path)
    assert proc.returncode == 1 and "needs_cuda" in proc.stdout and "need a GPU" in proc.stdout


def test_config_naming_an_unknown_constant_is_one_line(test_root, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(test_root, root)
    config = next((root / "configs").rglob("*.yaml"))
    config.write_text(config.read_text().replace("batch_size: 2,", "batch_size: 2, depth: 3,"))
    proc = run_cli("eval", "good_pytorch", "--problem", PROBLEM, "--root", root, *FAST, "--results-dir", tmp_path)
    assert proc.returncode == 2 and "depth" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_cpu_run_without_config_uses_the_small_set_and_says_so(test_root, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(test_root, root)
    config = next((root / "configs").rglob("*.yaml"))
    config.write_text(config.read_text().replace("default: small", "default: tiny-randn"))
    proc = run_cli("eval", "good_pytorch", "--problem", PROBLEM, "--root", root, *FAST, "--results-dir", tmp_path / "r")
    assert proc.returncode == 0, proc.stderr
    assert "using the 'small' size set" in proc.stdout
    assert pd.read_csv(tmp_path / "r" / "leaderboard.csv").iloc[0]["config"] == "small"
    named = run_cli("eval", "good_pytorch", "--problem", PROBLEM, "--root", root, *FAST, "--config", "tiny-randn",
                    "--results-dir", tmp_path / "n")
    assert named.returncode == 0 and "size set" not in named.stdout
    assert pd.read_csv(tmp_path / "n" / "leaderboard.csv").iloc[0]["config"] == "tiny-randn"
