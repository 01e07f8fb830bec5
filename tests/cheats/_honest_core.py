"""The honest problem-93 computation that the cheats below build their tricks on."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class HonestModel(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, add_value, multiply_value):
        super().__init__()
        self.conv_transpose = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=stride)
        self.add_value = add_value
        self.multiply_value = multiply_value

    def honest_forward(self, x):
        y = self.conv_transpose(x) + self.add_value
        y = torch.minimum(y, y.new_zeros(()))
        return F.gelu(y) * self.multiply_value

    def output_shape(self, x):
        conv = self.conv_transpose
        k, s = conv.kernel_size[0], conv.stride[0]
        return (x.shape[0], conv.out_channels, (x.shape[2] - 1) * s + k, (x.shape[3] - 1) * s + k)
