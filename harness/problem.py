"""Problems: KernelBench `.py` files (Model, get_inputs, get_init_inputs, size constants) and their configs."""
from __future__ import annotations

import ast
import importlib.util
import itertools
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from .config import ProblemConfig, default_config, load_config
from .errors import ConfigError, HarnessError, NotFoundError

_module_ids = itertools.count()


@dataclass(frozen=True)
class Problem:
    """A problem file, its name (`level2/93_Name`, or the stem for a file outside problems/) and its config."""

    name: str
    path: Path
    config_path: Path | None

    @property
    def stem(self) -> str:
        return self.path.stem

    def config(self) -> ProblemConfig:
        """The validated config; constants must exist in the problem module."""
        if self.config_path is None:
            return default_config(str(self.path))
        config = load_config(self.config_path)
        if config.problem is not None and config.problem != self.name and Path(config.problem).name != self.stem:
            raise ConfigError(f"{self.config_path}: problem: names '{config.problem}', "
                              f"but this config belongs to '{self.name}'")
        constants = module_constants(self.path)
        for size_set in config.sets.values():
            for name in size_set.constants:
                if name not in constants:
                    raise ConfigError(f"{self.config_path}: sets.{size_set.name}.constants.{name}: "
                                      f"{self.path.name} has no module-level constant '{name}'")
        return config


def list_problems(root: Path) -> list[Problem]:
    problems_dir = root / "problems"
    return [_problem_at(path, root) for path in sorted(problems_dir.glob("*/*.py"))]


def find_problem(spec: str, root: Path) -> Problem:
    """Resolve a path, `level/stem`, a stem, or a leading problem number like `93`."""
    path = Path(spec)
    if path.suffix == ".py" and path.is_file():
        return _problem_at(path.resolve(), root)
    known = list_problems(root)
    for rule in (lambda p: p.name == spec or p.name == spec.removesuffix(".py"),
                 lambda p: p.stem == spec.removesuffix(".py"),
                 lambda p: p.stem.split("_", 1)[0] == spec):
        matches = [p for p in known if rule(p)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise NotFoundError(f"problem '{spec}' is ambiguous: {', '.join(p.name for p in matches)}")
    raise NotFoundError(f"unknown problem '{spec}'; `list` shows the known ones")


def _problem_at(path: Path, root: Path) -> Problem:
    problems_dir = (root / "problems").resolve()
    path = path.resolve()
    if path.parent.parent == problems_dir:
        name = f"{path.parent.name}/{path.stem}"
        config = (root / "configs" / path.parent.name / f"{path.stem}.yaml")
        return Problem(name, path, config if config.is_file() else None)
    return Problem(path.stem, path, None)


def module_constants(path: Path) -> set[str]:
    """Names bound by module-level assignments, read from the source without running it."""
    names = set()
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))
    except UnicodeDecodeError:
        raise HarnessError(f"{path}: not UTF-8 text; save the problem file as UTF-8") from None
    except SyntaxError as exc:
        raise HarnessError(f"{path}:{exc.lineno}: not valid Python: {exc.msg}") from None
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else [])
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
    return names


def load_module(path: Path, constants: dict | None = None) -> ModuleType:
    """Execute a problem (or solution) file as a fresh module, then apply the size set's constants."""
    spec = importlib.util.spec_from_file_location(f"_harness_mod_{next(_module_ids)}_{Path(path).stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, value in (constants or {}).items():
        setattr(module, name, value)
    return module
