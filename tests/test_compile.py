"""Builds every CUDA solution under solutions/ (and the CUDA fixture) for sm_90a through the
harness's compile stage: nvcc only, no GPU. A CUDA compile break fails CI here."""
import shutil
from pathlib import Path

import pytest

from conftest import CANDIDATES, REPO
from harness.candidate import HOPPER_ARCH, Candidate, compile_env, find_candidates
from harness.evaluate import compile_candidate

pytestmark = pytest.mark.compile


def cuda_candidates():
    found = [c for d in sorted((REPO / "solutions").glob("*/*")) if d.is_dir() for c in find_candidates(d)]
    found.append(Candidate("cuda_epilogue", CANDIDATES / "cuda_epilogue.py"))
    return [c for c in found if c.needs_cuda]


@pytest.mark.parametrize("candidate", cuda_candidates(), ids=lambda c: f"{c.path.parent.name}/{c.name}")
def test_cuda_solution_compiles_for_sm90a(candidate, tmp_path):
    if shutil.which("nvcc") is None and not Path("/usr/local/cuda/bin/nvcc").exists():
        pytest.skip("nvcc not found: cannot build CUDA solutions on this machine")
    env = compile_env(candidate, tmp_path / "cache", gpu_present=False, arch_list=HOPPER_ARCH)
    problem = _problem_of(candidate)
    outcome = compile_candidate(candidate, tmp_path / "work", timeout_s=1200, env=env, problem_path=problem)
    log = (tmp_path / "work" / "compile.log").read_text(errors="replace")
    assert outcome.status == "ok", f"{outcome.message}\n{outcome.payload.get('traceback', '')}\n{log[-4000:]}"
    ninja_files = list(Path(env["TORCH_EXTENSIONS_DIR"]).rglob("build.ninja"))
    assert ninja_files, f"no extension was built: {outcome.payload.get('construct_error', '')}"
    assert all("sm_90a" in f.read_text() for f in ninja_files), "not built for sm_90a"
    assert list(Path(env["TORCH_EXTENSIONS_DIR"]).rglob("*.so")), "no shared object produced"


def _problem_of(candidate):
    """solutions/<level>/<stem>/x.py -> problems/<level>/<stem>.py (module defaults: ModelNew is
    constructed on the CPU so extensions built in __init__ are built too)."""
    stem_dir = candidate.path.parent
    path = REPO / "problems" / stem_dir.parent.name / f"{stem_dir.name}.py"
    return path if path.is_file() else REPO / "problems" / "level2" / "93_ConvTranspose2d_Add_Min_GELU_Multiply.py"
