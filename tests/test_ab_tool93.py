"""tools/ab_93.py's argument checks and alternating calls (shared with tools/clock_ab_93.py), checked without a
GPU: CUDA events and syncs are replaced by fakes that log what the loop does, in order."""
import argparse
import sys
from pathlib import Path

import pytest
import torch

TOOLS = Path(__file__).resolve().parents[1] / "tools"
sys.path.insert(0, str(TOOLS))
import ab_93  # noqa: E402


def fake_cuda(monkeypatch, log):
    class Event:
        def __init__(self, enable_timing=False):
            assert enable_timing

        def record(self):
            log.append("record")

    class Flush:
        def zero_(self):
            log.append("flush")

    monkeypatch.setattr(torch.cuda, "Event", Event)
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a: log.append("sync"))
    return Flush()


def test_every_trial_runs_each_variant_once_after_a_flush_with_the_first_rotating(monkeypatch):
    log = []
    flush = fake_cuda(monkeypatch, log)
    calls = {name: (lambda n: (lambda: log.append(n)))(name) for name in ("a", "b", "c")}
    events = ab_93.alternating_calls(calls, flush, 4, sync=False)
    assert [(name, trial) for name, trial, _, _ in events] == [
        ("a", 0), ("b", 0), ("c", 0), ("b", 1), ("c", 1), ("a", 1),
        ("c", 2), ("a", 2), ("b", 2), ("a", 3), ("b", 3), ("c", 3)]
    # queued: flush, start, call, end per call and one sync at the end, none in between
    assert log[:4] == ["flush", "record", "a", "record"]
    assert log.count("sync") == 1 and log[-1] == "sync"


def test_sync_regime_syncs_before_each_start_and_after_each_end(monkeypatch):
    log = []
    flush = fake_cuda(monkeypatch, log)
    ab_93.alternating_calls({"a": lambda: log.append("a")}, flush, 2, sync=True)
    assert log == ["flush", "sync", "record", "a", "record", "sync"] * 2 + ["sync"]


@pytest.mark.parametrize("keep_output", [False, True])
def test_kept_outputs_live_until_the_variants_next_call_returns(monkeypatch, keep_output):
    log = []
    flush = fake_cuda(monkeypatch, log)

    class Output:
        def __init__(self, label):
            self.label = label

        def __del__(self):
            log.append("free " + self.label)

    def variant(name):
        count = [0]

        def call():
            log.append(f"{name}{count[0]}")
            count[0] += 1
            return Output(f"{name}{count[0] - 1}")
        return call

    ab_93.alternating_calls({"a": variant("a"), "b": variant("b")}, flush, 2, sync=False, keep_output=keep_output)
    calls_and_frees = [entry for entry in log if entry not in ("flush", "record", "sync")]
    if keep_output:   # a0 lives through a1 (run.py's `last = model(x)`), freed only when a1's output replaces it
        assert calls_and_frees[:6] == ["a0", "b0", "b1", "free b0", "a1", "free a0"]
        assert sorted(calls_and_frees[6:]) == ["free a1", "free b1"]   # the last ones, when the loop returns
    else:
        assert calls_and_frees == ["a0", "free a0", "b0", "free b0", "b1", "free b1", "a1", "free a1"]


def test_unknown_mode_or_config_is_refused_not_run_as_tf32(monkeypatch, capsys):
    parse_modes = ab_93.names_from(ab_93.MODES)
    assert parse_modes("tf32,bf16") == ["tf32", "bf16"]
    for bad in ("exact", "tf32,fp16"):
        with pytest.raises(argparse.ArgumentTypeError, match="choose from tf32, fp32, bf16"):
            parse_modes(bad)
    monkeypatch.setattr(sys, "argv", ["ab_93.py", "--configs", "v9", "a=x.py"])
    with pytest.raises(SystemExit) as exit_info:
        ab_93.main()
    assert exit_info.value.code == 2 and "unknown v9" in capsys.readouterr().err
