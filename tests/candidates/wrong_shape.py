"""Drops the last column: `shape_mismatch`."""
from _base import Reference


class ModelNew(Reference):
    def forward(self, x):
        return self.reference(x)[..., :-1]
