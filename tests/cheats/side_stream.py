"""Cheat 3: does its work on a side stream, so events recorded on the current
stream around the call see almost nothing."""
import torch
from _honest_core import HonestModel


class ModelNew(HonestModel):
    def forward(self, x):
        if not hasattr(self, "pad"):  # stands in for a heavy kernel: the hidden work must be large to matter
            self.pad = torch.randn(2048, 2048, device=x.device)
        side = torch.cuda.Stream(device=x.device)
        side.wait_stream(torch.cuda.current_stream(x.device))
        with torch.cuda.stream(side):
            out = self.honest_forward(x)
            for _ in range(20):
                self.pad @ self.pad
        return out
