"""The pipeline for one problem and size set: baseline once, then per candidate
compile -> run -> judge, each stage in its own process, ending in a Result."""
from __future__ import annotations

import contextlib
import datetime
import math
import shutil
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from . import ROOT, roofline
from .candidate import Candidate, compile_env, exclusive_build
from .clock import ClockSampler, clock_summary, gpu_uuid
from .export import ExportError, as_submitted
from .isolation import WorkerOutcome, run_worker
from .problem import Problem
from .record import Result, git_commit, write_record
from .referee import KEPT_CALLS, Referee
from .seeding import trial_plan
from .timing import Measurement, speedup

LOG_CHARS = 20000
# How much of a call the candidate's process may leave out of its reported time, beyond the pacing
# overhead, before it is flagged (a fraction of the referee's time or ms, whichever is larger): the
# spread of that overhead between processes. Honest runs of problem 93 on an H200 left out -0.16 to
# +0.05 ms (kernelbench-v0, 0.08 ms calls) and +0.005 to +0.02 ms (kernelbench-v0.1). On the CPU a
# candidate's own threads slow the harness's work in its process, and on a loaded machine (CI) the whole
# window of a ~0.2 ms call fell 0.23 ms below the overhead the baseline measured, so only gross
# understatements count.
REFEREE_SLACK = {"cuda": (0.15, 0.2), "cpu": (0.5, 1.0)}


@dataclass
class Settings:
    device: str
    dtype: str = "fp32"
    results_dir: Path = Path("results")
    cache_dir: Path = Path(".cache/extensions")
    compile_timeout_s: float = 900.0
    run_timeout_s: float = 600.0
    compile_baseline: bool = True
    timing_trials: int | None = None


class ProblemEvaluation:
    """Evaluates candidates of one problem on one size set; the baseline stage runs once, first."""

    def __init__(self, problem: Problem, set_name: str | None, settings: Settings, root: Path):
        self.problem, self.settings, self.root = problem, settings, root
        self.config = problem.config()
        self.size_set = self.config.size_set(set_name)
        self.trials = trial_plan(self.config, self.size_set)
        self.gpu_present = torch.cuda.is_available()
        self.commit = git_commit(root) or git_commit(ROOT)
        self._baseline: WorkerOutcome | None = None

    def _request(self, mode: str, workdir: Path, **extra) -> dict:
        trials = self.config.trials
        return {"mode": mode, "workdir": str(workdir), "problem": str(self.problem.path),
                "constants": self.size_set.constants, "device": self.settings.device,
                "dtype": self.settings.dtype, "trials": [t.to_json() for t in self.trials],
                "timing_trials": trials.timing if self.settings.timing_trials is None else self.settings.timing_trials,
                "warmup": trials.warmup, **extra}

    def baseline(self) -> WorkerOutcome:
        """Eager and torch.compile timings, workload and device ceilings, from a trusted process."""
        if self._baseline is None:
            workdir = Path(tempfile.mkdtemp(prefix="harness-baseline-"))
            try:
                request = self._request("baseline", workdir, compile_baseline=self.settings.compile_baseline,
                                        ceilings_cache=str(self.settings.results_dir / "device_ceilings.json"))
                referee = Referee(request["warmup"] + request["timing_trials"])
                with self._clock_sampler(workdir / "baseline_clock.csv") as clock:
                    self._baseline = run_worker(request, workdir, self.settings.run_timeout_s, referee=referee)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            eager = self._baseline.payload.get("eager")
            if eager and referee.complete:
                # eager reports its times honestly: what its windows hold beyond them is the pacing itself
                self._baseline.payload["pacing_overhead_ms"] = beyond_reported_ms(referee.log, eager["times"])
                if clock is not None:
                    self._baseline.payload["eager_sm_clock"] = clock_summary(
                        clock, call_windows(referee.log[-len(eager["times"]):]))
            if self._baseline.payload.get("ceilings_measured"):
                roofline.save_ceilings(self.settings.results_dir / "device_ceilings.json",
                                       roofline.DeviceCeilings(**self._baseline.payload["ceilings"]))
        return self._baseline

    def _clock_sampler(self, log_path: Path):
        """A ClockSampler of this evaluation's GPU, as a context; None in its place when not on a GPU."""
        if self.settings.device != "cuda" or not self.gpu_present:
            return contextlib.nullcontext(None)
        try:
            gpu = gpu_uuid()
        except Exception as exc:  # noqa: BLE001  no clock then; the times still stand
            sampler = ClockSampler("", log_path)
            sampler.error = f"no id for the GPU: {type(exc).__name__}: {exc}"
            return sampler
        return ClockSampler(gpu, log_path)

    @property
    def device_label(self) -> str:
        """The leaderboard's device column: the GPU's name, so skipped and evaluated rows share it."""
        if self.settings.device == "cuda" and self.gpu_present:
            return torch.cuda.get_device_name()
        return self.settings.device

    def evaluate(self, candidate: Candidate, on_stage=lambda stage: None) -> Result:
        result = Result(problem=self.problem.name, config=self.size_set.name, solution=candidate.name,
                        device=self.device_label, dtype=self.settings.dtype, status="pending",
                        torch_version=torch.__version__, git_commit=self.commit,
                        timestamp=datetime.datetime.now().astimezone().isoformat(timespec="seconds"))
        result.detail["candidate"] = {"path": str(candidate.path), "kind": candidate.kind}
        if candidate.needs_cuda and self.settings.device != "cuda":
            result.status = "needs_cuda"
            result.message = ("CUDA source: needs a GPU, and this machine has none" if not self.gpu_present
                              else "CUDA source: skipped with --device cpu")
            return self._finish(result)
        if candidate.cpu_only and self.settings.device == "cuda":
            result.status = "cpu_only"
            result.message = ("C++-only extension (cpp_sources, no cuda_sources): its kernels take CPU tensors, "
                              "not CUDA ones; evaluate it with --device cpu")
            return self._finish(result)
        try:
            candidate = as_submitted(candidate, self.settings.cache_dir / "exports")
        except ExportError as exc:   # this candidate cannot be submitted; the others still run
            result.status, result.message = "compile_error", f"export: {exc}"
            return self._finish(result)
        result.detail["candidate"]["evaluated"] = str(candidate.path)
        on_stage("baseline")
        baseline = self.baseline()
        with tempfile.TemporaryDirectory(prefix="harness-", dir=self._scratch_dir(baseline)) as tmp:
            self._run_candidate(candidate, Path(tmp), baseline, result, on_stage)
        return self._finish(result)

    def _scratch_dir(self, baseline: WorkerOutcome) -> str | None:
        """/dev/shm when it has room for the output of every trial and kept timed call (twice over),
        else the default temp dir."""
        output_bytes = baseline.payload.get("workload", {}).get("output_bytes", 0)
        shm = Path("/dev/shm")
        if shm.is_dir() and shutil.disk_usage(shm).free > 2 * output_bytes * (len(self.trials) + KEPT_CALLS + 1):
            return str(shm)
        return None

    def _run_candidate(self, candidate, workdir, baseline, result, on_stage) -> None:
        env = compile_env(candidate, self.settings.cache_dir, self.gpu_present)
        result.detail["build_dir"] = env["TORCH_EXTENSIONS_DIR"]
        on_stage("compile")
        stage = compile_candidate(candidate, workdir, self.settings.compile_timeout_s, env,
                                  self.problem.path, self.size_set.constants)
        self._keep(result, "compile", stage, workdir)
        if stage.status != "ok":
            result.status, result.message = stage.status, _stage_message("compile", stage)
            return
        on_stage("run")
        output_bytes = baseline.payload.get("workload", {}).get("output_bytes", 0)
        request = self._request("run", workdir, candidate=str(candidate.path), poison_bytes=2 * output_bytes)
        referee = Referee(request["warmup"] + request["timing_trials"])
        with self._clock_sampler(workdir / "run_clock.csv") as clock:
            stage = run_worker(request, workdir, self.settings.run_timeout_s, env, referee=referee)
        if clock is not None and referee.complete:   # a stage cut short has no timed calls to give a clock
            result.detail["sm_clock"] = clock_summary(clock, call_windows(referee.log[-request["timing_trials"]:]))
            result.sm_mhz = result.detail["sm_clock"].get("median_mhz", math.nan)
        self._keep(result, "run", stage, workdir)
        if stage.status != "ok":
            result.status, result.message = stage.status, _stage_message("run", stage)
            return
        run = stage.payload
        malformed = malformed_run_payload(run, request["timing_trials"])
        if not malformed and not referee.complete:
            malformed = f"{len(referee.log)} of {referee.calls} timed calls went through the referee"
        if malformed:
            result.status, result.message = "runtime_error", f"run: malformed result ({malformed})"
            return
        on_stage("judge")
        stage = run_worker(self._request("judge", workdir, timed_calls=[asdict(c) for c in referee.log],
                                         tolerances={k: asdict(v) for k, v in self.config.tolerances.items()}),
                           workdir, self.settings.run_timeout_s)
        self._keep(result, "judge", stage, workdir)
        if stage.status != "ok":
            result.status, result.message = "runtime_error", "judge failed: " + _stage_message("judge", stage)
            return
        self._decide(result, run, stage.payload, baseline.payload, referee.log)

    def _decide(self, result: Result, run: dict, verdict: dict, baseline: dict, timed_calls: list) -> None:
        trials = verdict["trials"]
        result.detail["verdict"] = verdict
        result.degenerate = bool(verdict["degenerate"])
        errors = [t for t in trials if not math.isnan(t.get("max_abs_err", math.nan))]
        for name in ("max_abs_err", "max_rel_err", "max_abs_err_fp64", "max_rel_err_fp64"):
            setattr(result, name, max((t[name] for t in errors), default=math.nan))
        failed = [t for t in trials if t["status"] != "ok"]
        if verdict["parameter_message"]:
            result.flags.append("param_mismatch")
        if result.degenerate:
            result.flags.append("degenerate")
        if run["inputs_modified"]:
            result.flags.append("inputs_modified")
        if run["torch_patched"]:
            result.flags.append("torch_patched")
            result.status = "tampered"
            result.message = f"candidate replaced torch/time functions: {', '.join(run['torch_patched'])}"
        elif failed:
            result.status = failed[0]["status"]
            result.message = f"{failed[0]['trial']}: {failed[0]['message']}"
        elif run["inputs_modified"]:
            result.status = "incorrect"
            result.message = f"candidate modified its inputs in: {', '.join(run['inputs_modified'])}"
        else:
            result.status, result.correct = "ok", True
        messages = [result.message, verdict["parameter_message"]]

        measurement = Measurement(**run["measurement"])
        result.median_ms = measurement.median
        if measurement.timing_mismatch:
            result.flags.append("timing_mismatch")
            messages.append(f"event median {measurement.median:.4f} ms is far below the host median "
                            f"{measurement.host_median:.4f} ms: work may run outside the timed stream")
        messages.append(self._check_against_referee(result, measurement, timed_calls, baseline))
        result.eager_ms = baseline.get("eager", {}).get("median", math.nan)
        result.compile_ms = baseline.get("compiled", {}).get("median", math.nan)
        result.speedup_eager = speedup(result.eager_ms, result.median_ms)
        result.speedup_compile = speedup(result.compile_ms, result.median_ms)
        unchecked = floor_unavailable(baseline)
        if unchecked:
            messages.append(f"time not checked against the floor: {unchecked}")
        else:
            work = roofline.Workload(**baseline["workload"])
            ceilings = roofline.DeviceCeilings(**baseline["ceilings"])
            result.floor_ms = roofline.floor_ms(work, ceilings, verdict["precision"])
            result.pct_of_floor = 100 * result.floor_ms / result.median_ms if result.median_ms > 0 else math.nan
            reason = roofline.impossible_reason(result.median_ms, work, ceilings)
            if reason:
                result.flags.append("impossible")
                if result.status == "ok":
                    result.status, result.correct = "impossible", False
                messages.insert(0, reason)
        if result.status != "ok" or result.flags:
            result.speedup_eager = result.speedup_compile = math.nan  # only a result that counts has one
        result.message = "; ".join(m for m in messages if m)
        result.detail["measurement"] = asdict(measurement)

    def _check_against_referee(self, result: Result, measurement: Measurement, timed_calls: list,
                               baseline: dict) -> str:
        """Set `referee_ms` (the referee's median window less the pacing overhead eager showed in the
        baseline; NaN when the window does not exceed that overhead) and flag `timing_mismatch` when the
        candidate's reported times leave out too much of the referee's windows, call by call; the message."""
        window_median = statistics.median(call.window_ms for call in timed_calls[-len(measurement.times):])
        result.detail["referee"] = {"window_median_ms": window_median,
                                    "pacing_overhead_ms": baseline.get("pacing_overhead_ms"),
                                    "kept_calls": [i for i, call in enumerate(timed_calls) if call.kept]}
        if "pacing_overhead_ms" not in baseline:
            return "time not checked against the referee's clock: the baseline has no pacing overhead"
        overhead = baseline["pacing_overhead_ms"]
        unreported = beyond_reported_ms(timed_calls, measurement.times) - overhead
        result.detail["referee"]["unreported_ms"] = unreported
        fraction, slack_ms = REFEREE_SLACK[self.settings.device]
        if window_median > overhead:
            result.referee_ms = window_median - overhead
            allowed_ms, note = max(fraction * result.referee_ms, slack_ms), ""
        else:   # calls shorter than the overhead's spread between processes: no time to give
            allowed_ms = slack_ms
            note = (f"time unresolved by the referee's clock: its median window ({window_median:.4f} ms) does not "
                    f"exceed the pacing overhead the baseline measured ({overhead:.4f} ms)")
        if unreported <= allowed_ms:
            return note
        if "timing_mismatch" not in result.flags:
            result.flags.append("timing_mismatch")
        return (f"the candidate's process reported {measurement.median:.4f} ms per call; the referee's clock "
                f"outside it measured {result.referee_ms:.4f} ms ({unreported:.4f} ms per call unreported)")

    def _keep(self, result: Result, name: str, stage: WorkerOutcome, workdir: Path) -> None:
        entry = asdict(stage)
        entry.pop("payload")
        entry["traceback"] = stage.payload.get("traceback", "")
        if name in ("compile", "run"):
            log = workdir / "compile.log"
            entry["compiler_output"] = log.read_text(errors="replace")[-LOG_CHARS:] if log.is_file() else ""
            log.unlink(missing_ok=True)
        result.detail[name] = entry

    def _finish(self, result: Result) -> Result:
        if self._baseline is not None:
            payload = self._baseline.payload
            result.detail["baseline"] = {k: payload.get(k) for k in
                                         ("eager", "compiled", "compile_error", "workload", "workload_error",
                                          "ceilings", "eager_sm_clock", "message")}
        write_record(result, self.settings.results_dir / "runs")
        return result


def compile_candidate(candidate: Candidate, workdir: Path, timeout_s: float, env: dict,
                      problem_path: Path | None = None, constants: dict | None = None) -> WorkerOutcome:
    """The compile stage alone: import the candidate in a worker (and construct ModelNew on the CPU
    when the problem is given), building its extensions into env's TORCH_EXTENSIONS_DIR; needs no
    GPU. Compiler output lands in workdir/compile.log."""
    request = {"mode": "compile", "workdir": str(workdir), "candidate": str(candidate.path),
               "problem": str(problem_path) if problem_path else None, "constants": constants or {}}
    start = time.monotonic()
    with exclusive_build(Path(env["TORCH_EXTENSIONS_DIR"]), timeout_s) as held:
        if not held:
            return WorkerOutcome(status="timeout", elapsed_s=time.monotonic() - start, message=(
                f"compile stage waited {timeout_s:g} s for another evaluation building the same candidate "
                f"into {env['TORCH_EXTENSIONS_DIR']}"))
        return run_worker(request, workdir, timeout_s - (time.monotonic() - start), env)


def beyond_reported_ms(timed_calls: list, times: list) -> float:
    """The median, over the timed (not warm-up) calls, of the referee's window less the time the
    process reported for the call."""
    return statistics.median(call.window_ms - t for call, t in zip(timed_calls[-len(times):], times))


def call_windows(timed_calls: list) -> list[tuple[float, float]]:
    """The referee's windows of `timed_calls` as (start, end) epoch seconds."""
    return [(call.start_s, call.start_s + call.window_ms / 1e3) for call in timed_calls]


def floor_unavailable(baseline: dict) -> str:
    """Why the baseline stage left no floor to check a time against; '' when it did."""
    if "workload" not in baseline:
        return "workload not counted (" + baseline.get("workload_error", baseline.get("message", "baseline failed")) + ")"
    if "ceilings" not in baseline:
        return "device ceilings not measured (" + baseline.get("ceilings_error", "baseline failed") + ")"
    return ""


def malformed_run_payload(run: dict, timing_trials: int) -> str:
    """Why the run stage's result, which the candidate's process writes, cannot be used; '' when it can."""
    for key in ("inputs_modified", "torch_patched"):
        if not (isinstance(run.get(key), list) and all(isinstance(name, str) for name in run[key])):
            return f"{key} is not a list of names"
    try:
        measurement = Measurement(**run["measurement"])
    except (KeyError, TypeError) as exc:
        return f"measurement: {type(exc).__name__}: {exc}"
    numbers = [measurement.median, measurement.mean, measurement.std, measurement.min, measurement.max,
               measurement.host_median, measurement.empty_call_ms, measurement.n]
    if not all(type(v) in (int, float) for v in numbers) or type(measurement.times) is not list:
        return "measurement fields are not numbers"
    if len(measurement.times) != timing_trials or not all(type(t) in (int, float) for t in measurement.times):
        return f"measurement times are not {timing_trials} numbers"
    if not all(math.isfinite(v) and v >= 0 for v in numbers + measurement.times):
        return "measurement has a negative or non-finite time"
    return ""


def _stage_message(name: str, stage: WorkerOutcome) -> str:
    if stage.status == "compile_error":
        lines = [line for line in stage.message.splitlines() if line.strip()]
        return f"{name}: " + (lines[0] if lines else "failed")[:500]
    return f"{name}: {stage.message}"[:1000]
