"""Cheat 2: zeroes its input in place, so a reference run afterwards on the
same tensor computes f(0), which is what this candidate returns."""
import torch
from _honest_core import HonestModel


class ModelNew(HonestModel):
    def forward(self, x):
        x.zero_()
        return self.honest_forward(x)
