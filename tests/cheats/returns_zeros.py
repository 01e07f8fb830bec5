"""Cheat 5: returns zeros, which matches problem 93 on torch.rand inputs where
nearly every true output is exactly 0."""
import torch
from _honest_core import HonestModel


class ModelNew(HonestModel):
    def forward(self, x):
        return torch.zeros(self.output_shape(x), device=x.device, dtype=x.dtype)
