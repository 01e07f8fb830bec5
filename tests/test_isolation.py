"""Each misbehaving candidate becomes a recorded status, in its own process, and the run goes on."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import PROBLEM, REPO
from harness.candidate import Candidate, find_candidate, find_candidates, solutions_dir
from harness.errors import HarnessError
from harness.evaluate import ProblemEvaluation, Settings
from harness.problem import find_problem
from harness.referee import KEPT_CALLS

RUN_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def evaluation(test_root, tmp_path_factory):
    settings = Settings(device="cpu", results_dir=tmp_path_factory.mktemp("results"),
                        cache_dir=tmp_path_factory.mktemp("cache"), compile_timeout_s=60,
                        run_timeout_s=RUN_TIMEOUT_S, compile_baseline=False)
    return ProblemEvaluation(find_problem(PROBLEM, test_root), "small", settings, test_root)


def evaluate(evaluation, name):
    directory = solutions_dir(evaluation.root, evaluation.problem.name)
    return evaluation.evaluate(find_candidate(name, directory))


@pytest.mark.parametrize("name, status, flag", [
    ("good_pytorch", "ok", None),
    ("raises", "runtime_error", None),
    ("aborts", "crash", None),
    ("segfaults", "crash", None),
    ("import_error", "compile_error", None),
    ("wrong_shape", "shape_mismatch", None),
    ("wrong_dtype", "dtype_mismatch", None),
    ("wrong_values", "incorrect", None),
    ("nan_output", "incorrect", None),
    ("modifies_input", "incorrect", "inputs_modified"),
    ("patches_torch", "tampered", "torch_patched"),
    ("different_init", "incorrect", "param_mismatch"),
    ("cuda_epilogue", "needs_cuda", None),
    ("writes_result", "runtime_error", None),
    ("writes_garbage_result", "runtime_error", None),
])
def test_candidate_status(evaluation, name, status, flag):
    result = evaluate(evaluation, name)
    assert result.status == status, result.message
    assert result.correct is (status == "ok")
    if flag:
        assert flag in result.flags
    record = json.loads(open(result.record).read())
    assert record["status"] == status and record["solution"] == name


def test_file_and_directory_solutions_with_one_name_are_an_error(tmp_path):
    (tmp_path / "foo.py").write_text("class ModelNew:\n    pass\n")
    (tmp_path / "foo").mkdir()
    (tmp_path / "foo" / "model_new.py").write_text("class ModelNew:\n    pass\n")
    with pytest.raises(HarnessError, match="share the name 'foo'"):
        find_candidates(tmp_path)


def test_good_candidate_record_has_detail(evaluation):
    result = evaluate(evaluation, "good_pytorch")
    detail = result.detail
    names = [t["trial"] for t in detail["verdict"]["trials"]]
    kept = detail["referee"]["kept_calls"]   # of 6 timed calls (1 warm-up): the last and KEPT_CALLS others
    assert len(kept) == KEPT_CALLS + 1 and kept[-1] == 5
    # 5 get_inputs() trials, 2 extra distributions, then the kept timed calls
    assert names[7:] == [f"timed call {call + 1}/6" for call in kept] and len(names) == 7 + len(kept)
    assert detail["verdict"]["degenerate_get_inputs"] and not result.degenerate
    assert detail["measurement"]["n"] == 5 and result.median_ms > 0 and result.speedup_eager > 0
    # a 0.2 ms call on a loaded CPU can fall within the pacing overhead's spread: then the row says so
    assert result.referee_ms > 0 or "time unresolved by the referee's clock" in result.message
    assert "timing_mismatch" not in result.flags
    assert result.max_abs_err <= 1e-4


def test_crash_message_names_the_signal(evaluation):
    assert "SIGABRT" in evaluate(evaluation, "aborts").message
    assert "SIGSEGV" in evaluate(evaluation, "segfaults").message


def test_hang_is_killed_with_its_process_group(evaluation, tmp_path):
    marker = f"time.sleep(3600)"
    started = time.monotonic()
    result = evaluate(evaluation, "hangs")
    assert result.status == "timeout" and "run stage" in result.message
    assert time.monotonic() - started < RUN_TIMEOUT_S + 30
    leftover = [pid for pid in _pids() if _cmdline(pid).endswith(marker)]
    assert not leftover, "the hanging candidate's child outlived the timeout"


def test_sigterm_to_the_cli_kills_the_running_worker(test_root, tmp_path):
    """`timeout` and schedulers send SIGTERM; the worker, which leads its own session, must not outlive run.py."""
    cli = subprocess.Popen([sys.executable, str(REPO / "run.py"), "eval", "hangs", "--problem", PROBLEM,
                            "--root", str(test_root), "--device", "cpu", "--no-compile-baseline",
                            "--run-timeout", "600", "--results-dir", str(tmp_path)],
                           cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline, session = time.monotonic() + 120, None
        while session is None and time.monotonic() < deadline:
            # this run's: the session's leader is the worker, a child of run.py
            session = next((_session(pid) for pid in _pids() if _cmdline(pid).endswith("time.sleep(3600)")
                            and _parent(_session(pid)) == cli.pid), None)
            time.sleep(0.2)
        assert session is not None, "the hanging candidate never started"
        cli.send_signal(signal.SIGTERM)
        returncode = cli.wait(timeout=30)
        deadline = time.monotonic() + 10
        while [pid for pid in _pids() if _session(pid) == session] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in _pids() if _session(pid) == session], "the worker's session outlived run.py"
        assert returncode == 128 + signal.SIGTERM
    finally:
        cli.kill()
        cli.wait()


def test_stderr_and_traceback_are_recorded(evaluation):
    result = evaluate(evaluation, "raises")
    assert "deliberate failure in forward" in result.message
    assert "deliberate failure in forward" in result.detail["run"]["traceback"]


def test_directory_solution_is_a_candidate(tmp_path):
    (tmp_path / "dir_solution").mkdir()
    (tmp_path / "dir_solution" / "model_new.py").write_text("class ModelNew:\n    pass\n")
    (tmp_path / "helper.py").write_text("x = 1\n")
    found = find_candidates(tmp_path)
    assert found == [Candidate("dir_solution", (tmp_path / "dir_solution" / "model_new.py").resolve(), "directory")]


def _pids():
    return [pid for pid in os.listdir("/proc") if pid.isdigit()]


def _session(pid):
    """The process's session id, or None once it is gone."""
    try:
        return os.getsid(int(pid))
    except OSError:
        return None


def _parent(pid):
    """The parent's pid, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""
