"""Cheat 13: keeps its output in one buffer of its own across calls and writes only the elements that are not
zero, leaving the zeros to whatever the buffer held (on problem 93's torch.rand inputs nearly every output is 0).
The allocator's poisoned blocks never reach that buffer; the run stage's poisoning of each output in place does."""
from _honest_core import HonestModel


class ModelNew(HonestModel):
    buffer = None

    def forward(self, x):
        y = self.honest_forward(x)
        if self.buffer is None or self.buffer.shape != y.shape:
            self.buffer = y.new_zeros(y.shape)
        nonzero = y != 0
        self.buffer[nonzero] = y[nonzero]
        return self.buffer
