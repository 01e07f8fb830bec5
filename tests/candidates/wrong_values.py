"""Off by 1e-3 everywhere, beyond fp32 tolerance: `incorrect`."""
from _base import Reference


class ModelNew(Reference):
    def forward(self, x):
        return self.reference(x) + 1e-3
