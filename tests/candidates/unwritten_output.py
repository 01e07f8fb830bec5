"""Allocates its output first, then writes only the first half: the poisoned allocator makes the rest NaN."""
from _base import Reference


class ModelNew(Reference):
    def forward(self, x):
        conv = self.conv_transpose
        n, _, h, w = x.shape
        k, s = conv.kernel_size[0], conv.stride[0]
        out = x.new_empty(n, conv.out_channels, (h - 1) * s + k, (w - 1) * s + k)
        ref = self.reference(x)
        half = ref.numel() // 2
        out.view(-1)[:half] = ref.view(-1)[:half]
        return out
