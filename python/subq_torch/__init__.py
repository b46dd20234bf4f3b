"""The PyTorch side of subq: its modules written in PyTorch from SPEC.md, parameter for parameter
as subq's C modules name them. Train with these, export to a subq model file, and check subq
against them (they run in float64 as well as float32).

    from subq_torch import CKConvND, Hyena, QKVSequenceMixer
"""
from .ckconv import CKConvND, KernelFiLMGenerator, RandomFourierKernel, SirenKernel
from .functional import fft_conv_causal, fft_conv_nd
from .hyena import Hyena, QKVConditionMixer, QKVSequenceMixer
from .layers import DepthwiseConv, L2Norm, LayerNorm, RMSNorm, make_norm
from .s4 import FFTConvS4

__all__ = ["CKConvND", "KernelFiLMGenerator", "RandomFourierKernel", "SirenKernel", "fft_conv_causal",
           "fft_conv_nd", "Hyena", "QKVConditionMixer", "QKVSequenceMixer", "DepthwiseConv", "L2Norm", "LayerNorm",
           "RMSNorm", "make_norm", "FFTConvS4"]
