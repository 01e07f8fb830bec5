"""Cheat 13: computes honestly but slowly, and slows down the clock the harness's timer bound before
import (`harness.timing._perf_counter`, which the identity snapshot does not cover), so the time its
process reports is a tenth of the real one: plausible, far above the byte floor."""
import time

import harness.timing
from _honest_core import HonestModel

_real_perf_counter = harness.timing._perf_counter
harness.timing._perf_counter = lambda: _real_perf_counter() * 0.1


class ModelNew(HonestModel):
    def forward(self, x):
        time.sleep(0.005)
        return self.honest_forward(x)
