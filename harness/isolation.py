"""Run one worker stage in its own process group, with a timeout, and classify how it ended."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import ROOT
from .referee import Referee

TAIL_CHARS = 8000
# What a worker may report as its status; anything else in a result file is malformed.
WORKER_STATUSES = {"ok", "compile_error", "runtime_error", "oom", "crash", "invalid_output"}


@dataclass
class WorkerOutcome:
    """How a worker process ended. `status` is the worker's own when it wrote a result,
    else `timeout` or `crash` (or `runtime_error` for an exit without a result)."""

    status: str
    message: str = ""
    returncode: int | None = None
    elapsed_s: float = 0.0
    stdout_tail: str = ""
    stderr_tail: str = ""
    payload: dict = field(default_factory=dict)


def run_worker(request: dict, workdir: Path, timeout_s: float, env: dict | None = None,
               referee: Referee | None = None) -> WorkerOutcome:
    """Write `request` to `workdir`, run `python -m harness.worker` on it and read `result.json` back.
    With a `referee`, the worker gets its socket and the referee paces the worker's timed calls."""
    workdir.mkdir(parents=True, exist_ok=True)
    stage = request["mode"]
    if referee is not None:
        request = {**request, "referee_fd": referee.worker_fd}
    request_path = workdir / f"{stage}_request.json"
    result_path = workdir / f"{stage}_result.json"
    result_path.unlink(missing_ok=True)
    request_path.write_text(json.dumps({**request, "result_path": str(result_path)}))
    env = dict(env or os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONFAULTHANDLER", "1")
    stdout_path, stderr_path = workdir / f"{stage}.stdout", workdir / f"{stage}.stderr"
    start = time.monotonic()
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "harness.worker", str(request_path)],
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                   cwd=str(ROOT), start_new_session=True,
                                   pass_fds=(referee.worker_fd,) if referee else ())
        if referee is not None:
            referee.close_worker_end()
            referee.start()
        try:
            returncode = process.wait(timeout=timeout_s)
            timed_out = False
        except subprocess.TimeoutExpired:
            returncode, timed_out = None, True
        finally:
            _kill_group(process)
            if referee is not None:
                referee.finish()
    outcome = WorkerOutcome(status="ok", returncode=returncode, elapsed_s=time.monotonic() - start,
                            stdout_tail=_tail(stdout_path), stderr_tail=_tail(stderr_path))
    if timed_out:
        outcome.status, outcome.message = "timeout", f"{stage} stage exceeded {timeout_s:g} s; process group killed"
        return outcome
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = " (possibly the out-of-memory killer)" if name == "SIGKILL" else ""
        outcome.status, outcome.message = "crash", f"{stage} stage killed by {name}{hint}"
        return outcome
    if not result_path.is_file():
        outcome.status = "runtime_error"
        outcome.message = f"{stage} stage exited with code {returncode} without writing a result"
        return outcome
    try:
        payload = json.loads(result_path.read_text())
    except (UnicodeDecodeError, ValueError):
        payload = None
    if not isinstance(payload, dict) or payload.get("status") not in WORKER_STATUSES:
        outcome.status = "runtime_error"
        outcome.message = f"{stage} stage wrote a malformed result (not a worker's status record)"
        return outcome
    outcome.payload = payload
    outcome.status = payload["status"]
    outcome.message = str(payload.get("message", ""))
    return outcome


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the worker and anything it left behind; it leads its own process group."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _tail(path: Path) -> str:
    data = path.read_bytes()
    return data[-TAIL_CHARS:].decode(errors="replace")
