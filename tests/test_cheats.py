"""The cheats in tests/cheats/ go through the CLI (run.py, problem 93, `small`) and none is ranked;
the honest solutions of problem 93 are not flagged. See docs/threat-model.md."""
import json
import math
import shutil
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest
import torch

from conftest import PROBLEM, REPO
from harness import roofline, worker
from harness.candidate import Candidate
from harness.evaluate import ProblemEvaluation, Settings, malformed_run_payload
from harness.leaderboard_view import ranked, row_is_valid
from harness.problem import find_problem
from harness.record import Result
from harness.referee import TimedCall
from harness.timing import Measurement
from test_cli import run_cli

CHEATS = Path(__file__).resolve().parent / "cheats"
SOLUTIONS = REPO / "solutions" / PROBLEM
HONEST = ("pytorch_reference", "cpp_cpu")
GPU_ONLY = ("side_stream",)

# cheat -> (status, flag or None, text the reason must contain, or a tuple of texts one of which it must contain)
EXPECTED_CPU = {
    # What CPU memory from torch.empty holds depends on the allocator: reused blocks of earlier outputs, which the
    # worker poisons with NaN, or values that fail the tolerance check. Either diagnostic rejects the output.
    "uninitialized_output": ("incorrect", None, ("elements outside", "NaN at")),
    "mutates_inputs": ("incorrect", "inputs_modified", "get_inputs#0"),
    "caches_output": ("incorrect", None, "get_inputs#0"),
    "returns_zeros": ("incorrect", None, "elements outside"),
    "patches_torch": ("tampered", "torch_patched", "torch.nn.functional.gelu"),
    "touches_reference": ("incorrect", None, "elements outside"),
    "timed_differently": ("incorrect", None, "timed call "),
    "tensor_subclass": ("invalid_output", None, "AlwaysClose, not a plain torch.Tensor"),
    "fakes_timer": ("tampered", "torch_patched", "time.perf_counter"),
    "memoizes_input": ("incorrect", None, "timed call "),
    "counts_calls": ("incorrect", None, "timed call "),
    "keeps_own_buffer": ("incorrect", None, "NaN"),
}
FLAGGED_CPU = ("forges_time",)   # correct outputs; only its time is a lie


def make_root(base: Path, test_root: Path, cheats, honest=()) -> Path:
    """problems/ and the test config from `test_root`; solutions/ holding the named cheats and honest solutions."""
    root = base / "root"
    for part in ("problems", "configs"):
        shutil.copytree(test_root / part, root / part)
    solutions = root / "solutions" / PROBLEM
    solutions.mkdir(parents=True)
    for name in ("_honest_core", *cheats):
        shutil.copy(CHEATS / f"{name}.py", solutions)
    for name in honest:
        shutil.copy(SOLUTIONS / f"{name}.py", solutions)
    return root


def run_all(root: Path, results: Path, device: str):
    """`run.py all` on problem 93's `small` set; the leaderboard indexed by solution, and the JSON records."""
    proc = run_cli("--root", root, "--config", "small", "--device", device, "--no-compile-baseline",
                   "--results-dir", results)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(results / "leaderboard.csv").set_index("solution", drop=False)
    records = {r["solution"]: r for r in (json.loads(p.read_text()) for p in (results / "runs").glob("*.json"))}
    return table, records


@pytest.fixture(scope="module")
def cpu_run(test_root, tmp_path_factory):
    base = tmp_path_factory.mktemp("cheats_cpu")
    return run_all(make_root(base, test_root, (*EXPECTED_CPU, *FLAGGED_CPU), HONEST), base / "results", "cpu")


@pytest.mark.parametrize("name", EXPECTED_CPU)
def test_cheat_is_caught_on_cpu(cpu_run, name):
    table, records = cpu_run
    status, flag, reason = EXPECTED_CPU[name]
    row, record = table.loc[name], records[name]
    assert row["status"] == status == record["status"], row["message"]
    reasons = (reason,) if isinstance(reason, str) else reason
    assert any(text in row["message"] for text in reasons) and record["message"] == row["message"], row["message"]
    if flag:
        assert flag in str(row["flags"]).split(";") and flag in record["flags"]
    assert not bool(row["correct"]) and math.isnan(row["speedup_eager"]) and math.isnan(record["speedup_eager"])
    assert not row_is_valid(row)


def test_forged_time_is_flagged_by_the_referee(cpu_run):
    """The time its process reports passes every check made inside that process; the referee's clock does not."""
    table, records = cpu_run
    row = table.loc["forges_time"]
    assert row["status"] == "ok" and row["flags"] == "timing_mismatch", row["message"]
    assert "referee's clock" in row["message"] and row["median_ms"] < 0.5 * row["referee_ms"]
    assert row["referee_ms"] >= 5.0 and row["median_ms"] > row["floor_ms"]   # it sleeps 5 ms per call
    assert math.isnan(row["speedup_eager"]) and not row_is_valid(row)
    assert records["forges_time"]["detail"]["referee"]["window_median_ms"] > 5.0


def test_honest_solutions_are_not_flagged(cpu_run):
    table, records = cpu_run
    for name in HONEST:
        row = table.loc[name]
        assert row["status"] == "ok" and bool(row["correct"]), row["message"]
        assert pd.isna(row["flags"]) and records[name]["flags"] == []
        assert row["speedup_eager"] > 0 and row["median_ms"] > row["floor_ms"] > 0
        assert row_is_valid(row)
    assert set(ranked(table.reset_index(drop=True))["solution"][:len(HONEST)]) == set(HONEST)


def test_time_below_the_cpu_floor_is_impossible(test_root, tmp_path):
    """Ceilings cached absurdly low put an honest CPU run below its floor."""
    results = tmp_path / "results"
    results.mkdir()
    roofline.save_ceilings(results / "device_ceilings.json", roofline.DeviceCeilings(
        device=roofline.cpu_name(), torch_version=torch.__version__, copy_gbps=1e-6, fill_gbps=1e-6,
        tflops={"fp32": 1e-9}))
    table, records = run_all(make_root(tmp_path, test_root, (), ("pytorch_reference",)), results, "cpu")
    row = table.loc["pytorch_reference"]
    assert row["status"] == "impossible" and row["flags"] == "impossible"
    assert "best measured bandwidth" in row["message"] and row["median_ms"] < row["floor_ms"]
    assert math.isnan(row["speedup_eager"]) and not row_is_valid(row)
    assert records["pytorch_reference"]["status"] == "impossible"


@pytest.fixture
def evaluation(test_root, tmp_path):
    settings = Settings(device="cpu", results_dir=tmp_path / "results", cache_dir=tmp_path / "cache")
    return ProblemEvaluation(find_problem(PROBLEM, test_root), "small", settings, test_root)


WORK = roofline.Workload(flops=10**6, bytes=3 * 10**7, output_bytes=10**7)  # 0.05 ms at 600 GB/s
CEILINGS = roofline.DeviceCeilings(device="d", torch_version="t", copy_gbps=500.0, fill_gbps=600.0,
                                   tflops={"fp32": 50.0})


def _decided(evaluation, median_ms: float, baseline: dict, referee_ms: float | None = None) -> Result:
    """The verdict on a correct run with the given median time against the given baseline payload; the
    referee's windows are 0.2 ms of pacing (as the baseline measured it) plus `referee_ms` (default: the median)."""
    run = {"torch_patched": [], "inputs_modified": [],
           "measurement": asdict(Measurement.from_times([median_ms] * 5, [median_ms] * 5))}
    window_ms = 0.2 + (median_ms if referee_ms is None else referee_ms)
    timed_calls = [TimedCall(seed=call, window_ms=window_ms, checksum=0, kept=call == 5) for call in range(6)]
    verdict = {"trials": [{"trial": "t", "status": "ok", "max_abs_err": 0.0, "max_rel_err": 0.0,
                           "max_abs_err_fp64": 0.0, "max_rel_err_fp64": 0.0}],
               "degenerate": False, "parameter_message": "", "precision": "fp32"}
    result = Result(problem=PROBLEM, config="small", solution="s", device="d", dtype="fp32", status="pending")
    evaluation._decide(result, run, verdict, {**baseline, "pacing_overhead_ms": 0.2}, timed_calls)
    return result


@pytest.mark.parametrize("median_ms, status, flags", [(0.1, "ok", []), (0.01, "impossible", ["impossible"])])
def test_flagged_against_the_floor_not_a_speedup_factor(evaluation, median_ms, status, flags):
    """14x eager above the floor counts; only a time below moving the bytes is impossible."""
    baseline = {"eager": {"median": 1.4}, "workload": asdict(WORK), "ceilings": asdict(CEILINGS)}
    result = _decided(evaluation, median_ms, baseline)
    assert (result.status, result.flags) == (status, flags)
    assert "not checked against the floor" not in result.message
    assert result.speedup_eager == pytest.approx(14.0) if status == "ok" else math.isnan(result.speedup_eager)


@pytest.mark.parametrize("field, value", [("median", -0.5), ("host_median", math.nan), ("empty_call_ms", -1.0),
                                          ("times", [0.1, 0.1, -0.1, 0.1, 0.1]), ("max", math.inf)])
def test_run_payload_with_a_negative_or_non_finite_time_is_malformed(field, value):
    """A timer cannot read below zero or run forever: such a payload is forged, not measured."""
    measurement = asdict(Measurement.from_times([0.1] * 5, [0.1] * 5))
    run = {"torch_patched": [], "inputs_modified": [], "measurement": measurement}
    assert malformed_run_payload(run, 5) == ""
    measurement[field] = value
    assert malformed_run_payload(run, 5) == "measurement has a negative or non-finite time"


@pytest.mark.parametrize("baseline, reason", [
    ({"eager": {"median": 1.4}, "workload_error": "NotImplementedError: meta", "ceilings": asdict(CEILINGS)},
     "workload not counted (NotImplementedError: meta)"),
    ({"eager": {"median": 1.4}, "workload": asdict(WORK), "ceilings_error": "RuntimeError: oom"},
     "device ceilings not measured (RuntimeError: oom)"),
    ({"message": "baseline: timed out after 300 s"}, "workload not counted (baseline: timed out after 300 s)"),
], ids=["no-workload", "no-ceilings", "baseline-failed"])
def test_a_time_the_floor_cannot_check_says_so(evaluation, baseline, reason):
    """0.01 ms is below the floor, but without a workload or ceilings nothing can show it: the row says why."""
    result = _decided(evaluation, 0.01, baseline)
    assert result.status == "ok" and "impossible" not in result.flags
    assert f"time not checked against the floor: {reason}" in result.message


@pytest.mark.parametrize("device, reported_ms, referee_ms, flagged", [
    ("cpu", 1.55, 3.0, False), ("cpu", 1.45, 3.0, True), ("cpu", 0.25, 1.2, False), ("cpu", 0.15, 1.2, True),
    ("cpu", 0.1, 20.0, True), ("cuda", 1.75, 2.0, False), ("cuda", 1.65, 2.0, True), ("cuda", 0.45, 0.64, False),
    ("cuda", 0.43, 0.64, True)])
def test_reported_time_far_below_the_referee_is_flagged(evaluation, device, reported_ms, referee_ms, flagged):
    """Unreported time allowed per call: the larger of 50% of the referee's time and 1 ms on the CPU,
    of 15% and 0.2 ms on CUDA."""
    evaluation.settings.device = device
    baseline = {"eager": {"median": 1.4}, "workload": asdict(WORK), "ceilings": asdict(CEILINGS)}
    result = _decided(evaluation, reported_ms, baseline, referee_ms)
    assert result.referee_ms == pytest.approx(referee_ms)
    assert ("timing_mismatch" in result.flags) == flagged and ("referee's clock" in result.message) == flagged
    assert math.isnan(result.speedup_eager) == flagged


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_window_within_the_pacing_overhead_leaves_referee_time_unresolved(evaluation, device):
    """A window median below the pacing overhead (0.2 ms) is no negative time: `referee_ms` stays NaN."""
    evaluation.settings.device = device
    baseline = {"eager": {"median": 1.4}, "workload": asdict(WORK), "ceilings": asdict(CEILINGS)}
    result = _decided(evaluation, 0.1, baseline, referee_ms=-0.05)
    assert math.isnan(result.referee_ms) and result.status == "ok" and not result.flags
    assert "time unresolved by the referee's clock: its median window (0.1500 ms)" in result.message


def test_cpp_only_candidate_is_cpu_only(evaluation):
    assert Candidate("cpp_cpu", SOLUTIONS / "cpp_cpu.py").cpu_only
    assert not Candidate("pytorch_reference", SOLUTIONS / "pytorch_reference.py").cpu_only
    cuda = Candidate("cudnn_fused_epilogue", SOLUTIONS / "cudnn_fused_epilogue.py")
    assert cuda.needs_cuda and not cuda.cpu_only
    evaluation.settings.device = "cuda"
    result = evaluation.evaluate(Candidate("cpp_cpu", SOLUTIONS / "cpp_cpu.py"))
    assert result.status == "cpu_only" and "--device cpu" in result.message and "run" not in result.detail


class Opaque(torch.Tensor):
    """Not on torch.load's weights_only allowlist."""


def test_judge_marks_unloadable_outputs_incorrect(evaluation, tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "state_dict.pt").write_bytes(b"not a checkpoint")
    worker.trial_output(workdir, 0).write_bytes(b"not a checkpoint")
    torch.save([torch.zeros(2, 8, 20, 24).as_subclass(Opaque)], worker.trial_output(workdir, 1))
    torch.save({"out": torch.zeros(1)}, worker.trial_output(workdir, 2))
    timed_calls = [asdict(TimedCall(seed=call, window_ms=1.0, checksum=0, kept=call == 5)) for call in range(6)]
    request = evaluation._request("judge", workdir, timed_calls=timed_calls,
                                  tolerances={"fp32": {"atol": 1e-4, "rtol": 1e-4}})
    verdict = worker.judge_stage(request)
    trials = verdict["trials"]
    assert [t["trial"] for t in trials][-1] == "timed call 6/6" and len(trials) == len(evaluation.trials) + 1
    assert all(t["status"] == "incorrect" and t["message"] for t in trials)
    assert "could not be loaded" in trials[1]["message"] and "plain tensors" in trials[2]["message"]
    assert "could not be loaded" in verdict["parameter_message"]


def test_outputs_are_poisoned_in_place():
    """Floating outputs come back NaN (views and expanded views included); integer ones are left as they are."""
    base = torch.ones(4, 6)
    counts = torch.arange(3)
    expanded = torch.ones(1, 3).expand(5, 3)
    worker.poison_storage([base[1:], counts, expanded])
    assert base[1:].isnan().all() and not base[0].isnan().any()
    assert torch.equal(counts, torch.arange(3)) and expanded.isnan().all()
    single = torch.zeros(2)
    worker.poison_storage(single)
    assert single.isnan().all()


@pytest.mark.gpu
def test_gpu_cheats(test_root, tmp_path):
    table, _ = run_all(make_root(tmp_path, test_root, ("side_stream", "uninitialized_output")),
                       tmp_path / "results", "cuda")
    side = table.loc["side_stream"]
    assert "timing_mismatch" in side["flags"].split(";") and "outside the timed stream" in side["message"]
    uninitialized = table.loc["uninitialized_output"]
    assert uninitialized["status"] == "incorrect" and "NaN" in uninitialized["message"]
    assert not row_is_valid(side) and not row_is_valid(uninitialized)
    assert math.isnan(side["speedup_eager"]) and math.isnan(uninitialized["speedup_eager"])
