"""The failure-log plugin writes a failing test's report while the session still runs."""
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_failure_is_logged_before_the_session_ends(tmp_path):
    (tmp_path / "test_probe.py").write_text(
        "import os, pathlib\n"
        "def test_fails():\n    assert 1 == 2, 'the probe failed'\n"
        "def test_sees_the_log():\n"
        "    assert 'the probe failed' in pathlib.Path(os.environ['HARNESS_TEST_FAILURE_LOG']).read_text()\n"
        "def test_passes():\n    pass\n")
    log = tmp_path / "failures.txt"
    env = {**os.environ, "HARNESS_TEST_FAILURE_LOG": str(log),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "failure_log", "-p", "no:cacheprovider",
                           str(tmp_path / "test_probe.py")], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert "1 failed, 2 passed" in proc.stdout, proc.stdout + proc.stderr
    text = log.read_text()
    assert "test_probe.py::test_fails (call)" in text and "the probe failed" in text
    assert "test_passes" not in text and "test_sees_the_log" not in text
