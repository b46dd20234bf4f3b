"""subq's CKConv kernel generator (grid, SIREN, masks) against the same network built in PyTorch
(torch.meshgrid, F.linear, torch.sin), evaluated in float64 on the same float32 inputs, through the
Python binding. The SIREN is compared at 1e-5 per layer relative to max(1, max|k|): every layer's
fp32 dot products and sines round at about 1e-6 of O(1) values. Prints 'N passed, M failed'."""
import math
import sys

import numpy as np
import torch
import torch.nn.functional as F

from parity import Results, random, subq, t64

LAYER_TOL = 1e-5


def torch_grid(size, cache, types):
    """SPEC: linspace(-1, 1, 2 L_cache - 1) per axis, the centre 2g - 1 points, extended at its step."""
    axes = []
    for n, lc, t in zip(size, cache, types):
        g = n if t == "double" else (n + 1) // 2
        axes.append((torch.arange(2 * g - 1, dtype=torch.float64) - (g - 1)) / (lc - 1))
    mesh = torch.meshgrid(*axes, indexing="ij")
    return torch.stack(mesh, dim=-1).reshape(-1, len(size))


def torch_siren(p, w0, b0, wh, bh, wout, bout, gamma, beta):
    h = torch.sin(F.linear(p, w0, b0))
    layers = 1 + (0 if wh is None else wh.shape[0])
    if gamma is not None:
        h = h.unsqueeze(0)
    for layer in range(layers):
        if layer > 0:
            h = torch.sin(F.linear(h, wh[layer - 1], bh[layer - 1]))
        if gamma is not None:
            h = gamma[:, layer, None, :] * h + beta[:, layer, None, :]
    k = F.linear(h, wout, bout)
    return k if gamma is not None else k.unsqueeze(0)


def torch_mask(p, params, kind, min_std, max_std):
    """[P, C] mask; params [D, C]."""
    if kind == "gaussian":
        sigma = params.clamp(min_std, max_std)
        return torch.exp(-0.5 * (p[:, :, None] ** 2 / sigma[None] ** 2).sum(1))
    return torch.exp(-(p[:, :, None].abs() * params[None].abs()).sum(1))


def case(ctx, r, size, cache, types, hidden, layers, channels, film_batch, mask, omega):
    name = f"ckconv {size}/{cache} {types} H{hidden} x{layers} C{channels} film {film_batch} {mask}"
    grid = subq.ckconv_grid(ctx, size, cache, types)
    r.close(name + " grid", grid.numpy(), torch_grid(size, cache, types).numpy(), 1e-6)
    d = len(size)
    w = {"w0": random(hidden, d, scale=omega), "b0": random(hidden), "w_out": random(channels, hidden),
         "b_out": random(channels)}
    if layers > 1:
        w["w_hidden"] = random(layers - 1, hidden, hidden, scale=math.sqrt(6 / hidden))
        w["b_hidden"] = random(layers - 1, hidden)
    if film_batch:
        w["film_gamma"] = random(film_batch, layers, hidden)
        w["film_beta"] = random(film_batch, layers, hidden)
    kernel = subq.ckconv_siren(grid, **{k: ctx.tensor(v) for k, v in w.items()})
    p = t64(grid.numpy())
    ref = torch_siren(p, t64(w["w0"]), t64(w["b0"]), t64(w["w_hidden"]) if layers > 1 else None,
                      t64(w["b_hidden"]) if layers > 1 else None, t64(w["w_out"]), t64(w["b_out"]),
                      t64(w["film_gamma"]) if film_batch else None, t64(w["film_beta"]) if film_batch else None)
    got = kernel.numpy()
    r.close(name + " siren", got, ref.numpy(), LAYER_TOL * layers)
    if mask:
        params = random(d, channels, scale=5.0 if mask == "exponential" else 1.0)
        min_std, max_std = (2 / (max(cache) - 1)) * math.sqrt(-1 / (2 * math.log(0.1))), math.sqrt(
            -1 / (2 * math.log(0.95)))
        subq.ckconv_mask(kernel, grid, ctx.tensor(params), mask, min_std, max_std)
        expected = t64(got) * torch_mask(p, t64(params), mask, float(np.float32(min_std)), float(np.float32(max_std)))[None]
        r.close(name + " mask", kernel.numpy(), expected.numpy(), 1e-5)


def errors(ctx, r):
    r.raises("grid with L_cache = 1 raises SubqError", lambda: subq.ckconv_grid(ctx, [4], [1]), "cache_size")


def main():
    ctx = subq.Context()
    r = Results()
    case(ctx, r, [9], [9], ["double"], 16, 3, 8, 0, None, 30.0)
    case(ctx, r, [20], [6], ["single"], 32, 2, 5, 2, "gaussian", 10.0)
    case(ctx, r, [11], [40], ["double"], 64, 4, 40, 0, "exponential", 30.0)
    case(ctx, r, [5, 6], [5, 3], ["double", "single"], 8, 2, 3, 3, "gaussian", 15.0)
    case(ctx, r, [3, 4, 3], [3, 4, 2], ["single", "double", "double"], 12, 1, 6, 0, "exponential", 30.0)
    errors(ctx, r)
    return r.finish(ctx)


if __name__ == "__main__":
    sys.exit(main())
