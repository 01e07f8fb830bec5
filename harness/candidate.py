"""Candidates: solution files (and directory solutions), their source hash, build dir and CUDA needs.

Nothing here imports candidate code: the worker does, in its own process.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from .errors import HarnessError, NotFoundError

HOPPER_ARCH = "9.0a"
_CUDA_MARKERS = re.compile(
    r"cuda_sources|__global__|CUDAExtension|\.cuda\(|device\s*=\s*['\"]cuda|"
    r"torch\.device\(\s*['\"]cuda|\.to\(\s*['\"]cuda|\.cu['\"]|<<<")
_CPP_EXTENSION = re.compile(r"\bcpp_extension\b|\bload_inline\b|CppExtension")
_MODEL_NEW = re.compile(r"^class\s+ModelNew\b", re.MULTILINE)


@dataclass(frozen=True)
class Candidate:
    """A solution: `path` is the file that defines ModelNew (`model_new.py` for a directory solution)."""

    name: str
    path: Path
    kind: str = "file"

    def source(self) -> str:
        if self.kind == "directory":
            files = sorted(p for p in self.path.parent.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            return "".join(f"# {p.relative_to(self.path.parent)}\n{p.read_text(errors='replace')}" for p in files)
        return self.path.read_text(errors="replace")

    @property
    def needs_cuda(self) -> bool:
        return bool(_CUDA_MARKERS.search(self.source()))

    @property
    def cpu_only(self) -> bool:
        """A C++ extension without CUDA sources: its kernels read host memory, so CUDA inputs cannot go in."""
        return not self.needs_cuda and bool(_CPP_EXTENSION.search(self.source()))

    def build_hash(self, env: dict) -> str:
        """Source + torch + Python version + compile flags: an unchanged solution reuses its build."""
        digest = hashlib.sha256()
        for part in (self.source(), torch.__version__, sys.version, env.get("TORCH_CUDA_ARCH_LIST", ""),
                     os.environ.get("CXX", ""), os.environ.get("CUDA_HOME", "")):
            digest.update(part.encode())
            digest.update(b"\0")
        return digest.hexdigest()[:20]


def solutions_dir(root: Path, problem_name: str) -> Path:
    return root / "solutions" / problem_name


def find_candidates(directory: Path) -> list[Candidate]:
    """Every `*.py` defining ModelNew, and every subdirectory holding `model_new.py`."""
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.suffix == ".py" and _MODEL_NEW.search(path.read_text(errors="replace")):
            found.append(Candidate(path.stem, path.resolve()))
        elif path.is_dir() and (path / "model_new.py").is_file():
            found.append(Candidate(path.name, (path / "model_new.py").resolve(), "directory"))
    names = [c.name for c in found]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:   # the leaderboard keys rows by name: one would overwrite the other
        raise HarnessError(f"{directory}: a file and a directory solution share the name "
                           f"{', '.join(repr(n) for n in clashes)}; rename one")
    return found


def find_candidate(spec: str, directory: Path | None) -> Candidate:
    """A path to a file or directory solution, or a name within the problem's solutions directory."""
    path = Path(spec)
    if path.is_file():
        return Candidate(path.stem, path.resolve())
    if path.is_dir() and (path / "model_new.py").is_file():
        return Candidate(path.name, (path / "model_new.py").resolve(), "directory")
    if directory is not None:
        for candidate in find_candidates(directory):
            if candidate.name == spec.removesuffix(".py"):
                return candidate
    where = f" in {directory}" if directory is not None else ""
    raise NotFoundError(f"unknown solution '{spec}'{where}")


def compile_env(candidate: Candidate, cache_dir: Path, gpu_present: bool, arch_list: str | None = None) -> dict:
    """Environment for the worker: a build dir keyed by the source hash; `arch_list` if given,
    else Hopper (9.0a) when there is no GPU to ask."""
    env = dict(os.environ)
    cuda_home = _cuda_home()
    if cuda_home and not env.get("CUDA_HOME") and not env.get("CUDA_PATH"):
        env["CUDA_HOME"] = cuda_home
    if cuda_home and not Path(cuda_home, "include", "cusparse.h").is_file():
        extra = [str(d) for d in _wheel_cuda_includes() if (d / "cusparse.h").is_file()]
        env["CPLUS_INCLUDE_PATH"] = os.pathsep.join(filter(None, [env.get("CPLUS_INCLUDE_PATH"), *extra]))
    if arch_list:
        env["TORCH_CUDA_ARCH_LIST"] = arch_list
    elif not gpu_present and not env.get("TORCH_CUDA_ARCH_LIST"):
        env["TORCH_CUDA_ARCH_LIST"] = HOPPER_ARCH
    env["TORCH_EXTENSIONS_DIR"] = str(cache_dir / candidate.build_hash(env))
    return env


@contextlib.contextmanager
def exclusive_build(build_dir: Path, timeout_s: float):
    """Holds `build_dir`'s harness lock for a build, yielding True, or yields False if another harness process
    held it for all of `timeout_s`. The kernel drops the lock when its holder dies. While it is held, no other
    harness build of this directory runs, so the `lock` batons that torch's extension builder leaves behind
    when a build is killed (which make every later build of that extension wait forever) are removed."""
    build_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    with open(build_dir / ".harness-build.lock", "w") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.2)
        for baton in build_dir.glob("*/lock"):
            baton.unlink(missing_ok=True)
        yield True


def _cuda_home() -> str | None:
    """The toolkit root: nvcc on PATH may be a wrapper outside it (e.g. /usr/local/bin/nvcc)."""
    nvcc = shutil.which("nvcc")
    guesses = ([Path(nvcc).resolve().parent.parent] if nvcc else []) + [Path("/usr/local/cuda")]
    return next((str(g) for g in guesses if (g / "include" / "cuda.h").is_file()), None)


def _wheel_cuda_includes() -> list:
    """Include dirs of the nvidia-* wheels next to torch: a slim toolkit may lack the math-library
    headers (cusparse.h, ...) that ATen/cuda/CUDAContext.h includes. Searched after the toolkit's."""
    site = Path(torch.__file__).resolve().parent.parent / "nvidia"
    return sorted(site.glob("*/include")) if site.is_dir() else []
