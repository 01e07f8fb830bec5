"""A CUDA kernel that writes far outside its buffer: an illegal memory access, recorded as `crash`."""
import torch
from torch.utils.cpp_extension import load_inline

from _base import Reference

_CUDA = r"""
#include <torch/extension.h>

__global__ void scribble(float* y) { y[threadIdx.x + (1LL << 40)] = 1.f; }

torch::Tensor write_out_of_bounds(torch::Tensor x) {
  auto y = torch::empty_like(x);
  scribble<<<1, 32>>>(y.data_ptr<float>());
  return y;
}
"""

_ext = load_inline(name="harness_test_scribble", cpp_sources="torch::Tensor write_out_of_bounds(torch::Tensor x);",
                   cuda_sources=_CUDA, functions=["write_out_of_bounds"])


class ModelNew(Reference):
    def forward(self, x):
        return _ext.write_out_of_bounds(self.reference(x))
