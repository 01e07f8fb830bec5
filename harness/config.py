"""Problem configs: the YAML that names size sets, input distributions, tolerances and trial counts."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import ConfigError, NotFoundError

PRECISIONS = ("fp32", "tf32", "fp16", "bf16")
DEFAULT_TOLERANCES = {
    "fp32": (1e-4, 1e-4),
    "tf32": (1e-2, 1e-2),
    "fp16": (1e-2, 1e-2),
    "bf16": (1e-2, 1e-2),
}
MODULE_DEFAULTS = "module-defaults"
MIN_CORRECTNESS_TRIALS = 5

_DISTRIBUTION_FIELDS = {"randn": {"scale"}, "uniform": {"low", "high"}, "rand": set()}


@dataclass(frozen=True)
class Distribution:
    """How to draw a floating input tensor: randn * scale, uniform(low, high) or rand."""

    name: str
    kind: str
    scale: float = 1.0
    low: float = 0.0
    high: float = 1.0


@dataclass(frozen=True)
class Tolerance:
    atol: float
    rtol: float


@dataclass(frozen=True)
class Trials:
    correctness: int = MIN_CORRECTNESS_TRIALS
    timing: int = 100
    warmup: int = 10


@dataclass(frozen=True)
class SizeSet:
    """One named set of module constants, optionally with its own input distribution."""

    name: str
    constants: dict = field(default_factory=dict)
    input_distribution: Distribution | None = None


@dataclass(frozen=True)
class ProblemConfig:
    source: str
    default: str
    sets: dict
    distributions: tuple = ()
    tolerances: dict = field(default_factory=dict)
    trials: Trials = Trials()
    problem: str | None = None

    def size_set(self, name: str | None = None) -> SizeSet:
        name = name or self.default
        if name not in self.sets:
            raise NotFoundError(
                f"{self.source}: unknown config '{name}'; known: {', '.join(self.sets)}")
        return self.sets[name]

    def tolerance(self, precision: str) -> Tolerance:
        return self.tolerances[precision]


def default_config(source: str) -> ProblemConfig:
    """The config of a problem without a YAML file: its module constants as they are."""
    return ProblemConfig(source=source, default=MODULE_DEFAULTS,
                         sets={MODULE_DEFAULTS: SizeSet(MODULE_DEFAULTS)},
                         tolerances={k: Tolerance(*v) for k, v in DEFAULT_TOLERANCES.items()})


def load_config(path: Path) -> ProblemConfig:
    """Parse and strictly validate a problem config; every problem raises ConfigError naming file and key."""
    source = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: malformed YAML: {_one_line(exc)}") from None
    return parse_config(data, source)


def parse_config(data, source: str) -> ProblemConfig:
    at = _Locator(source)
    at.mapping(data, "", required={"sets"},
               optional={"problem", "default", "distributions", "tolerances", "trials"})

    distributions = tuple(_distribution(d, at, f"distributions[{i}]")
                          for i, d in enumerate(at.sequence(data.get("distributions", []), "distributions")))
    names = [d.name for d in distributions]
    if len(set(names)) != len(names):
        raise at.error("distributions", "distribution names must be unique")
    by_name = {d.name: d for d in distributions}

    raw_sets = at.mapping(data["sets"], "sets")
    if not raw_sets:
        raise at.error("sets", "at least one set is required")
    sets = {}
    for name, raw in raw_sets.items():
        key = f"sets.{name}"
        at.mapping(raw, key, optional={"constants", "input_distribution"})
        constants = at.mapping(raw.get("constants") or {}, f"{key}.constants")
        for const, value in constants.items():
            if not isinstance(const, str) or not const.isidentifier():
                raise at.error(f"{key}.constants", f"'{const}' is not a Python identifier")
            if not isinstance(value, (int, float, bool, str, list)):
                raise at.error(f"{key}.constants.{const}", f"unsupported value {value!r}")
        dist = raw.get("input_distribution")
        if dist is not None:
            dist = _input_distribution(dist, by_name, at, f"{key}.input_distribution")
        sets[str(name)] = SizeSet(str(name), dict(constants), dist)

    default = data.get("default", next(iter(sets)))
    if not isinstance(default, str) or default not in sets:
        raise at.error("default", f"'{default}' is not one of the sets: {', '.join(sets)}")

    tolerances = {k: Tolerance(*v) for k, v in DEFAULT_TOLERANCES.items()}
    raw_tol = at.mapping(data.get("tolerances") or {}, "tolerances", optional=set(PRECISIONS))
    for precision, raw in raw_tol.items():
        key = f"tolerances.{precision}"
        at.mapping(raw, key, required={"atol", "rtol"})
        tolerances[precision] = Tolerance(*(at.number(raw[k], f"{key}.{k}") for k in ("atol", "rtol")))
        if min(tolerances[precision].atol, tolerances[precision].rtol) < 0:
            raise at.error(key, "atol and rtol must be >= 0")

    raw_trials = at.mapping(data.get("trials") or {}, "trials",
                            optional={"correctness", "timing", "warmup"})
    trials = Trials(**{k: at.integer(v, f"trials.{k}", minimum=0 if k == "warmup" else 1)
                       for k, v in raw_trials.items()})
    if trials.correctness < MIN_CORRECTNESS_TRIALS:
        raise at.error("trials.correctness", f"must be at least {MIN_CORRECTNESS_TRIALS}")

    problem = data.get("problem")
    if problem is not None and not isinstance(problem, str):
        raise at.error("problem", "must be a string like level2/93_Name")
    return ProblemConfig(source=source, default=default, sets=sets, distributions=distributions,
                         tolerances=tolerances, trials=trials, problem=problem)


def _distribution(raw, at: "_Locator", key: str) -> Distribution:
    at.mapping(raw, key, required={"name", "kind"},
               optional={"scale", "low", "high"})
    kind = raw["kind"]
    if kind not in _DISTRIBUTION_FIELDS:
        raise at.error(f"{key}.kind", f"unknown kind '{kind}'; known: {', '.join(_DISTRIBUTION_FIELDS)}")
    extra = set(raw) - {"name", "kind"} - _DISTRIBUTION_FIELDS[kind]
    if extra:
        raise at.error(f"{key}.{sorted(extra)[0]}", f"not a parameter of kind '{kind}'")
    params = {k: at.number(raw[k], f"{key}.{k}") for k in _DISTRIBUTION_FIELDS[kind] if k in raw}
    dist = Distribution(name=str(raw["name"]), kind=kind, **params)
    if kind == "uniform" and not dist.low < dist.high:
        raise at.error(key, "uniform needs low < high")
    return dist


def _input_distribution(raw, by_name: dict, at: "_Locator", key: str) -> Distribution:
    """A set's input distribution: a named entry of `distributions`, a bare kind, or a mapping."""
    if isinstance(raw, dict):
        return _distribution(raw, at, key)
    if not isinstance(raw, str):
        raise at.error(key, f"expected a distribution name, a kind or a mapping, got {raw!r}")
    if raw in by_name:
        return by_name[raw]
    if raw in _DISTRIBUTION_FIELDS:
        return Distribution(name=raw, kind=raw)
    raise at.error(key, f"'{raw}' is neither a distribution name nor a kind ({', '.join(_DISTRIBUTION_FIELDS)})")


class _Locator:
    """Builds ConfigErrors that name the file and the dotted key."""

    def __init__(self, source: str):
        self.source = source

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {key or '<top level>'}: {message}")

    def mapping(self, value, key, required=(), optional=None) -> dict:
        if not isinstance(value, dict):
            raise self.error(key, f"expected a mapping, got {type(value).__name__}")
        missing = set(required) - set(value)
        if missing:
            raise self.error(key, f"missing key '{sorted(missing)[0]}'")
        if optional is not None:
            unknown = set(value) - set(required) - set(optional)
            if unknown:
                name = sorted(map(str, unknown))[0]
                raise self.error(key, f"unknown key {name!r} (allowed: {', '.join(sorted(set(required) | set(optional)))})")
        return value

    def sequence(self, value, key) -> list:
        if not isinstance(value, list):
            raise self.error(key, f"expected a list, got {type(value).__name__}")
        return value

    def number(self, value, key) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.error(key, f"expected a finite number, got {value!r}")
        return float(value)

    def integer(self, value, key, minimum) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(key, f"expected an integer >= {minimum}, got {value!r}")
        return value


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
