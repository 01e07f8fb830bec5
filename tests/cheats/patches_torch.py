"""Cheat 6: monkeypatches torch so the reference computes something else (GELU
becomes the identity at import, torch.min a no-op from the first forward on),
and returns what the patched reference would."""
import torch
import torch.nn.functional as F
from _honest_core import HonestModel

F.gelu = lambda x, approximate="none": x


class ModelNew(HonestModel):
    def forward(self, x):
        torch.min = lambda a, *args, **kwargs: a
        return (self.conv_transpose(x) + self.add_value) * self.multiply_value
