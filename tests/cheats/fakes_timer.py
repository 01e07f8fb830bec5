"""Cheat 10: computes honestly but rewrites the clocks at import, so the time it
reports is far below the speed-of-light floor."""
import time

import torch
from _honest_core import HonestModel

_real_perf_counter = time.perf_counter
_start = _real_perf_counter()
time.perf_counter = lambda: _start + (_real_perf_counter() - _start) * 1e-6
if torch.cuda.is_available():
    torch.cuda.Event.elapsed_time = lambda self, end: 1e-6


class ModelNew(HonestModel):
    def forward(self, x):
        return self.honest_forward(x)
