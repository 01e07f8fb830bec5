"""Writes only the first half of a freshly allocated output: the poisoned allocator makes the rest NaN."""
import torch

from _base import Reference


class ModelNew(Reference):
    def forward(self, x):
        ref = self.reference(x)
        out = torch.empty_like(ref)
        half = ref.numel() // 2
        out.view(-1)[:half] = ref.view(-1)[:half]
        return out
