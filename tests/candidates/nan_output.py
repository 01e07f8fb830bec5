"""Correct except one element set to NaN: `incorrect` by the NaN-position rule."""
from _base import Reference


class ModelNew(Reference):
    def forward(self, x):
        out = self.reference(x)
        out.view(-1)[0] = float("nan")
        return out
