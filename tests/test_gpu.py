"""On a CUDA GPU: the full pipeline with CUDA candidates, poisoning, side streams, baselines and the floor."""
import json
import math
import shutil

import pytest

from conftest import PROBLEM
from harness.candidate import find_candidate, solutions_dir
from harness.evaluate import ProblemEvaluation, Settings
from harness.problem import find_problem

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def evaluation(test_root, tmp_path_factory):
    settings = Settings(device="cuda", results_dir=tmp_path_factory.mktemp("results"),
                        cache_dir=tmp_path_factory.mktemp("cache"), compile_timeout_s=600, run_timeout_s=300)
    return ProblemEvaluation(find_problem(PROBLEM, test_root), "small", settings, test_root)


def evaluate(evaluation, name):
    return evaluation.evaluate(find_candidate(name, solutions_dir(evaluation.root, evaluation.problem.name)))


@pytest.mark.parametrize("name, status, flag", [
    ("good_pytorch", "ok", None),
    ("cuda_epilogue", "ok", None),
    ("unwritten_output", "incorrect", None),
    ("illegal_access", "crash", None),
    ("raises", "runtime_error", None),
    ("side_stream", None, "timing_mismatch"),
])
def test_cuda_candidate(evaluation, name, status, flag):
    result = evaluate(evaluation, name)
    if status:
        assert result.status == status, result.message
    if flag:
        assert flag in result.flags, result.message
    elif status == "ok":   # an honest candidate: the referee's clock agrees with the times it reported
        assert "timing_mismatch" not in result.flags, result.message
        assert result.referee_ms > 0 or "time unresolved by the referee's clock" in result.message
    if name == "unwritten_output":
        assert "NaN" in result.message


def test_baselines_floor_and_ceilings(evaluation):
    result = evaluate(evaluation, "good_pytorch")
    assert result.eager_ms > 0 and result.compile_ms > 0, result.detail["baseline"].get("compile_error")
    assert result.floor_ms > 0 and 0 < result.pct_of_floor <= 100
    assert result.detail["verdict"]["precision"] == "tf32"
    ceilings = json.loads((evaluation.settings.results_dir / "device_ceilings.json").read_text())
    assert len(ceilings) == 1 and not math.isnan(next(iter(ceilings.values()))["copy_gbps"])


@pytest.mark.skipif(shutil.which("nvidia-smi") is None, reason="the SM clock is sampled with nvidia-smi")
def test_result_records_the_sm_clock_of_the_timed_calls(evaluation):
    result = evaluate(evaluation, "good_pytorch")
    clock, eager_clock = result.detail["sm_clock"], result.detail["baseline"]["eager_sm_clock"]
    assert clock.get("calls_sampled", 0) > 0 and eager_clock.get("calls_sampled", 0) > 0, (clock, eager_clock)
    assert 100 <= clock["min_mhz"] <= result.sm_mhz <= clock["max_mhz"] < 5000
