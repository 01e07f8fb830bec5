"""Cheat 8: computes honestly for the first calls (the run stage's first call and
problem 93's 7 correctness trials) and only without autograd, and returns a cheap
wrong answer afterwards (the timed calls)."""
import torch
from _honest_core import HonestModel


class ModelNew(HonestModel):
    honest_calls = 8

    def __init__(self, *args):
        super().__init__(*args)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        if self.calls <= self.honest_calls and torch.is_grad_enabled() is False:
            return self.honest_forward(x)
        return torch.zeros(self.output_shape(x), device=x.device, dtype=x.dtype)
