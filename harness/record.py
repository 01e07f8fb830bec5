"""Results: one plain dataclass per evaluation, a JSON record with the full detail, and the leaderboard CSV."""
from __future__ import annotations

import json
import math
import re
import subprocess
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import pandas as pd

KEY = ["problem", "config", "solution", "device", "dtype"]


@dataclass
class Result:
    """One (problem, config, solution, device, dtype) evaluation. `detail` goes to the JSON record only."""

    problem: str
    config: str
    solution: str
    device: str
    dtype: str
    status: str
    correct: bool = False
    degenerate: bool = False
    flags: list = field(default_factory=list)
    message: str = ""
    max_abs_err: float = math.nan
    max_rel_err: float = math.nan
    max_abs_err_fp64: float = math.nan
    max_rel_err_fp64: float = math.nan
    median_ms: float = math.nan
    referee_ms: float = math.nan
    sm_mhz: float = math.nan
    eager_ms: float = math.nan
    compile_ms: float = math.nan
    speedup_eager: float = math.nan
    speedup_compile: float = math.nan
    floor_ms: float = math.nan
    pct_of_floor: float = math.nan
    torch_version: str = ""
    git_commit: str = ""
    timestamp: str = ""
    record: str = ""
    detail: dict = field(default_factory=dict, repr=False)

    def row(self) -> dict:
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "detail"}
        row["flags"] = ";".join(self.flags)
        return row


COLUMNS = [f.name for f in fields(Result) if f.name != "detail"]
# Read back as text: a short commit hash such as 412e601 would otherwise parse as a float.
TEXT_COLUMNS = [f.name for f in fields(Result) if f.type == "str"] + ["flags"]


def write_record(result: Result, runs_dir: Path) -> Path:
    """The full evaluation as JSON under `runs_dir`; the path is stored in `result.record`."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    stamp = re.sub(r"[^0-9T]", "", result.timestamp)[:15]
    name = "_".join(re.sub(r"[^A-Za-z0-9.-]+", "-", part) for part in
                    (stamp, result.problem.split("/")[-1], result.config, result.solution, result.dtype))
    path = runs_dir / f"{name}.json"
    result.record = str(path)
    path.write_text(json.dumps(asdict(result), indent=2, default=str) + "\n")
    return path


def upsert_leaderboard(results: list, csv_path: Path) -> pd.DataFrame:
    """Replace the rows with the same key, append the new ones, and write the CSV back."""
    new = pd.DataFrame([r.row() for r in results], columns=COLUMNS)
    if csv_path.is_file():
        old = read_leaderboard(csv_path)
        table = pd.concat([old, new], ignore_index=True) if len(old) else new
    else:
        table = new
    table = table.drop_duplicates(subset=KEY, keep="last").sort_values(KEY, kind="stable").reindex(columns=COLUMNS)
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(csv_path, index=False)
    return table


def read_leaderboard(csv_path: Path) -> pd.DataFrame:
    """The leaderboard CSV, its text columns (keys, status, commit, ...) read as text."""
    return pd.read_csv(csv_path, dtype={k: str for k in TEXT_COLUMNS})


# The paths whose content decides an evaluation (not results/, which every run rewrites).
EVALUATED_PATHS = ["harness", "problems", "solutions", "configs", "run.py"]


def git_commit(root: Path) -> str:
    """HEAD's short hash; with "-dirty" when files under EVALUATED_PATHS differ from HEAD or are not
    in it (untracked and not ignored: a new solution), so a row never names a commit whose tree was
    not the one evaluated. "" outside a git checkout."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
    try:
        head = git("rev-parse", "--short", "HEAD")
        if head and git("status", "--porcelain", "--untracked-files=all", "--", *(":/" + p for p in EVALUATED_PATHS)):
            head += "-dirty"
        return head
    except (OSError, subprocess.TimeoutExpired):
        return ""
