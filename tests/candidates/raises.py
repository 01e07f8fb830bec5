"""Raises from forward: `runtime_error`."""
from _base import Reference


class ModelNew(Reference):
    def forward(self, x):
        raise RuntimeError("deliberate failure in forward")
