"""Correct output, but scribbles on its input afterwards: `incorrect`, flag `inputs_modified`."""
from _base import Reference


class ModelNew(Reference):
    def forward(self, x):
        out = self.reference(x)
        x.mul_(2)
        return out
