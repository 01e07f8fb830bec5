"""Replaces torch.equal at import: `tampered`, flag `torch_patched`."""
import torch

from _base import Reference

torch.equal = lambda a, b: True


class ModelNew(Reference):
    def forward(self, x):
        return self.reference(x)
