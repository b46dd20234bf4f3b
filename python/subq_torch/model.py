"""subq's models in PyTorch: a stack of pre-norm residual blocks, each
    x = x + mixer(norm1(x));  x = x + mlp(norm2(x))
with mixer = QKVSequenceMixer(Hyena) or an S4 block (S4Mixer), and mlp = Linear -> GELU -> Linear,
all channels-last.

A model is built from a description (a dict that JSON holds; subq model files carry it in their
safetensors metadata), so the C runtime builds the same model from the same text:

    {"format": "subq-model", "version": 1, "task": "causal_lm" | "image",
     "hidden_dim": C, "layers": N, "mlp_hidden": H, "norm_eps": 1e-6,
     "mixer": {"type": "hyena", "short_conv": 3, "generator": "siren", "generator_hidden": 32,
               "generator_layers": 3, "omega0": 1.0, "mask": "exponential" | "gaussian" | null,
               "gate": "identity", "qk_norm": null, "pixelhyena_norm": null, "output_norm": null,
               "fft_padding": "zero"}
          or {"type": "s4", "kernel_type": "s4d" | "s4" (required), "d_state": 64, "n_ssm": null,
               "disc": "zoh" | "bilinear" (s4d only), "dt_min": 0.001, "dt_max": 0.1, "l_max": null},
     causal_lm: "vocab_size": V, "max_length": L (the kernel's cache size), "vocabulary": "<chars>"
     image:     "in_channels": Cin, "image_size": [H, W], "classes": K, "head": "classify" | "pixel"}

causal_lm: tokens [B, L] -> embedding -> blocks (1D causal Hyena) -> norm -> head -> logits [B, L, V].
max_length is the kernel grid's cache size (lag L - 1 sits at coordinate 1); longer sequences run,
their kernel extends at the same step.
image: pixels [B, H, W, Cin] -> Linear(Cin, C) -> blocks (2D Hyena, 'same' short conv, zero-padded
global conv) -> norm -> 'classify': mean over pixels, head -> [B, K]; 'pixel': head per pixel -> [B, H, W, K].

The s4 mixer is the S4 block of state-spaces/s4 (S4Block with its defaults) around lrnnx's FFTConvS4
(subq_torch.s4; channels 1, not transposed, no dropout):
    y = FFTConvS4(x) + D * x;  out = GLU(output_linear(GELU(y)))
D [1, C] (lrnnx's S4 block: its D, init randn), output_linear = Linear(C, 2C), GLU(z) = z[..., :C] *
sigmoid(z[..., C:]) (state-spaces' final_act="glu"). lrnnx's S4 class keeps final_act="glu" in its
signature but its LinearActivation drops it for a GELU, and adds a second GELU as mult_act where
state-spaces has none; those are its port's departures, so the block here is state-spaces'. Fields
and defaults are FFTConvS4's as lrnnx gives them (kernel_type has no default there either); the
kernels' init is subq_torch.s4's ('legs'). Weights: blocks.<i>.mixer.{D, output_linear.weight,
output_linear.bias, layer.kernel.<A_real, A_imag, B, C, P (s4), inv_dt>}.
An s4 kernel's C is C~, set up for l_max, or when l_max is null for the longest sequence the model
describes (max_length; image: H * W): longer inputs are refused instead of lrnnx's doubling of C~
in place. An S4 block is causal, so a causal_lm generates with its recurrence (subq: prefill with a
state, then FFTConvS4's step per token). An image model runs it over the row-major flattened pixels,
as S4 runs on sequential images (sCIFAR): each pixel sees the rows above and the pixels to its left.
That is S4's own 2D protocol and leaves the classifier's mean pooling well defined; the per-pixel
head then predicts from a causal context, which is what a raster-order S4 means.
"""
import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from .ckconv import CKConvND
from .hyena import Hyena, QKVSequenceMixer
from .layers import DepthwiseConv, RMSNorm
from .s4 import FFTConvS4

MIXER_DEFAULTS = {"type": "hyena", "short_conv": 3, "generator": "siren", "generator_hidden": 32,
                  "generator_layers": 3, "omega0": 1.0, "mask": "exponential", "gate": "identity", "qk_norm": None,
                  "pixelhyena_norm": None, "output_norm": None, "fft_padding": "zero"}
S4_DEFAULTS = {"type": "s4", "d_state": 64, "n_ssm": None, "dt_min": 0.001, "dt_max": 0.1, "l_max": None}
S4_KERNELS = ("s4d", "s4")
TASKS = ("causal_lm", "image")


def complete_s4(m, hidden_dim):
    """The s4 mixer's fields with lrnnx's defaults, each checked (ValueError naming it)."""
    m = {**S4_DEFAULTS, **m}
    unknown = set(m) - set(S4_DEFAULTS) - {"kernel_type", "disc"}
    if unknown:
        raise ValueError(f"mixer: unknown field(s) {sorted(unknown)} for type 's4'")
    if m.get("kernel_type") not in S4_KERNELS:
        raise ValueError(f"mixer.kernel_type: expected one of {S4_KERNELS}, got {m.get('kernel_type')!r}")
    if m["kernel_type"] == "s4d":
        m.setdefault("disc", "zoh")
        if m["disc"] not in ("zoh", "bilinear"):
            raise ValueError(f"mixer.disc: expected 'zoh' or 'bilinear', got {m['disc']!r}")
    elif "disc" in m:
        raise ValueError("mixer.disc: only kernel_type 's4d' takes it (the s4 DPLR kernel is bilinear)")
    d_state, n_ssm = m["d_state"], m["n_ssm"]
    if not isinstance(d_state, int) or d_state < 2 or d_state % 2:
        raise ValueError(f"mixer.d_state: expected an even integer >= 2, got {d_state!r}")
    if n_ssm is not None and (not isinstance(n_ssm, int) or n_ssm < 1 or hidden_dim % n_ssm):
        raise ValueError(f"mixer.n_ssm: expected null or an integer dividing hidden_dim {hidden_dim}, got {n_ssm!r}")
    for key in ("dt_min", "dt_max"):
        if not isinstance(m[key], (int, float)) or not m[key] > 0:
            raise ValueError(f"mixer.{key}: expected a number > 0, got {m[key]!r}")
    if m["dt_max"] < m["dt_min"]:
        raise ValueError(f"mixer.dt_max: expected >= dt_min {m['dt_min']}, got {m['dt_max']}")
    if m["l_max"] is not None and (not isinstance(m["l_max"], int) or m["l_max"] < 1):
        raise ValueError(f"mixer.l_max: expected null or a positive integer, got {m['l_max']!r}")
    return m


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
    mixer = d.get("mixer", {})
    if mixer.get("type", "hyena") == "s4":
        d["mixer"] = complete_s4(mixer, d["hidden_dim"])
    else:
        d["mixer"] = {**MIXER_DEFAULTS, **mixer}
        if d["mixer"]["type"] != "hyena":
            raise ValueError(f"mixer.type: expected 'hyena' or 's4', got {d['mixer']['type']!r}")
        unknown = set(d["mixer"]) - set(MIXER_DEFAULTS)
        if unknown:
            raise ValueError(f"mixer: unknown field(s) {sorted(unknown)} for type 'hyena'")
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


class S4Mixer(nn.Module):
    """The s4 mixer (see the module's docstring): x [B, *S, C] -> [B, *S, C] over S flattened row-major."""

    def __init__(self, d):
        super().__init__()
        m, c = d["mixer"], d["hidden_dim"]
        longest = d["max_length"] if d["task"] == "causal_lm" else math.prod(d["image_size"])
        self.layer = FFTConvS4(c, l_max=m["l_max"], channels=1, transposed=False, kernel_type=m["kernel_type"],
                               d_state=m["d_state"], n_ssm=m["n_ssm"], dt_min=m["dt_min"], dt_max=m["dt_max"],
                               disc=m.get("disc", "zoh"), l_kernel=m["l_max"] or longest)
        self.D = nn.Parameter(torch.randn(1, c))
        self.output_linear = nn.Linear(c, 2 * c)

    def forward(self, x):
        u = x.reshape(x.shape[0], -1, x.shape[-1])
        y, _ = self.layer(u)  # [B, 1, C, L]
        y = y[:, 0].transpose(1, 2) + u * self.D[0]
        return F.glu(self.output_linear(F.gelu(y)), dim=-1).reshape(x.shape)


def make_mixer(d):
    if d["mixer"]["type"] == "s4":
        return S4Mixer(d)
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
