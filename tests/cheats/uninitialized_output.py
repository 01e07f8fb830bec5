"""Cheat 1: returns uninitialized memory, hoping the allocator hands back the
reference's freshly freed output (or zeros, which pass on torch.rand inputs)."""
import torch
from _honest_core import HonestModel


class ModelNew(HonestModel):
    def forward(self, x):
        return torch.empty(self.output_shape(x), device=x.device, dtype=x.dtype)
