"""subq's FFT convolution against PyTorch's own FFTs running the SPEC.md section 4 formulas
(torch.fft.rfft/irfft for the causal form, rfftn/irfftn with zero padding, crop and circular phase
shift for the ND forms), in float64, on fresh random inputs, through the Python binding.
Prints 'N passed, M failed'."""
import math
import sys

import torch

from parity import Results, error, random, subq
from subq_torch import fft_conv_causal as torch_causal, fft_conv_nd as torch_nd

TOLERANCE = 1e-5  # max |y - ref| < TOLERANCE * max(1, max |ref|)


def gated(x, pre):
    return x * pre if pre is not None else x


def finish(conv, u, post, shortcut):
    if shortcut is not None:
        conv = conv + shortcut.view(1, -1, *[1] * (u.dim() - 2)) * u
    return conv * post if post is not None else conv


CASES = [
    # batch, channels, kernel batch, N, K, causal, padding, extras (pre, post, shortcut)
    (2, 4, 1, (100,), (100,), True, "zero", (False, False, False)),
    (1, 3, 1, (1000,), (37,), True, "zero", (False, False, True)),
    (2, 3, 2, (257,), (257,), True, "zero", (True, True, True)),
    (2, 2, 1, (33,), (65,), False, "zero", (False, False, False)),
    # zero padding with 2N - 1 taps on a power of two: the causal rows' fused and four-step paths
    (2, 3, 2, (1024,), (2047,), False, "zero", (True, True, True)),
    (1, 2, 1, (16384,), (32767,), False, "zero", (False, True, False)),
    (2, 2, 2, (32,), (31,), False, "circular", (True, False, True)),
    (2, 3, 1, (12, 16), (23, 31), False, "zero", (True, True, True)),
    (1, 2, 1, (16, 16), (15, 15), False, "circular", (False, False, False)),
    (2, 2, 2, (10, 12), (19, 11), False, ("zero", "circular"), (False, True, False)),
    (1, 2, 1, (4, 5, 6), (7, 9, 11), False, "zero", (False, False, True)),
    # the fused 2D path (power-of-two grids; the 16 x 16 circular case above takes it too)
    (2, 3, 2, (32, 32), (63, 63), False, "zero", (True, True, True)),
    (2, 2, 1, (16, 64), (9, 127), False, ("circular", "zero"), (False, True, False)),
    # a kernel spectrum larger than lavapipe's 128 MiB binding: launches bind their channels only
    (1, 129, 1, (131072,), (131072,), True, "zero", (False, True, False)),
    # the four-step path (power-of-two L from 2^14): odd channels, batch 1 and 3, per-batch kernels
    (3, 3, 1, (16384,), (16384,), True, "zero", (True, True, True)),
    (1, 5, 1, (32768,), (1000,), True, "zero", (False, False, True)),
    (3, 1, 3, (65536,), (65536,), True, "zero", (True, False, False)),
    (1, 1, 1, (1 << 20,), (1 << 20,), True, "zero", (False, True, True)),
]


def run_case(ctx, case):
    batch, C, Bk, N, K, causal, padding, (has_pre, has_post, has_shortcut) = case
    x, k = random(batch, C, *N), random(Bk, C, *K)
    pre = random(batch, C, *N) if has_pre else None
    post = random(batch, C, *N) if has_post else None
    shortcut = random(C) if has_shortcut else None
    t = {name: torch.from_numpy(v).double() if v is not None else None
         for name, v in dict(x=x, k=k, pre=pre, post=post, shortcut=shortcut).items()}
    u = gated(t["x"], t["pre"])
    paddings = [padding] * len(N) if isinstance(padding, str) else list(padding)
    conv = torch_causal(u, t["k"]) if causal else torch_nd(u, t["k"], paddings)
    expected = finish(conv, u, t["post"], t["shortcut"]).numpy()
    device = {name: ctx.tensor(v) if v is not None else None
              for name, v in dict(x=x, k=k, pre=pre, post=post, shortcut=shortcut).items()}
    y = subq.fft_conv(device["x"], device["k"], causal=causal, padding=padding, pre=device["pre"],
                      post=device["post"], shortcut=device["shortcut"]).numpy()
    e = error(y, expected) if y.shape == expected.shape else math.inf
    return e < TOLERANCE, e


def run_update(ctx):
    """One kernel object, new weights: the second call must use them."""
    x, k1, k2 = random(2, 3, 64), random(1, 3, 127), random(1, 3, 127)
    kernel = subq.FFTKernel(ctx.tensor(k1), (64,), padding="zero")
    tx = ctx.tensor(x)
    errors = []
    for k in (k1, k2):
        if k is k2:
            kernel.update(ctx.tensor(k2))
        expected = torch_nd(torch.from_numpy(x).double(), torch.from_numpy(k).double(), ["zero"]).numpy()
        errors.append(error(kernel(tx).numpy(), expected))
    return max(errors) < TOLERANCE, max(errors)


def main():
    ctx = subq.Context()
    r = Results()
    for case in CASES:
        ok, e = run_case(ctx, case)
        r.record(str(case), ok, f"max error {e:.2e}")
    ok, e = run_update(ctx)
    r.record("kernel update", ok, f"max error {e:.2e}")
    r.raises("mismatched channels raise SubqError",
             lambda: subq.fft_conv(ctx.tensor(random(2, 4, 9)), ctx.tensor(random(1, 3, 9)), causal=True),
             "channels", "invalid argument")
    return r.finish(ctx)

if __name__ == "__main__":
    sys.exit(main())
