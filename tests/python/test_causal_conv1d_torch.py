"""subq's causal conv1d family against PyTorch formulations of Dao's causal_conv1d_fn /
causal_conv1d_update and Megatron's causal_conv1d_varlen_fn, on fresh random inputs, through the
Python binding. Prints 'N passed, M failed'."""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from parity import Results, random, subq

TOLERANCE = 1e-5
results = Results()


def check(name, got, expected):
    results.close(name, got, expected, TOLERANCE)


def torch_causal_conv(x, w, b, init, silu):
    """Dao's reference: F.conv1d over cat(initial_states, x), SiLU, and the last W-1 columns."""
    xt, W = torch.from_numpy(x).double(), w.shape[1]
    start = torch.from_numpy(init).double() if init is not None else torch.zeros(x.shape[0], x.shape[1], W - 1,
                                                                                  dtype=torch.float64)
    full = torch.cat([start, xt], dim=-1)
    y = F.conv1d(full, torch.from_numpy(w).double().unsqueeze(1),
                 torch.from_numpy(b).double() if b is not None else None, groups=x.shape[1])
    return (F.silu(y) if silu else y).numpy(), full[..., full.shape[-1] - (W - 1):].numpy()


def test_causal_conv1d(ctx):
    for B, D, L, W, silu, channels_last, with_init in [(2, 5, 33, 4, True, False, True), (1, 8, 17, 2, False, True, False),
                                                       (3, 4, 64, 7, True, True, True), (2, 3, 5, 3, False, False, False)]:
        x, w, b = random(B, D, L), random(D, W), random(D)
        init = random(B, D, W - 1) if with_init else None
        expected, final_expected = torch_causal_conv(x, w, b, init, silu)
        tx = ctx.tensor(np.moveaxis(x, 1, 2).copy()).permute(0, 2, 1) if channels_last else ctx.tensor(x)
        y, final = subq.causal_conv1d(tx, ctx.tensor(w), ctx.tensor(b), initial_states=ctx.tensor(init) if with_init
                                      else None, activation="silu" if silu else None, return_final_states=True)
        name = f"causal_conv1d B={B} D={D} L={L} W={W} silu={silu} channels_last={channels_last} init={with_init}"
        check(name, y.numpy(), expected)
        check(name + " final_states", final.numpy(), final_expected)


def test_update_matches_full(ctx):
    """Token by token through causal_conv1d_update equals the full causal conv (Dao's contract)."""
    B, D, L, W = 2, 6, 12, 4
    x, w, b = random(B, D, L), random(D, W), random(D)
    expected, _ = torch_causal_conv(x, w, b, None, True)
    state = ctx.tensor(np.zeros((B, D, W - 1), np.float32))
    tw, tb = ctx.tensor(w), ctx.tensor(b)
    outs = [subq.causal_conv1d_update(ctx.tensor(x[:, :, t].copy()), state, tw, tb, activation="silu").numpy()
            for t in range(L)]
    check("causal_conv1d_update token by token", np.stack(outs, axis=-1), expected)


def test_varlen(ctx):
    D, W, lengths = 7, 4, [5, 0, 1, 2, 30, 9]
    cu = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    T, R = int(cu[-1]), len(lengths)
    x, w, b, init = random(T, D), random(D, W), random(D), random(R, D, W - 1)
    expected = np.zeros((T, D))
    for r in range(R):
        if lengths[r] == 0:
            continue
        seq = torch.cat([torch.from_numpy(init[r]).double(), torch.from_numpy(x[cu[r]:cu[r + 1]].T).double()], 1)
        y = F.silu(F.conv1d(seq[None], torch.from_numpy(w).double().unsqueeze(1), torch.from_numpy(b).double(),
                            groups=D))[0]
        expected[cu[r]:cu[r + 1]] = y.T.numpy()
    y = subq.causal_conv1d_varlen(ctx.tensor(x), ctx.tensor(w), ctx.tensor(b), ctx.tensor(cu), ctx.tensor(init),
                                  host_cu_seqlens=cu)
    check(f"causal_conv1d_varlen lengths {lengths}", y.numpy(), expected)


def main():
    ctx = subq.Context()
    test_causal_conv1d(ctx)
    test_update_matches_full(ctx)
    test_varlen(ctx)
    return results.finish(ctx)

if __name__ == "__main__":
    sys.exit(main())
