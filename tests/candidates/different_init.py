"""Same parameter names but a different initialisation: flag `param_mismatch`, outputs `incorrect`."""
import torch

from _base import Reference


class ModelNew(Reference):
    def __init__(self, *args):
        torch.manual_seed(1234)
        super().__init__(*args)

    def forward(self, x):
        return self.reference(x)
