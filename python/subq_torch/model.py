"""subq's models in PyTorch: a stack of pre-norm residual blocks, each
    x = x + mixer(norm1(x));  x = x + mlp(norm2(x))
with mixer = QKVSequenceMixer(Hyena) and mlp = Linear -> GELU -> Linear, all channels-last.

A model is built from a description (a dict that JSON holds; subq model files carry it in their
safetensors metadata), so the C runtime builds the same model from the same text:

    {"format": "subq-model", "version": 1, "task": "causal_lm" | "image",
     "hidden_dim": C, "layers": N, "mlp_hidden": H, "norm_eps": 1e-6,
     "mixer": {"type": "hyena", "short_conv": 3, "generator": "siren", "generator_hidden": 32,
               "generator_layers": 3, "omega0": 1.0, "mask": "exponential" | "gaussian" | null,
               "gate": "identity", "qk_norm": null, "pixelhyena_norm": null, "output_norm": null,
               "fft_padding": "zero"},
     causal_lm: "vocab_size": V, "max_length": L (the kernel's cache size), "vocabulary": "<chars>"
     image:     "in_channels": Cin, "image_size": [H, W], "classes": K, "head": "classify" | "pixel"}

causal_lm: tokens [B, L] -> embedding -> blocks (1D causal Hyena) -> norm -> head -> logits [B, L, V].
max_length is the kernel grid's cache size (lag L - 1 sits at coordinate 1); longer sequences run,
their kernel extends at the same step.
image: pixels [B, H, W, Cin] -> Linear(Cin, C) -> blocks (2D Hyena, 'same' short conv, zero-padded
global conv) -> norm -> 'classify': mean over pixels, head -> [B, K]; 'pixel': head per pixel -> [B, H, W, K].
"""
import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from .ckconv import CKConvND
from .hyena import Hyena, QKVSequenceMixer
from .layers import DepthwiseConv, RMSNorm

MIXER_DEFAULTS = {"type": "hyena", "short_conv": 3, "generator": "siren", "generator_hidden": 32,
                  "generator_layers": 3, "omega0": 1.0, "mask": "exponential", "gate": "identity", "qk_norm": None,
                  "pixelhyena_norm": None, "output_norm": None, "fft_padding": "zero"}
TASKS = ("causal_lm", "image")


def complete(description):
    """The description with every default filled in and its fields checked (ValueError naming the field)."""
    d = copy.deepcopy(description)
    d.setdefault("format", "subq-model")
    d.setdefault("version", 1)
    if d["format"] != "subq-model" or d["version"] != 1:
        raise ValueError(f"format/version: expected subq-model 1, got {d['format']} {d['version']}")
    if d.get("task") not in TASKS:
        raise ValueError(f"task: expected one of {TASKS}, got {d.get('task')!r}")
    d.setdefault("norm_eps", 1e-6)
    d.setdefault("mlp_hidden", 4 * d["hidden_dim"])
    d["mixer"] = {**MIXER_DEFAULTS, **d.get("mixer", {})}
    if d["mixer"]["type"] != "hyena":
        raise ValueError(f"mixer.type: expected 'hyena', got {d['mixer']['type']!r}")
    if d["task"] == "causal_lm":
        for key in ("vocab_size", "max_length"):
            if not isinstance(d.get(key), int) or d[key] < 1:
                raise ValueError(f"{key}: a causal_lm needs a positive integer")
    else:
        d.setdefault("head", "classify")
        for key in ("in_channels", "classes"):
            if not isinstance(d.get(key), int) or d[key] < 1:
                raise ValueError(f"{key}: an image model needs a positive integer")
        if len(d.get("image_size", [])) != 2:
            raise ValueError("image_size: an image model needs [H, W]")
    return d


class MLP(nn.Module):
    def __init__(self, channels, hidden):
        super().__init__()
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


def make_mixer(d):
    m, c, causal = d["mixer"], d["hidden_dim"], d["task"] == "causal_lm"
    dim = 1 if causal else 2
    cache = d["max_length"] if causal else list(d["image_size"])
    conv = CKConvND(dim, c, cache, generator=m["generator"], generator_hidden=m["generator_hidden"],
                    generator_layers=m["generator_layers"], omega0=m["omega0"], mask=m["mask"],
                    fft_padding=m["fft_padding"], is_causal=causal)
    short = DepthwiseConv(dim, 3 * c, m["short_conv"], causal=causal) if m["short_conv"] else None
    hyena = Hyena(conv, short, gate=m["gate"], pixelhyena_norm=m["pixelhyena_norm"], qk_norm=m["qk_norm"],
                  output_norm=m["output_norm"])
    mixer = QKVSequenceMixer(c, hyena)
    mixer.init(0.02, 0.02 / math.sqrt(2 * d["layers"]))
    return mixer


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        c = d["hidden_dim"]
        self.norm1 = RMSNorm(c, d["norm_eps"], dim=-1)
        self.mixer = make_mixer(d)
        self.norm2 = RMSNorm(c, d["norm_eps"], dim=-1)
        self.mlp = MLP(c, d["mlp_hidden"])

    def forward(self, x):
        x = x + self.mixer(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class Model(nn.Module):
    """The model a description names; forward(tokens [B, L] int64) or forward(pixels [B, H, W, Cin])."""

    def __init__(self, description):
        super().__init__()
        d = self.description = complete(description)
        c = d["hidden_dim"]
        if d["task"] == "causal_lm":
            self.embedding = nn.Embedding(d["vocab_size"], c)
            nn.init.normal_(self.embedding.weight, 0, 0.02)
        else:
            self.embedding = nn.Linear(d["in_channels"], c)
        self.blocks = nn.ModuleList(Block(d) for _ in range(d["layers"]))
        self.norm = RMSNorm(c, d["norm_eps"], dim=-1)
        out = d["vocab_size"] if d["task"] == "causal_lm" else d["classes"]
        self.head = nn.Linear(c, out, bias=d["task"] != "causal_lm")

    def forward(self, x):
        h = self.embedding(x)
        for block in self.blocks:
            h = block(h)
        h = self.norm(h)
        if self.description["task"] == "image" and self.description["head"] == "classify":
            h = h.mean(dim=(1, 2))
        return self.head(h)
