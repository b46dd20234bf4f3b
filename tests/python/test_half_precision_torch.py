"""f16 and bf16 tensors against PyTorch: every input rounded to its dtype first, then the float64
PyTorch formula on those rounded values is the reference; subq computes in fp32 and rounds its
output once. Tolerances (max |y - ref| / max(1, max |ref|)) are the output dtype's rounding, half
an ulp (f16 2^-11, bf16 2^-8), with room for fp32 accumulation: f32 1e-5, f16 1e-3, bf16 8e-3.
Conversions (subq_tensor_copy between dtypes) must round exactly as PyTorch does (to nearest,
ties to even). The lrnnx family too: fft_conv's patterns, opt_ssm_forward's strategies and FFTConvS4
(S4D and DPLR: forward, forward with a state, step; parameters and states f32) against
python/subq_torch/s4.py, and S4 models loaded from F16 and BF16 weight files. Prints 'N passed, M
failed'."""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from parity import Results, error, random, subq, t64

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
    # channels-first x [B, K, L] seen as [B, L, K] (the SIMT GEMM's columns, vector loads or not)
    for batch, k, length, n in ((2, 24, 36, 20), (2, 40, 13, 9)):
        for dtype in DTYPES:
            x, tx = device(ctx, random(batch, k, length), dtype)
            w, tw = device(ctx, random(n, k, scale=1 / np.sqrt(k)), dtype)
            b, tb = device(ctx, random(n), dtype)
            check(r, f"linear channels-first [{batch}, {k}, {length}] -> {n}", subq.linear(x.permute(0, 2, 1), w, b),
                  F.linear(tx.transpose(1, 2), tw, tb), dtype)


def fft(ctx, r):
    """Causal gated (the fused single-dispatch path at 1000, the general VkFFT path at 9000, the
    four-step path at 16384) and 2D zero-padded convs (the general path at 12 x 10, the fused 2D path
    at 16 x 8); x, pre, post, shortcut, kernel and y all in the dtype."""
    from subq_torch import fft_conv_causal, fft_conv_nd
    for size, causal in (((1000,), True), ((9000,), True), ((16384,), True), ((12, 10), False),
                          ((16, 8), False)):
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


# The lrnnx family, with (x, the other inputs, y) in these dtypes: all alike, and mixed. Operators
# take the tolerances above; FFTConvS4 the modules' (Hyena's) 2e-3 and 1.5e-2, and for an f32 y
# test_s4_torch.py's module tolerance 1e-4 (fp32 discretisation and kernel generation). No S4-specific
# tolerance: the 16-bit outputs measure at most about half an ulp of their dtype.
S4_MIXES = (("float16", "float16", "float16"), ("bfloat16", "bfloat16", "bfloat16"),
            ("float16", "bfloat16", "float32"), ("bfloat16", "float32", "float16"))
S4_MODULE_TOL = {"float32": 1e-4, "float16": 2e-3, "bfloat16": 1.5e-2}


def poisoned(ctx, shape, dtype):
    """An output filled with NaN, so that an element left unwritten fails the comparison."""
    return ctx.tensor(np.full(shape, np.nan, np.float32), dtype)


def operand(ctx, shape, complex_, dtype):
    """A real or complex (trailing re, im) operand in dtype and its rounded values as complex128."""
    t, t64 = device(ctx, random(*shape, 2) if complex_ else random(*shape), dtype)
    return t, torch.view_as_complex(t64.contiguous()) if complex_ else t64.to(torch.complex128)


def check_close(r, name, got, expected, tol):
    e = error(got.numpy().astype(np.float64), expected)
    r.record(f"{name} error {e:.2e}", e < tol)


def s4_ops(ctx, r):
    """fft_conv's three patterns (size-1, odd and prime shapes, a kernel shorter and longer than x)
    and opt_ssm_forward's three strategies forced, against subq_torch.s4 in complex128."""
    from subq_torch import s4 as ts4
    cases = [("bli,loi->blo", (2, 13, 3), (13, 4, 3), None, None, (False, True)),
             ("bli,loi->blo", (1, 1, 1), (1, 1, 1), None, None, (False, False)),
             ("bln,ln->bln", (3, 11, 5), (7, 5), None, None, (True, False)),
             ("bln,ln->bln", (1, 17, 1), (40, 1), None, None, (False, True)),
             ("bln,ln->bln", (2, 1031, 8), (1031, 8), None, None, (False, True)),
             ("blh,nl,nh,on->blo", (2, 17, 3), (4, 17), (4, 3), (5, 4), (True, True)),
             ("blh,nl,nh,on->blo", (1, 1, 1), (1, 1), (1, 1), (1, 1), (False, False))]
    for eq, xs, ks, bs, cs, (xc, kc) in cases:
        for xd, wd, yd in S4_MIXES:
            x, tx = operand(ctx, xs, xc, xd)
            args = [operand(ctx, ks, kc, wd)] + ([] if bs is None else [operand(ctx, bs, xc, wd),
                                                                        operand(ctx, cs, kc, wd)])
            out_dim = ks[1] if eq.startswith("bli") else xs[2] if bs is None else cs[0]
            y = poisoned(ctx, (xs[0], xs[1], out_dim, 2), yd)
            subq.lrnnx_fft_conv(eq, x, *[a for a, _ in args], out=y)
            want = torch.view_as_real(ts4.fft_conv(eq, tx, *[a for _, a in args])).numpy()
            check_close(r, f"lrnnx fft_conv {eq} x{xs} k{ks} [{xd} x, {wd} rest, {yd} y]", y, want, TOLERANCE[yd])
    for b, length, h_in, h_out, n in ((2, 17, 3, 3, 4), (1, 1, 1, 1, 1), (2, 25, 5, 3, 16), (3, 9, 8, 7, 2)):
        for xd, wd, yd in S4_MIXES:
            x, tx = device(ctx, random(b, length, h_in), xd)
            shapes = ((n, length), (n, h_in), (h_out, n))
            (K, tK), (B_, tB), (C, tC) = (operand(ctx, shape, True, wd) for shape in shapes)
            want = ts4.opt_ssm_forward(tx, tK, tB, tC).numpy()
            for strategy in ("full_kernel", "project", "factored"):
                y = poisoned(ctx, (b, length, h_out), yd)
                subq.opt_ssm_forward(x, K, B_, C, strategy, out=y)
                check_close(r, f"opt_ssm_forward {strategy} B{b} L{length} H{h_in}/{h_out} N{n} [{xd} x, {wd} K B_ C, "
                            f"{yd} y]", y, want, TOLERANCE[yd])


def s4_module(ctx, r, h, channels, d_state, kernel, disc, batch, length, transposed, l_kernel=0):
    """FFTConvS4 with x and y in each mix (parameters and states f32): forward, forward with a state
    on the first half (y and next_state), then a step per remaining position from subq's state against
    subq_torch's step from the same state."""
    from subq_torch import s4 as ts4
    n2 = d_state // 2
    m = subq.FFTConvS4(ctx, h, channels=channels, transposed=transposed, kernel=kernel, disc=disc,
                       d_state=d_state, l_kernel=l_kernel, seed=3)
    ref = ts4.FFTConvS4(h, channels=channels, kernel_type=kernel, d_state=d_state, disc=disc,
                        l_kernel=l_kernel or None).double()
    names = ["kernel.A_real", "kernel.A_imag", "kernel.B", "kernel.C", "kernel.inv_dt"]
    names += ["kernel.P"] if kernel == "s4" else []
    ref.load_state_dict({n: torch.from_numpy(m.read(n, tuple(ref.state_dict()[n].shape))).double() for n in names})
    layout = "(B,H,L)" if transposed else "(B,L,H)"
    label = f"FFTConvS4 {kernel} {disc} H{h} C{channels} N{d_state} B{batch} L{length} {layout}"
    prefix = max(1, length // 2)
    for xd, _, yd in S4_MIXES:
        tag = f"[{xd} x, {yd} y]"
        _, tx = device(ctx, random(batch, h, length), xd)
        lay = (lambda a: a) if transposed else (lambda a: np.ascontiguousarray(np.swapaxes(a, 1, 2)))
        x = ctx.tensor(lay(tx.numpy().astype(np.float32)), xd)
        with torch.no_grad():
            want, _ = ref(tx)
        y = poisoned(ctx, (batch, channels, h, length), yd)
        m.forward(x, out=y)
        check_close(r, f"{label} forward {tag}", y, want.numpy(), S4_MODULE_TOL[yd])
        state0 = random(batch, h, n2, 2)
        xp = ctx.tensor(lay(tx[..., :prefix].numpy().astype(np.float32)), xd)
        with torch.no_grad():
            want, want_state = ref(tx[..., :prefix], state=torch.view_as_complex(t64(state0)))
        y = poisoned(ctx, (batch, channels, h, prefix), yd)
        _, state = m.forward(xp, state=ctx.tensor(state0), out=y)
        check_close(r, f"{label} forward with state {tag}", y, want.numpy(), S4_MODULE_TOL[yd])
        check_close(r, f"{label} next_state (f32) {tag}", state, torch.view_as_real(want_state).numpy(), 2e-4)
        m.setup_step()
        ref.setup_step()
        worst = 0.0
        for _ in range(prefix, length):
            xt, txt = device(ctx, random(batch, h), xd)
            with torch.no_grad():
                want, _ = ref.step(txt, torch.view_as_complex(t64(state.numpy())))
            y = poisoned(ctx, (batch, channels, h), yd)
            _, state = m.step(xt, state, out=y)
            worst = max(worst, error(y.numpy().astype(np.float64), want.numpy()))
        r.record(f"{label} {length - prefix} steps {tag} max error {worst:.2e}", worst < S4_MODULE_TOL[yd])


def s4_modules(ctx, r):
    for args in ((3, 2, 8, "s4d", "zoh", 2, 9, True), (4, 1, 6, "s4d", "bilinear", 1, 7, False),
                 (1, 1, 2, "s4d", "zoh", 1, 2, True), (3, 1, 8, "s4", "zoh", 2, 9, True, 16),
                 (2, 2, 4, "s4", "zoh", 1, 6, False, 8), (1, 1, 2, "s4", "zoh", 1, 2, False, 4),
                 (8, 1, 16, "s4d", "zoh", 2, 600, True), (5, 1, 8, "s4", "zoh", 1, 300, False, 300)):
        s4_module(ctx, r, *args)


def s4_model_weights(ctx, r):
    """S4 models whose weight files hold F16 or BF16 tensors load (subq_safetensors_read_f32 turns
    every floating-point tensor into the fp32 parameters; no model code sees 16-bit weights): their
    logits are those of the f32 model on the same rounded weights, to the f32 tolerance."""
    import tempfile
    import subq.model
    from subq_torch.export import save_model
    from subq_torch.model import Model
    base = {"task": "causal_lm", "hidden_dim": 8, "layers": 1, "mlp_hidden": 12, "vocab_size": 7, "max_length": 16}
    for kernel in ("s4d", "s4"):
        torch.manual_seed(11)
        model = Model({**base, "mixer": {"type": "s4", "kernel_type": kernel, "d_state": 4}}).eval()
        tokens = np.random.default_rng(5).integers(0, 7, (2, 13))
        for dtype, torch_dtype in (("F16", torch.float16), ("BF16", torch.bfloat16)):
            with tempfile.TemporaryDirectory() as tmp:
                save_model(model, f"{tmp}/m.safetensors", dtype=dtype)
                got = subq.model.Model.load(ctx, f"{tmp}/m.safetensors").logits(tokens)
            rounded = Model(model.description)
            rounded.load_state_dict({k: v.to(torch_dtype).float() for k, v in model.state_dict().items()})
            with torch.no_grad():
                want = rounded.double().eval()(torch.from_numpy(tokens)).numpy()
            e = error(got.astype(np.float64), want)
            r.record(f"S4 {kernel} model from {dtype} weights: logits error {e:.2e}", e < 1e-4)


def errors(ctx, r):
    x = ctx.tensor(np.ones((2, 3), dtype=np.int32))
    r.raises("gate of int32 names a and the dtypes it takes", lambda: subq.gate(x, x, "silu"), "a: expected dtype f32, f16 or bf16")
    y = ctx.empty((2, 3), "float16")
    r.raises("copy int32 -> f16 is refused", lambda: subq.copy(x, y), "destination")
    s4 = subq.FFTConvS4(ctx, 4, kernel="s4d", d_state=4)
    s4.setup_step()
    for dtype in ("float16", "bfloat16"):
        state = ctx.empty((1, 4, 2, 2), dtype)
        r.raises(f"FFTConvS4 forward refuses a {dtype} state, naming it",
                 lambda: s4.forward(ctx.tensor(random(1, 4, 5), dtype), state=state), "state: expected dtype f32")
        r.raises(f"FFTConvS4 step refuses a {dtype} state, naming it",
                 lambda: s4.step(ctx.tensor(random(1, 4), dtype), state), "state: expected dtype f32")


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
    s4_ops(ctx, r)
    s4_modules(ctx, r)
    s4_model_weights(ctx, r)
    errors(ctx, r)
    sys.exit(r.finish(ctx))


if __name__ == "__main__":
    main()
