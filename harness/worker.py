"""Worker process: `python -m harness.worker REQUEST.json`, one stage per process.

Stages: `compile` (import the candidate, building its extensions), `run` (the untrusted candidate:
produce outputs, state_dict and timings only), `judge` (trusted: imports only the problem, recomputes
the references from the same seeds and decides), `baseline` (trusted: times eager and torch.compile,
counts the workload, measures device ceilings).
"""
# The timing module and the references below are bound before any candidate code is imported.
from harness import timing  # noqa: I001  (must come first)

import contextlib
import importlib.util
import inspect
import json
import math
import os
import sys
import time
import traceback
import types
from dataclasses import asdict
from pathlib import Path

import torch

_save = torch.save
_load = torch.load
_synchronize = torch.cuda.synchronize
_equal = torch.equal
_clone = torch.Tensor.clone
_fill = torch.Tensor.fill_
_is_floating_point = torch.Tensor.is_floating_point

WATCHED_MODULES = {"torch": torch, "torch.nn.functional": torch.nn.functional, "torch.cuda": torch.cuda,
                   "time": time}
WATCHED_CLASSES = {"torch.Tensor": torch.Tensor, "torch.nn.Module": torch.nn.Module,
                   "torch.cuda.Event": torch.cuda.Event}
POISON_MIN_BYTES = 64 * 1024 * 1024
SMALL_POOL_BLOCK = 1024 * 1024
SMALL_POOL_BLOCKS = 16


class InvalidOutput(TypeError):
    """A forward result that is not a plain torch.Tensor (or a plain tuple or list of them)."""


def snapshot_identities() -> dict:
    """The public functions and classes of torch, torch.nn.functional, torch.cuda and time, and the
    attributes (methods, dunders included) of Tensor, Module and cuda.Event, by dotted name."""
    found = {}
    for prefix, module in WATCHED_MODULES.items():
        for name, obj in list(vars(module).items()):
            if not name.startswith("_") and callable(obj) and not isinstance(obj, types.ModuleType):
                found[f"{prefix}.{name}"] = obj
    for prefix, cls in WATCHED_CLASSES.items():
        for name in dir(cls):
            if not name.startswith("_") or name.startswith("__"):
                found[f"{prefix}.{name}"] = inspect.getattr_static(cls, name)
    return found


def changed_identities(snapshot: dict) -> list:
    """Names in `snapshot` now bound to another object, or deleted."""
    now = snapshot_identities()
    return [name for name, obj in snapshot.items() if now.get(name) is not obj]


@contextlib.contextmanager
def captured_output(path: Path):
    """Send file descriptors 1 and 2 (compiler and ninja output included) to `path`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "ab") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def classify(exc: BaseException) -> str:
    if isinstance(exc, InvalidOutput):
        return "invalid_output"
    text = str(exc).lower()
    if isinstance(exc, (torch.cuda.OutOfMemoryError, MemoryError)) or "out of memory" in text:
        return "oom"
    if any(s in text for s in ("illegal memory access", "misaligned address", "device-side assert",
                               "unspecified launch failure", "illegal instruction")):
        return "crash"
    return "runtime_error"


def failure(status: str, exc: BaseException, **extra) -> dict:
    return {"status": status, "message": f"{type(exc).__name__}: {str(exc).strip()[:2000]}",
            "traceback": traceback.format_exc()[-6000:], **extra}


def import_candidate(path: str):
    directory = str(Path(path).parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(f"candidate_{Path(path).parent.name}_{Path(path).stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not isinstance(getattr(module, "ModelNew", None), type):
        raise AttributeError(f"{Path(path).name} defines no class ModelNew")
    return module


def compile_stage(request: dict) -> dict:
    """Import the candidate, then construct ModelNew on the CPU (for extensions built lazily in
    __init__). A construction failure is left for the run stage to report."""
    from harness.problem import load_module
    from harness.seeding import MODEL_SEED

    log = Path(request["workdir"]) / "compile.log"
    try:
        with captured_output(log):
            module = import_candidate(request["candidate"])
    except BaseException as exc:  # noqa: BLE001  any failure at import is the candidate's compile error
        return failure("compile_error", exc)
    result = {"status": "ok"}
    if request.get("problem"):
        try:
            with captured_output(log):
                init_inputs = load_module(request["problem"], request["constants"]).get_init_inputs()
                torch.manual_seed(MODEL_SEED)
                module.ModelNew(*init_inputs)
        except BaseException as exc:  # noqa: BLE001
            if "Error building extension" in str(exc):
                return failure("compile_error", exc)
            result["construct_error"] = f"{type(exc).__name__}: {str(exc).strip()[:2000]}"
    return result


def run_stage(request: dict) -> dict:
    """The untrusted side: build ModelNew, save one output file per trial, the state_dict and timings.

    Timing runs on the first trial's inputs under the same grad mode as the trials. Every call
    (warm-up included) is paced by the referee in the parent process: its inputs' values are
    rescaled element-wise by a seed the referee sends when the call starts (perturb_inputs), and its
    output is committed by a checksum before the referee says whether to keep it; kept outputs are
    saved for the judge. torch and time are checked for replaced functions after the trials and
    again after timing."""
    from harness.problem import load_module
    from harness.seeding import Trial, apply_precision_mode, build_model, make_inputs

    apply_precision_mode(request["dtype"])
    device, dtype, workdir = request["device"], request["dtype"], Path(request["workdir"])
    problem = load_module(request["problem"], request["constants"])
    init_inputs = problem.get_init_inputs()
    trials = [Trial.from_json(t) for t in request["trials"]]
    identities = snapshot_identities()
    try:
        with captured_output(workdir / "compile.log"):
            module = import_candidate(request["candidate"])
    except BaseException as exc:  # noqa: BLE001
        return failure("compile_error", exc)
    result = {"status": "ok", "inputs_modified": [], "torch_patched": []}
    try:
        model = build_model(module.ModelNew, init_inputs, device, dtype)
        _save({k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()},
              workdir / "state_dict.pt")
        with torch.no_grad():
            poison_storage(model(*make_inputs(problem, trials[0], device, dtype)))
            for index, trial in enumerate(trials):
                inputs = make_inputs(problem, trial, device, dtype)
                originals = copies(inputs)
                poison_allocator(device, request["poison_bytes"])
                output = model(*inputs)
                save_outputs(output, device, trial_output(workdir, index))
                if not all(_same_bits(a, b) for a, b in zip(inputs, originals)):
                    result["inputs_modified"].append(trial.name)
                poison_storage(output)
                del output
            patched = changed_identities(identities)
            measurement = paced_bench(model, make_inputs(problem, trials[0], device, dtype), request, workdir)
        result["measurement"] = asdict(measurement)
    except BaseException as exc:  # noqa: BLE001
        return failure(classify(exc), exc)
    result["torch_patched"] = patched + [n for n in changed_identities(identities) if n not in patched]
    return result


def paced_bench(model, inputs: list, request: dict, workdir: Path | None = None) -> timing.Measurement:
    """do_bench of `model(*inputs)` with each call paced by the referee: fresh input values from its
    seed before the call, the output's checksum committed after it, and (with a `workdir`) kept
    outputs saved as `timed_output(workdir, call)`."""
    from harness.referee import Checksum, RefereeClient
    from harness.seeding import perturb_inputs

    device, referee, checksum = request["device"], RefereeClient(request["referee_fd"]), Checksum()
    base = copies(inputs)
    last, calls = [None], [0]

    def fresh_values():
        perturb_inputs(inputs, base, referee.start_call())

    def timed_call():
        last[0] = model(*inputs)

    def commit():
        outputs = plain_outputs(last[0])
        if referee.commit(checksum(outputs)) and workdir is not None:
            save_outputs(outputs, device, timed_output(workdir, calls[0]))
        calls[0] += 1

    return timing.do_bench(timed_call, device=device, trials=request["timing_trials"],
                           warmup=request["warmup"], setup=fresh_values, teardown=commit)


def copies(inputs: list) -> list:
    """`inputs` with every tensor cloned (through the clone bound before the candidate was imported)."""
    return [_clone(x) if isinstance(x, torch.Tensor) else x for x in inputs]


def plain_outputs(output) -> list:
    """A forward's result as a list of plain tensors, else InvalidOutput. Checked with type() only,
    so no method a subclass could override is called."""
    values = list(output) if type(output) in (tuple, list) else [output]
    for index, value in enumerate(values):
        if type(value) is not torch.Tensor:
            raise InvalidOutput(f"output {index} is a {type(value).__name__}, not a plain torch.Tensor "
                                "(tensor subclasses and other objects are rejected)")
    return values


def save_outputs(output, device: str, path: Path) -> None:
    outputs = plain_outputs(output)
    if device == "cuda":
        _synchronize()
    _save([o.detach().to("cpu", copy=True) for o in outputs], path)


def trial_output(workdir: Path, index: int) -> Path:
    """Where the run stage saves a trial's outputs and the judge reads them (never from the payload)."""
    return workdir / f"trial_{index}.pt"


def timed_output(workdir: Path, call: int) -> Path:
    """Where the run stage saves the output of a timed call the referee kept (0-based, warm-up included)."""
    return workdir / f"timed_{call}.pt"


def timed_trial_name(call: int, calls: int) -> str:
    return f"timed call {call + 1}/{calls}"


def poison_allocator(device: str, nbytes: int) -> None:
    """Fill freed blocks of the caching allocator with NaN, so unwritten outputs read as NaN:
    one large block for the large pool, and 1 MB blocks for the small pool (allocations <= 1 MB)."""
    if device != "cuda":
        return
    free, _ = torch.cuda.mem_get_info()
    blocks = [torch.empty(min(max(nbytes, POISON_MIN_BYTES), free // 2) // 4, device="cuda")]
    blocks += [torch.empty(SMALL_POOL_BLOCK // 4, device="cuda") for _ in range(SMALL_POOL_BLOCKS)]
    for block in blocks:
        block.fill_(math.nan)
    del blocks


def poison_storage(output) -> None:
    """Fill a forward's floating-point outputs with NaN in place. A candidate that keeps its outputs in memory of
    its own (a private pool, a cached buffer, a registered buffer) gets that storage back on its next call, where
    poison_allocator's blocks do not reach, so an element it leaves unwritten still reads as NaN. Hence the run
    stage's first call, whose output is only poisoned. Runs after the trial's input check: an output that is its
    input does not make the input look modified. One that aliases the model's own state is poisoned with it."""
    for value in plain_outputs(output):
        if _is_floating_point(value):
            _fill(value, math.nan)


def _same_bits(a, b) -> bool:
    if not isinstance(a, torch.Tensor):
        return True
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a.is_floating_point() or a.is_complex():
        nan_a, nan_b = torch.isnan(a), torch.isnan(b)
        return _equal(nan_a, nan_b) and _equal(a.masked_fill(nan_a, 0), b.masked_fill(nan_b, 0))
    return _equal(a, b)


def judge_stage(request: dict) -> dict:
    """The trusted side: rebuild Model and the inputs from the same seeds and compare."""
    from harness.config import Tolerance
    from harness.correctness import ConstantTracker, compare, compare_parameters
    from harness.problem import load_module
    from harness.referee import Checksum
    from harness.seeding import (Trial, apply_precision_mode, as_tensor_list, build_model, make_inputs,
                                 perturb_inputs, precision_key)

    apply_precision_mode(request["dtype"])
    device, dtype = request["device"], request["dtype"]
    problem = load_module(request["problem"], request["constants"])
    init_inputs = problem.get_init_inputs()
    model = build_model(problem.Model, init_inputs, device, dtype)
    model64 = build_model(problem.Model, init_inputs, device, dtype).to(torch.float64)
    precision = precision_key(dtype, device)
    tol = Tolerance(**request["tolerances"][precision])

    workdir = Path(request["workdir"])
    got_state, load_error = load_untrusted(workdir / "state_dict.pt")
    if not isinstance(got_state, dict):
        got_state = {}
    parameter_message = (f"state_dict: {load_error}" if load_error
                         else compare_parameters(model.state_dict(), got_state))
    names_match = set(got_state) == set(model.state_dict())

    def outputs_in(path: Path) -> tuple:
        """(list of plain tensors, "") from a file the run stage wrote, or (None, why not)."""
        candidate, load_error = load_untrusted(path)
        if load_error or type(candidate) is not list or not all(type(t) is torch.Tensor for t in candidate):
            return None, load_error or "output file does not hold a list of plain tensors"
        return candidate, ""

    def verdict(candidate: list | None, why_not: str, name: str, eager: list, exact: list) -> dict:
        if candidate is None:
            return {"trial": name, "status": "incorrect", "message": why_not}
        return asdict(compare(name, candidate, eager, exact, tol))

    def references(inputs: list) -> tuple:
        with torch.no_grad():
            eager = as_tensor_list(model(*inputs))
            exact = as_tensor_list(model64(*[x.to(torch.float64) if isinstance(x, torch.Tensor)
                                             and x.is_floating_point() else x for x in inputs]))
        return eager, exact

    all_trials, get_inputs_trials = ConstantTracker(), ConstantTracker()
    verdicts = []
    for index, trial_json in enumerate(request["trials"]):
        trial = Trial.from_json(trial_json)
        inputs = make_inputs(problem, trial, device, dtype)
        if index == 0:
            first_inputs = inputs
        eager, exact = references(inputs)
        all_trials.update(eager)
        if trial.from_get_inputs:
            get_inputs_trials.update(eager)
        candidate, why_not = outputs_in(trial_output(workdir, index))
        verdicts.append(verdict(candidate, why_not, trial.name, eager, exact))
    # Timed calls ran on the first trial's inputs as perturbed for each call; a kept output must also
    # be the one its call committed to the referee.
    checksum, base, timed = Checksum(), copies(first_inputs), request["timed_calls"]
    for call, entry in enumerate(timed):
        if entry["kept"]:
            saved, why_not = outputs_in(timed_output(workdir, call))
            if saved is not None and checksum([t.to(device) for t in saved]) != entry["checksum"]:
                saved, why_not = None, "the saved output is not the one the call committed to the referee"
            perturb_inputs(first_inputs, base, entry["seed"])
            verdicts.append(verdict(saved, why_not, timed_trial_name(call, len(timed)), *references(first_inputs)))
    return {"status": "ok", "precision": precision, "tolerance": asdict(tol), "trials": verdicts,
            "parameter_names_match": names_match, "parameter_message": parameter_message,
            "constant_fraction": all_trials.fraction, "degenerate": all_trials.degenerate,
            "constant_fraction_get_inputs": get_inputs_trials.fraction,
            "degenerate_get_inputs": get_inputs_trials.degenerate}


def load_untrusted(path: Path) -> tuple:
    """(object, "") from a file the candidate's process wrote, or (None, reason) when it cannot be
    loaded with weights_only=True."""
    try:
        return _load(path, weights_only=True), ""
    except Exception as exc:  # noqa: BLE001  any load failure is the candidate's
        return None, f"{path.name} could not be loaded: {type(exc).__name__}: {str(exc).strip()[:300]}"


def baseline_stage(request: dict) -> dict:
    """Eager and torch.compile timings of Model on the first trial's inputs, workload and ceilings.
    Eager is paced by the referee exactly as a candidate is, so the referee's windows minus eager's
    times give what pacing adds to a call."""
    from harness import roofline
    from harness.problem import load_module
    from harness.seeding import Trial, apply_precision_mode, build_model, make_inputs

    apply_precision_mode(request["dtype"])
    device, dtype = request["device"], request["dtype"]
    problem = load_module(request["problem"], request["constants"])
    init_inputs = problem.get_init_inputs()
    trial = Trial.from_json(request["trials"][0])
    inputs = make_inputs(problem, trial, device, dtype)
    result = {"status": "ok", "device_name": torch.cuda.get_device_name() if device == "cuda" else "cpu",
              "torch_version": torch.__version__}
    try:
        result["workload"] = asdict(roofline.workload(problem.Model, init_inputs, inputs, dtype))
    except Exception as exc:  # noqa: BLE001  some models cannot run on the meta device
        result["workload_error"] = f"{type(exc).__name__}: {exc}"
    model = build_model(problem.Model, init_inputs, device, dtype)
    bench = {"device": device, "trials": request["timing_trials"], "warmup": request["warmup"]}
    with torch.no_grad():
        result["eager"] = asdict(paced_bench(model, copies(inputs), request))
        if request["compile_baseline"]:
            try:
                compiled = torch.compile(model)
                compiled(*inputs)
                result["compiled"] = asdict(timing.do_bench(lambda: compiled(*inputs), **bench))
            except Exception as exc:  # noqa: BLE001  report, keep the eager baseline
                result["compile_error"] = f"{type(exc).__name__}: {str(exc)[:2000]}"
    name = result["device_name"] if device == "cuda" else roofline.cpu_name()
    try:
        ceilings = roofline.load_cached_ceilings(Path(request["ceilings_cache"]), name, torch.__version__)
        if ceilings is None:
            ceilings = roofline.measure_ceilings(name, device)
            result["ceilings_measured"] = True
        result["ceilings"] = asdict(ceilings)
    except Exception as exc:  # noqa: BLE001  no floor then, but the baseline timings stand
        result["ceilings_error"] = f"{type(exc).__name__}: {str(exc)[:2000]}"
    return result


STAGES = {"compile": compile_stage, "run": run_stage, "judge": judge_stage, "baseline": baseline_stage}


def main(argv: list) -> int:
    request = json.loads(Path(argv[1]).read_text())
    try:
        result = STAGES[request["mode"]](request)
    except BaseException as exc:  # noqa: BLE001  the parent reads the status, not a traceback
        result = failure(classify(exc), exc)
    Path(request["result_path"]).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
