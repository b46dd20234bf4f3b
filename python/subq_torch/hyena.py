"""Hyena and the QKV mixers around it (SPEC.md sections 3 and 5), channels-last [B, *S, C] at the
interface as nvSubquadratic's modules are."""
import math

import torch
from torch import nn

from .ckconv import ACTIVATIONS
from .layers import make_norm


class Hyena(nn.Module):
    """y = output_norm(global_conv(pixelhyena_norm(q_norm(q) * gate(k_norm(k)))) * gate_2(v)), with an
    optional depthwise short convolution over cat(q, k, v) first.

    global_conv: a CKConvND over C channels. short_conv: a DepthwiseConv over 3C channels or None.
    gate, gate_2: activation names ('identity', 'silu', 'sigmoid', 'gelu', ...); gate_2 None = gate.
    Norm arguments: None, 'rms', 'layer' or 'l2'. k_norm exists only when gate is 'identity'."""

    def __init__(self, global_conv, short_conv=None, gate="identity", pixelhyena_norm=None, qk_norm=None,
                 output_norm=None, gate_2=None):
        super().__init__()
        c = global_conv.hidden_dim
        if short_conv is not None and short_conv.channels != 3 * c:
            raise ValueError(f"short_conv: expected 3C = {3 * c} channels, got {short_conv.channels}")
        self.global_conv, self.short_conv = global_conv, short_conv
        self.gate_name, self.gate_2_name = gate, gate if gate_2 is None else gate_2
        self.qk_norm_kind = qk_norm
        self.q_norm = make_norm(qk_norm, c) if qk_norm else None
        self.k_norm = (make_norm(qk_norm, c) if gate == "identity" else nn.Identity()) if qk_norm else None
        self.pixelhyena_norm = make_norm(pixelhyena_norm, c)
        self.output_norm = make_norm(output_norm, c)

    def forward(self, q, k, v, conditioning=None):
        q, k, v = (t.movedim(-1, 1) for t in (q, k, v))
        if self.short_conv is not None:
            q, k, v = self.short_conv(torch.cat([q, k, v], dim=1)).chunk(3, dim=1)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        z = self.pixelhyena_norm(q * ACTIVATIONS[self.gate_name](k))
        h = self.global_conv(z, conditioning=conditioning)
        y = self.output_norm(h * ACTIVATIONS[self.gate_2_name](v))
        return y.movedim(1, -1)

    def flop_count(self, spatial_dims, inference=False):
        """SPEC.md section 3's formulas, per sample; a distributed short conv counts as any depthwise one."""
        c, s = self.global_conv.hidden_dim, math.prod(spatial_dims)
        count = self.short_conv.flop_count(spatial_dims) if self.short_conv is not None else 0
        if self.q_norm is not None:
            count += 3 * c * s * (2 if self.gate_name == "identity" else 1)
        count += c * s * (1 if self.gate_name == "identity" else 2)
        count += 0 if isinstance(self.pixelhyena_norm, nn.Identity) else 3 * c * s
        count += self.global_conv.flop_count(spatial_dims, inference)
        count += c * s * (1 if self.gate_2_name == "identity" else 2)
        count += 0 if isinstance(self.output_norm, nn.Identity) else 3 * c * s
        return int(count)

    def extra_repr(self):
        norm = lambda m: "None" if m is None else type(m).__name__  # noqa: E731
        text = f"q_norm={norm(self.q_norm)}, k_norm={norm(self.k_norm)}"
        if self.gate_name != self.gate_2_name:
            text += f", gates={self.gate_name}/{self.gate_2_name}"
        return text + f", is_causal={self.global_conv.is_causal}"


class QKVSequenceMixer(nn.Module):
    """q, k, v = chunk(qkv_proj(x), 3); y = out_proj(mixer(q, k, v)); any spatial rank [B, *S, C]."""

    def __init__(self, hidden_dim, mixer, qkv_bias=False, out_proj_bias=False):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.qkv_proj = nn.Linear(hidden_dim, 3 * hidden_dim, bias=qkv_bias)
        self.mixer = mixer
        self.out_proj = nn.Linear(hidden_dim, hidden_dim, bias=out_proj_bias)

    def init(self, std_in, std_out):
        """The seed's init methods as normal(0, std) weights and zero biases."""
        with torch.no_grad():
            for layer, std in ((self.qkv_proj, std_in), (self.out_proj, std_out)):
                layer.weight.normal_(0, std)
                if layer.bias is not None:
                    layer.bias.zero_()

    def forward(self, x, conditioning=None):
        q, k, v = self.qkv_proj(x).chunk(3, dim=-1)
        return self.out_proj(self.mixer(q, k, v, conditioning=conditioning))

    def flop_count(self, spatial_dims, inference=False):
        t, c = math.prod(spatial_dims), self.hidden_dim
        return 6 * t * c * c + self.mixer.flop_count(spatial_dims, inference) + 2 * t * c * c

    def extra_repr(self):
        return (f"hidden_dim={self.hidden_dim}, qkv_bias={self.qkv_proj.bias is not None}, "
                f"out_proj_bias={self.out_proj.bias is not None}")


class QKVConditionMixer(nn.Module):
    """Cross-attention-style: q = q_proj(x); k, v = chunk(kv_proj(condition [B, C]), 2), each held
    constant over the spatial axes; y = out_proj(mixer(q, k, v)). No biases."""

    def __init__(self, hidden_dim, mixer):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.q_proj = nn.Linear(hidden_dim, hidden_dim, bias=False)
        self.kv_proj = nn.Linear(hidden_dim, 2 * hidden_dim, bias=False)
        self.mixer = mixer
        self.out_proj = nn.Linear(hidden_dim, hidden_dim, bias=False)

    def forward(self, x, condition, conditioning=None):
        q = self.q_proj(x)
        k, v = self.kv_proj(condition).chunk(2, dim=-1)
        shape = (k.shape[0],) + (1,) * (x.dim() - 2) + (self.hidden_dim,)
        k, v = k.reshape(shape).expand_as(q), v.reshape(shape).expand_as(q)
        return self.out_proj(self.mixer(q, k, v, conditioning=conditioning))

    def flop_count(self, spatial_dims, inference=False):
        t, c = math.prod(spatial_dims), self.hidden_dim
        return 2 * t * c * c + 4 * c * c + self.mixer.flop_count(spatial_dims, inference) + 2 * t * c * c

    def extra_repr(self):
        return f"hidden_dim={self.hidden_dim}"
