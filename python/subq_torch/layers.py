"""Hyena's short convolution and norms (SPEC.md sections 1, 3 and 5), over the channel axis of
channels-first [B, C, *S] tensors, as the Hyena module applies them."""
import math

import torch
import torch.nn.functional as F
from torch import nn


class DepthwiseConv(nn.Module):
    """Depthwise ConvNd over `channels` channels: torch's Conv{1,2,3}d(groups=channels) ('conv',
    weight [C, 1, *K]) or DistributedDepthwiseConv{1,2,3}d ('distributed', weight [G, *K] shared by
    C/G channels each). Causal (1D): left padding K-1; otherwise 'same' padding, floor((K-1)/2) on
    the left (even K: the extra point on the right)."""

    def __init__(self, data_dim, channels, kernel_size, causal=False, bias=False, kind="conv", num_groups=None):
        super().__init__()
        if causal and data_dim != 1:
            raise ValueError("causal: only 1D short convolutions are causal")
        self.data_dim, self.channels, self.causal, self.kind = data_dim, channels, causal, kind
        self.kernel_size = (kernel_size,) * data_dim if isinstance(kernel_size, int) else tuple(kernel_size)
        groups = channels if num_groups is None else num_groups
        if kind == "conv":
            shape = (channels, 1, *self.kernel_size)
            bias_shape = channels
        elif kind == "distributed":
            if channels % groups:
                raise ValueError(f"num_groups: {groups} does not divide channels {channels}")
            shape, bias_shape = (groups, *self.kernel_size), groups
        else:
            raise ValueError(f"kind: expected 'conv' or 'distributed', got {kind!r}")
        bound = math.sqrt(1 / math.prod(self.kernel_size))
        self.weight = nn.Parameter(torch.empty(shape).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(bias_shape).uniform_(-bound, bound)) if bias else None

    def expanded(self):
        """weight [C, 1, *K] and bias [C] as F.convNd takes them."""
        if self.kind == "conv":
            return self.weight, self.bias
        repeat = self.channels // self.weight.shape[0]
        weight = self.weight.repeat_interleave(repeat, 0).unsqueeze(1)
        bias = self.bias.repeat_interleave(repeat, 0) if self.bias is not None else None
        return weight, bias

    def forward(self, x):
        pads = []
        for k in reversed(self.kernel_size):
            left = k - 1 if self.causal else (k - 1) // 2
            pads += [left, k - 1 - left]
        weight, bias = self.expanded()
        conv = (F.conv1d, F.conv2d, F.conv3d)[self.data_dim - 1]
        return conv(F.pad(x, pads), weight.to(x.dtype), None if bias is None else bias.to(x.dtype),
                    groups=self.channels)

    def flop_count(self, spatial_dims):
        return 2 * self.channels * math.prod(spatial_dims) * math.prod(self.kernel_size)


class RMSNorm(nn.Module):
    """x * rsqrt(mean(x^2) + eps) * weight over axis `dim` (1: channels-first, -1: channels-last)."""

    def __init__(self, channels, eps=1e-6, dim=1):
        super().__init__()
        self.eps, self.dim = eps, dim
        self.weight = nn.Parameter(torch.ones(channels))

    def forward(self, x):
        scale = _channels(self.weight, x) if self.dim == 1 else self.weight.to(x.dtype)
        return x * torch.rsqrt(x.pow(2).mean(self.dim, keepdim=True) + self.eps) * scale


class LayerNorm(nn.Module):
    """(x - mean) * rsqrt(var + eps) * weight + bias over axis 1 (biased variance)."""

    def __init__(self, channels, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        mean = x.mean(1, keepdim=True)
        var = (x - mean).pow(2).mean(1, keepdim=True)
        return (x - mean) * torch.rsqrt(var + self.eps) * _channels(self.weight, x) + _channels(self.bias, x)


class L2Norm(nn.Module):
    """x / max(||x||_2, eps) over axis 1 (F.normalize); no parameters."""

    def __init__(self, channels=None, eps=1e-12):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        return F.normalize(x, dim=1, eps=self.eps)


NORMS = {"rms": RMSNorm, "layer": LayerNorm, "l2": L2Norm}


def make_norm(kind, channels):
    """None or 'identity' -> nn.Identity; 'rms' | 'layer' | 'l2' -> that norm over `channels`."""
    if kind in (None, "identity"):
        return nn.Identity()
    return NORMS[kind](channels)


def _channels(values, x):
    return values.to(x.dtype).view(1, -1, *[1] * (x.dim() - 2))
