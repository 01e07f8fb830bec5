"""Cheat 12: reads its run request to learn how many calls are timed, computes honestly on the
run stage's first call, the correctness trials and the last timed call (the only one judged
before the referee), and returns zeros on the other timed calls."""
import json
import sys

import torch
from _honest_core import HonestModel


class ModelNew(HonestModel):
    def __init__(self, *args):
        super().__init__(*args)
        request = json.loads(open(sys.argv[1]).read())
        trials = 1 + len(request["trials"])
        self.honest_calls = {*range(trials), trials + request["warmup"] + request["timing_trials"] - 1}
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        if self.calls - 1 in self.honest_calls:
            return self.honest_forward(x)
        return torch.zeros(self.output_shape(x), device=x.device, dtype=x.dtype)
