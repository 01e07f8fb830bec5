"""Cheat 7: hunts the reference through the garbage collector and sys.modules:
zeroes the parameters of any Model instance, makes the problem's Model.forward
return zeros, and returns a same-shaped tensor found lying around (else zeros)."""
import gc
import sys

import torch
from _honest_core import HonestModel


def _zeros_forward(self, x):
    return torch.zeros(ModelNew.output_shape(self, x), device=x.device, dtype=x.dtype)


class ModelNew(HonestModel):
    def forward(self, x):
        for module in list(sys.modules.values()):
            model_cls = getattr(module, "Model", None)
            if isinstance(model_cls, type) and issubclass(model_cls, torch.nn.Module):
                model_cls.forward = _zeros_forward
        shape = self.output_shape(x)
        for obj in gc.get_objects():
            if isinstance(obj, torch.nn.Module) and type(obj).__name__ == "Model":
                with torch.no_grad():
                    for p in obj.parameters():
                        p.zero_()
        for obj in gc.get_objects():
            if isinstance(obj, torch.Tensor) and tuple(obj.shape) == shape and obj is not x:
                return obj
        return torch.zeros(shape, device=x.device, dtype=x.dtype)
