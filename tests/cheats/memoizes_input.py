"""Cheat 11: computes honestly for every new input tensor, and when called again with the same
tensor object returns a copy of the result it computed for it (the timed calls reuse one input)."""
from _honest_core import HonestModel


class ModelNew(HonestModel):
    def __init__(self, *args):
        super().__init__(*args)
        self.seen, self.result = None, None

    def forward(self, x):
        if x is not self.seen:
            self.seen, self.result = x, self.honest_forward(x)
        return self.result.clone()
