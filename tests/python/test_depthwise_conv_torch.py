"""subq's depthwise conv against PyTorch's own F.conv{1,2,3}d (groups = C), on fresh random inputs,
through the Python binding. Prints 'N passed, M failed'."""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from parity import Results, error, random, subq

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def torch_reference(x, w, b, groups, padding, kernel):
    """DistributedDepthwiseConvNd's forward in PyTorch: expand [G, *K] to [C, 1, *K], then conv."""
    C = x.shape[1]
    weight = torch.from_numpy(w).repeat_interleave(C // groups, dim=0).unsqueeze(1)
    bias = torch.from_numpy(b).repeat_interleave(C // groups) if b is not None else None
    xt = torch.from_numpy(x).double()
    if padding == "causal":
        xt = F.pad(xt, (kernel[0] - 1, 0))
        pad = 0
    elif padding == "same":
        pads = []
        for k in reversed(kernel):
            pads += [(k - 1) // 2, k - 1 - (k - 1) // 2]
        xt = F.pad(xt, pads)
        pad = 0
    else:
        pad = tuple(k // 2 for k in kernel)
    return CONV[len(kernel)](xt, weight.double(), bias.double() if bias is not None else None,
                             padding=pad, groups=C).numpy()


CASES = [
    # batch, channels, groups, spatial, kernel, padding, bias, channels_last
    (2, 6, 6, (33,), (3,), "causal", False, False),
    (1, 8, 2, (64,), (4,), "causal", True, True),
    (3, 5, 5, (17,), (4,), "same", True, False),
    (2, 12, 3, (1,), (7,), "same", False, False),
    (2, 4, 4, (20,), (5,), "explicit", True, False),
    (2, 6, 6, (9, 7), (3, 3), "same", True, False),
    (1, 4, 4, (8, 8), (3, 3), "explicit", False, True),
    (2, 3, 3, (4, 5, 6), (3, 3, 3), "same", True, False),
    (1, 2, 2, (5, 3, 4), (2, 3, 3), "explicit", False, False),
]


def run_case(ctx, case):
    batch, C, G, spatial, kernel, padding, has_bias, channels_last = case
    x = random(batch, C, *spatial)
    w = random(G, *kernel)
    b = random(G) if has_bias else None
    expected = torch_reference(x, w, b, G, padding, kernel)
    if channels_last:
        stored = ctx.tensor(np.moveaxis(x, 1, -1).copy())
        rank = x.ndim
        tx = stored.permute(0, rank - 1, *range(1, rank - 1))
    else:
        tx = ctx.tensor(x)
    explicit = tuple(k // 2 for k in kernel) + (0,) * (3 - len(kernel))
    y = subq.depthwise_conv(tx, ctx.tensor(w), ctx.tensor(b) if b is not None else None, padding=padding,
                            explicit_padding=explicit).numpy()
    e = error(y, expected) if y.shape == expected.shape else float("inf")
    return e < 1e-5, e


def main():
    ctx = subq.Context()
    r = Results()
    for case in CASES:
        ok, e = run_case(ctx, case)
        r.record(str(case), ok, f"max error {e:.2e}")
    r.raises("bad groups raise SubqError", lambda: subq.depthwise_conv(ctx.tensor(random(2, 4, 9)),
                                                                       ctx.tensor(random(3, 3))),
             "weight", "invalid argument")
    return r.finish(ctx)

if __name__ == "__main__":
    sys.exit(main())
