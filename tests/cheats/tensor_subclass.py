"""Cheat 9: returns a tensor subclass that claims to equal anything it is
compared with, and defers the real work until someone reads the data."""
import torch
from _honest_core import HonestModel


class AlwaysClose(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in (torch.allclose, torch.equal):
            return True
        if func in (torch.isclose, torch.eq):
            return torch.ones(args[0].shape, dtype=torch.bool)
        return super().__torch_function__(func, types, args, kwargs or {})


class ModelNew(HonestModel):
    def forward(self, x):
        return torch.zeros(self.output_shape(x), device=x.device, dtype=x.dtype).as_subclass(AlwaysClose)
