"""subq's activations, gates, norms and linear projections against PyTorch's own functions (F.silu,
torch.sigmoid, F.gelu, F.softplus, F.layer_norm, the RMSNorm formula, F.normalize, F.linear),
evaluated in float64 on the same float32 inputs, through the Python binding. Prints
'N passed, M failed'."""
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

from parity import Results, random, subq, t64

TORCH_ACTIVATIONS = {
    "none": lambda t: t,
    "silu": F.silu,
    "sigmoid": torch.sigmoid,
    "gelu": lambda t: F.gelu(t, approximate="none"),
    "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
    "softplus": F.softplus,
}


def rms_norm(x, eps, dim=-1):
    return x * torch.rsqrt(x.pow(2).mean(dim, keepdim=True) + eps)


def activations(ctx, r):
    for name, fn in TORCH_ACTIVATIONS.items():
        for scale in (1.0, 6.0, 30.0):
            b = random(4, 33, scale=scale)
            r.close(f"activation {name} x{scale:g}", subq.activation(ctx.tensor(b), name).numpy(),
                    fn(t64(b)).numpy(), 1e-6)
        a, b = random(3, 8, 64), random(3, 8, 64, scale=4.0)
        r.close(f"gate {name}", subq.gate(ctx.tensor(a), ctx.tensor(b), name).numpy(),
                (t64(a) * fn(t64(b))).numpy(), 1e-6)


def gate_views(ctx, r):
    """Hyena's z = q * sigma(k) on q, k as column blocks of one [M, 3C] projection, in place into q."""
    M, C = 37, 48
    qkv = random(M, 3 * C, scale=3.0)
    t = ctx.tensor(qkv)
    q, k = t.view([M, C], [3 * C, 1], 0), t.view([M, C], [3 * C, 1], C)
    subq.gate(q, k, "sigmoid", out=q)
    expected = t64(qkv[:, :C]) * torch.sigmoid(t64(qkv[:, C:2 * C]))
    r.close("gate q * sigmoid(k) in place on QKV chunks", t.numpy()[:, :C], expected.numpy(), 1e-6)


def norms_channels_last(ctx, r):
    for C in (1, 7, 64, 768, 1031, 9000):
        x, g, b = random(5, C), random(C), random(C)
        tx, tg, tb = ctx.tensor(x), ctx.tensor(g), ctx.tensor(b)
        r.close(f"layer_norm C={C}", subq.norm(tx, "layer", tg, tb).numpy(),
                F.layer_norm(t64(x), (C,), t64(g), t64(b), eps=1e-5).numpy(), 1e-5)
        r.close(f"rms_norm C={C}", subq.norm(tx, "rms", tg).numpy(), (rms_norm(t64(x), 1e-6) * t64(g)).numpy(), 1e-5)
        r.close(f"normalize C={C}", subq.norm(tx, "l2").numpy(), F.normalize(t64(x), dim=-1).numpy(), 1e-5)
    x = random(4, 100) + 50.0
    r.close("layer_norm of offset data, eps 1e-3", subq.norm(ctx.tensor(x), "layer", eps=1e-3).numpy(),
            F.layer_norm(t64(x), (100,), eps=1e-3).numpy(), 1e-5)


def norms_channels_first(ctx, r):
    B, C, H, W = 2, 24, 5, 7
    x, g, b = random(B, C, H, W), random(C), random(C)
    expected = F.layer_norm(t64(x).movedim(1, -1), (C,), t64(g), t64(b)).movedim(-1, 1).numpy()
    r.close("layer_norm channels-first", subq.norm(ctx.tensor(x), "layer", ctx.tensor(g), ctx.tensor(b),
                                                   layout="channels_first").numpy(), expected, 1e-5)
    # channels-last storage seen channels-first, as x.permute(0, 3, 1, 2) gives in PyTorch
    stored = ctx.tensor(np.ascontiguousarray(np.moveaxis(x, 1, -1)))
    got = subq.norm(stored.permute(0, 3, 1, 2), "rms", ctx.tensor(g), layout="channels_first").numpy()
    r.close("rms_norm channels-first view of channels-last storage", got,
            (rms_norm(t64(x), 1e-6, dim=1) * t64(g)[:, None, None]).numpy(), 1e-5)
    r.close("normalize channels-first", subq.norm(ctx.tensor(x), "l2", layout="channels_first").numpy(),
            F.normalize(t64(x), dim=1).numpy(), 1e-5)


def gated_norms(ctx, r):
    """PixelHyena: layer_norm(q * act(k)); a gated RMSNorm: rms(a) * silu(b)."""
    C = 256
    a, b, g, beta = random(3, 9, C), random(3, 9, C, scale=3.0), random(C), random(C)
    got = subq.gated_norm(ctx.tensor(a), ctx.tensor(b), "gelu", "layer", ctx.tensor(g), ctx.tensor(beta)).numpy()
    expected = F.layer_norm(t64(a) * F.gelu(t64(b)), (C,), t64(g), t64(beta)).numpy()
    r.close("layer_norm(a * gelu(b))", got, expected, 1e-5)
    got = subq.gated_norm(ctx.tensor(a), ctx.tensor(b), "silu", "rms", ctx.tensor(g), gate_position="after").numpy()
    r.close("rms_norm(a) * silu(b)", got, (rms_norm(t64(a), 1e-6) * t64(g) * F.silu(t64(b))).numpy(), 1e-5)


def linears(ctx, r):
    for M, N, K, bias in ((1, 1, 1, True), (7, 5, 3, False), (33, 65, 129, True), (130, 100, 768, True),
                          (1030, 520, 64, False), (2050, 2048, 36, True)):
        x, w, b = random(M, K), random(N, K), random(N)
        got = subq.linear(ctx.tensor(x), ctx.tensor(w), ctx.tensor(b) if bias else None).numpy()
        expected = F.linear(t64(x), t64(w), t64(b) if bias else None).numpy()
        r.close(f"linear {M}x{K} -> {N}{' bias' if bias else ''}", got, expected, 1e-6 * math.sqrt(K))
    x, w = random(2, 3, 5, 40), random(24, 40)
    r.close("linear on [2, 3, 5, K]", subq.linear(ctx.tensor(x), ctx.tensor(w)).numpy(),
            F.linear(t64(x), t64(w)).numpy(), 1e-6 * math.sqrt(40))
    # channels-first activations [B, C, L] seen as [B, L, C]: a pointwise convolution, as
    # F.conv1d with a [N, C, 1] weight
    for B, C, L, N in ((2, 40, 37, 24), (2, 512, 128, 256)):
        x, w, b = random(B, C, L), random(N, C), random(N)
        got = subq.linear(ctx.tensor(x).permute(0, 2, 1), ctx.tensor(w), ctx.tensor(b)).numpy()
        expected = F.conv1d(t64(x), t64(w)[:, :, None], t64(b)).permute(0, 2, 1).numpy()
        r.close(f"linear on channels-first [{B}, {C}, {L}] -> {N} (F.conv1d, kernel 1)", got, expected,
                1e-6 * math.sqrt(C))


def profiling(ctx, r):
    """The context's stream times each dispatch while profiling is on: a gate, then a norm."""
    x = ctx.tensor(random(4, 6))
    ctx._stream.set_profiling(True)
    subq.norm(subq.gate(x, x, "silu"), "layer")
    kernels = [name for name, ms, _ in ctx._stream.profile() if ms >= 0]
    ctx._stream.set_profiling(False)
    r.record("profile names the last submission's dispatches", kernels in (["norm"], ["norm_subgroup"]),
             str(kernels))
    r.raises("profile while profiling is off raises SubqError", ctx._stream.profile, "profiling is off")


def errors(ctx, r):
    r.raises("linear with mismatched K raises SubqError",
             lambda: subq.linear(ctx.tensor(random(4, 6)), ctx.tensor(random(5, 7))), "weight", "invalid argument")
    r.raises("norm with a gamma of the wrong size raises SubqError",
             lambda: subq.norm(ctx.tensor(random(4, 6)), "layer", gamma=ctx.tensor(random(5))), "gamma")


def main():
    ctx = subq.Context()
    r = Results()
    for part in (activations, gate_views, norms_channels_last, norms_channels_first, gated_norms, linears, profiling,
                 errors):
        part(ctx, r)
    return r.finish(ctx)


if __name__ == "__main__":
    sys.exit(main())
