"""f16 and bf16 tensors against PyTorch: every input rounded to its dtype first, then the float64
PyTorch formula on those rounded values is the reference; subq computes in fp32 and rounds its
output once. Tolerances (max |y - ref| / max(1, max |ref|)) are the output dtype's rounding, half
an ulp (f16 2^-11, bf16 2^-8), with room for fp32 accumulation: f32 1e-5, f16 1e-3, bf16 8e-3.
Conversions (subq_tensor_copy between dtypes) must round exactly as PyTorch does (to nearest,
ties to even). Prints 'N passed, M failed'."""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from parity import Results, error, random, subq

DTYPES = ["float32", "float16", "bfloat16"]
TORCH = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
TOLERANCE = {"float32": 1e-5, "float16": 1e-3, "bfloat16": 8e-3}


def device(ctx, values, dtype):
    """The tensor in dtype and the float64 torch tensor of exactly the values it holds."""
    t = ctx.tensor(values, dtype)
    return t, torch.from_numpy(t.numpy().astype(np.float64))


def check(r, name, got, expected, dtype):
    e = error(got.numpy().astype(np.float64), expected.numpy())
    r.record(f"{name} [{dtype}] error {e:.2e}", e < TOLERANCE[dtype])


def conversions(ctx, r):
    values = np.concatenate([random(4099) * 300, np.array([0.0, -0.0, 1e-8, 65504, 70000, np.inf, -np.inf],
                                                          dtype=np.float32)])
    x = ctx.tensor(values)
    for dtype in ("float16", "bfloat16"):
        y = ctx.empty(values.shape, dtype)
        subq.copy(x, y)
        expected = torch.from_numpy(values).to(TORCH[dtype]).float().numpy()
        r.record(f"f32 -> {dtype} rounds as torch", np.array_equal(y.numpy(), expected))
        back = ctx.empty(values.shape)
        subq.copy(y, back)
        r.record(f"{dtype} -> f32 exact", np.array_equal(back.numpy(), expected))


def elementwise(ctx, r):
    shape = (3, 17, 33)
    for dtype in DTYPES:
        a, ta = device(ctx, random(*shape), dtype)
        b, tb = device(ctx, random(*shape) * 3, "bfloat16" if dtype == "float16" else dtype)
        check(r, "gate silu (b in another dtype)", subq.gate(a, b, "silu"), ta * F.silu(tb), dtype)
        check(r, "activation gelu", subq.activation(a, "gelu"), F.gelu(ta), dtype)


def norms(ctx, r):
    for layout, shape in (("channels_last", (2, 9, 300)), ("channels_first", (2, 40, 13))):
        axis = -1 if layout == "channels_last" else 1
        channels = shape[axis]
        view = [1] * len(shape)
        view[axis] = channels
        for dtype in DTYPES:
            x, tx = device(ctx, random(*shape) + 2, dtype)
            g, tg = device(ctx, random(channels), dtype)
            b, tb = device(ctx, random(channels), dtype)
            mean = tx.mean(axis, keepdim=True)
            var = ((tx - mean) ** 2).mean(axis, keepdim=True)
            ref = (tx - mean) / torch.sqrt(var + 1e-5) * tg.view(view) + tb.view(view)
            check(r, f"layer norm {layout}", subq.norm(x, "layer", g, b, layout=layout), ref, dtype)
            z, tz = device(ctx, random(*shape), dtype)
            rms = tx * F.silu(tz)
            ref = rms * torch.rsqrt((rms ** 2).mean(axis, keepdim=True) + 1e-6) * tg.view(view)
            check(r, f"gated rms norm {layout}", subq.gated_norm(x, z, "silu", "rms", g, layout=layout), ref, dtype)


def depthwise(ctx, r):
    for shape, kernel in (((2, 6, 101), (4,)), ((2, 6, 257), (31,)), ((1, 4, 9, 11), (3, 5)),
                          ((1, 3, 5, 6, 7), (3, 3, 3))):
        channels = shape[1]
        conv = (F.conv1d, F.conv2d, F.conv3d)[len(kernel) - 1]
        for dtype in DTYPES:
            x, tx = device(ctx, random(*shape), dtype)
            w, tw = device(ctx, random(channels, *kernel), dtype)
            b, tb = device(ctx, random(channels), dtype)
            pads = []
            for k in reversed(kernel):
                pads += [(k - 1) // 2, k - 1 - (k - 1) // 2]
            ref = conv(F.pad(tx, pads), tw.unsqueeze(1), tb, groups=channels)
            check(r, f"depthwise conv {shape} K{kernel}", subq.depthwise_conv(x, w, b, padding="same"), ref, dtype)


def causal(ctx, r):
    batch, dim, length, width = 2, 5, 67, 4
    for dtype in DTYPES:
        x, tx = device(ctx, random(batch, dim, length), dtype)
        w, tw = device(ctx, random(dim, width), dtype)
        b, tb = device(ctx, random(dim), dtype)
        init, tinit = device(ctx, random(batch, dim, width - 1), dtype)
        full = torch.cat([tinit, tx], dim=-1)
        ref = F.silu(F.conv1d(full, tw.unsqueeze(1), tb, groups=dim))
        out, final = subq.causal_conv1d(x, w, b, initial_states=init, activation="silu", return_final_states=True)
        check(r, "causal_conv1d silu, initial and final states", out, ref, dtype)
        check(r, "causal_conv1d final states", final, full[..., -(width - 1):], dtype)
        state, tstate = device(ctx, random(batch, dim, width - 1), dtype)
        token, ttoken = device(ctx, random(batch, dim), dtype)
        y = subq.causal_conv1d_update(token, state, w, b)
        window = torch.cat([tstate, ttoken.unsqueeze(-1)], dim=-1)
        check(r, "causal_conv1d_update", y, (window * tw).sum(-1) + tb, dtype)
        check(r, "causal_conv1d_update state", state, window[..., 1:], dtype)

    lengths, width = [5, 1, 40, 3], 4
    cu = np.cumsum([0] + lengths).astype(np.int32)
    for dtype in DTYPES:
        x, tx = device(ctx, random(int(cu[-1]), 6), dtype)
        w, tw = device(ctx, random(6, width), dtype)
        b, tb = device(ctx, random(6), dtype)
        pieces = [F.silu(F.conv1d(F.pad(tx[s:e].t().unsqueeze(0), (width - 1, 0)), tw.unsqueeze(1), tb, groups=6))[0].t()
                  for s, e in zip(cu[:-1], cu[1:])]
        y = subq.causal_conv1d_varlen(x, w, b, ctx.tensor(cu), host_cu_seqlens=cu)
        check(r, "causal_conv1d_varlen", y, torch.cat(pieces), dtype)


def linear(ctx, r):
    """K a multiple of 8 takes the tensor-core path for f16 where the device has one: ragged M
    and N blocks, one row, and K over many steps."""
    for m, k, n in ((37, 19, 23), (130, 64, 96), (1, 8, 8), (257, 200, 136), (300, 776, 264), (64, 4104, 40)):
        for dtype in DTYPES:
            x, tx = device(ctx, random(m, k), dtype)
            w, tw = device(ctx, random(n, k, scale=1 / np.sqrt(k)), dtype)
            b, tb = device(ctx, random(n), dtype)
            check(r, f"linear {m}x{k} -> {n}", subq.linear(x, w, b), F.linear(tx, tw, tb), dtype)


def fft(ctx, r):
    """Causal gated (the fused single-dispatch path at 1000, the general VkFFT path at 9000, the
    four-step path at 16384) and a 2D zero-padded conv; x, pre, post, shortcut, kernel and y all in
    the dtype."""
    from subq_torch import fft_conv_causal, fft_conv_nd
    for size, causal in (((1000,), True), ((9000,), True), ((16384,), True), ((12, 10), False)):
        shape = (2, 3, *size)
        kshape = (1, 3, *size) if causal else (1, 3, *[2 * n - 1 for n in size])
        for dtype in DTYPES:
            x, tx = device(ctx, random(*shape), dtype)
            pre, tpre = device(ctx, random(*shape), dtype)
            post, tpost = device(ctx, random(*shape), dtype)
            d, td = device(ctx, random(3), dtype)
            k, tk = device(ctx, random(*kshape, scale=1 / np.sqrt(np.prod(size))), dtype)
            u = tx * tpre
            conv = fft_conv_causal(u, tk) if causal else fft_conv_nd(u, tk, ["zero"] * len(size))
            ref = tpost * (conv + td.view(1, -1, *[1] * len(size)) * u)
            y = subq.FFTKernel(k, list(size), causal=causal)(x, pre=pre, post=post, shortcut=d)
            check(r, f"fft conv {'causal' if causal else 'zero-padded'} {size} gated", y, ref, dtype)


def errors(ctx, r):
    x = ctx.tensor(np.ones((2, 3), dtype=np.int32))
    r.raises("gate of int32 names a and the dtypes it takes", lambda: subq.gate(x, x, "silu"), "a: expected dtype f32, f16 or bf16")
    y = ctx.empty((2, 3), "float16")
    r.raises("copy int32 -> f16 is refused", lambda: subq.copy(x, y), "destination")


def main():
    ctx = subq.Context()
    r = Results()
    conversions(ctx, r)
    elementwise(ctx, r)
    norms(ctx, r)
    depthwise(ctx, r)
    causal(ctx, r)
    linear(ctx, r)
    fft(ctx, r)
    errors(ctx, r)
    sys.exit(r.finish(ctx))


if __name__ == "__main__":
    main()
