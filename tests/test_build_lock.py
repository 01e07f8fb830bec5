"""The compile stage against torch's extension build lock. Up to torch 2.13 (the GPU image has 2.11), a build
killed mid-way (a compile timeout, the out-of-memory killer) leaves a `lock` file in the extension's build
directory whose mere existence makes every later build of that extension wait forever. Later torch releases
hold an OS lock on that file instead, which dies with its holder; there the first test passes with or without
the harness's cleanup. Runs on the CPU (a C++-only extension)."""
import textwrap
from pathlib import Path

from harness.candidate import Candidate, compile_env, exclusive_build
from harness.evaluate import compile_candidate

PROBE = textwrap.dedent('''
    from torch import nn
    from torch.utils.cpp_extension import load_inline

    _ext = load_inline(name="lock_probe", cpp_sources="int answer() { return 42; }", functions=["answer"])


    class ModelNew(nn.Module):
        def forward(self, x):
            return x
''')


def _probe(tmp_path):
    path = tmp_path / "lock_probe.py"
    path.write_text(PROBE)
    candidate = Candidate("lock_probe", path)
    return candidate, compile_env(candidate, tmp_path / "cache", gpu_present=False)


def test_lock_left_by_a_killed_build_does_not_hang_the_next_build(tmp_path):
    candidate, env = _probe(tmp_path)
    first = compile_candidate(candidate, tmp_path / "first", timeout_s=900, env=env)
    assert first.status == "ok", first.message + first.stderr_tail
    baton = next(tmp_path.joinpath("cache").rglob("build.ninja")).parent / "lock"
    baton.touch()   # what a build killed between torch taking and releasing its lock leaves behind
    again = compile_candidate(candidate, tmp_path / "again", timeout_s=120, env=env)
    assert again.status == "ok", again.message + again.stderr_tail


def test_compile_waits_for_another_build_of_the_same_candidate_then_times_out(tmp_path):
    candidate, env = _probe(tmp_path)
    with exclusive_build(Path(env["TORCH_EXTENSIONS_DIR"]), 5) as held:
        assert held
        outcome = compile_candidate(candidate, tmp_path / "work", timeout_s=0.5, env=env)
    assert outcome.status == "timeout"
    assert "waited 0.5 s for another evaluation building the same candidate" in outcome.message
    assert not (tmp_path / "work" / "compile_request.json").exists()   # no worker was started
