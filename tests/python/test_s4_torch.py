"""subq's lrnnx family against python/subq_torch/s4.py (the PyTorch reference written from SPEC.md
section 7) in complex128 on the same float32 inputs: fft_conv's three patterns, opt_ssm_forward with
each strategy forced, FFTConvS4 (S4D ZOH and bilinear, S4 DPLR; both layouts, channels, l_max with
rate) including forward with a state, prefill then step, the final state, default_state, and the
LegS and Lin inits. Prints 'N passed, M failed'."""
import math
import os
import sys

import numpy as np
import torch

from parity import Results, random, subq, t64

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from subq_torch import s4 as ts4  # noqa: E402

TOL = 3e-5


def c128(a, complex_=True):
    """float32 array -> complex128 tensor: with a trailing (re, im) axis when complex_, else real."""
    a = t64(a)
    return torch.view_as_complex(a.contiguous()) if complex_ else a.to(torch.complex128)


def operand(shape, complex_):
    return random(*shape, 2) if complex_ else random(*shape)


def check_fft_conv(ctx, r):
    cases = [("bli,loi->blo", (2, 9, 3), (9, 4, 3), None, None, (True, False)),
             ("bli,loi->blo", (1, 16, 2), (40, 2, 2), None, None, (False, True)),
             ("bln,ln->bln", (3, 11, 5), (11, 5), None, None, (True, True)),
             ("blh,nl,nh,on->blo", (2, 13, 3), (4, 13), (4, 3), (5, 4), (True, True))]
    for eq, xs, ks, bs, cs, (xc, kc) in cases:
        x, k = operand(xs, xc), operand(ks, kc)
        args = [(k, kc)] if bs is None else [(k, kc), (operand(bs, True), True), (operand(cs, True), True)]
        got = subq.lrnnx_fft_conv(eq, ctx.tensor(x), *[ctx.tensor(a) for a, _ in args]).numpy()
        want = torch.view_as_real(ts4.fft_conv(eq, c128(x, xc), *[c128(a, ac) for a, ac in args])).numpy()
        r.close(f"fft_conv {eq} x{xs} k{ks}", got, want, TOL)


def check_opt_ssm(ctx, r):
    for b, length, h_in, h_out, n in ((2, 17, 3, 3, 4), (4, 32, 8, 8, 2), (1, 20, 2, 2, 8), (2, 25, 5, 3, 16)):
        x, K, B_, C = random(b, length, h_in), random(n, length, 2), random(n, h_in, 2), random(h_out, n, 2)
        want = ts4.opt_ssm_forward(t64(x), c128(K), c128(B_), c128(C)).numpy()
        choice = subq.opt_ssm_choose(b, h_in, h_out, n)
        r.record(f"opt_ssm_choose B{b} H{h_in}/{h_out} N{n}", choice == ts4.opt_ssm_choose(b, h_in, h_out, n), choice)
        for strategy in ("auto", "full_kernel", "project", "factored"):
            got = subq.opt_ssm_forward(ctx.tensor(x), ctx.tensor(K), ctx.tensor(B_), ctx.tensor(C), strategy).numpy()
            r.close(f"opt_ssm B{b} L{length} H{h_in}/{h_out} N{n} {strategy} (auto: {choice})", got, want, TOL)


def random_weights(h, channels, n2, n_ssm, dplr):
    """FFTConvS4's weights as lrnnx's state_dict holds them, random."""
    raw = {"kernel.A_real": np.log(np.random.uniform(0.2, 0.8, (n_ssm, n2))).astype(np.float32),
           "kernel.A_imag": np.random.uniform(0, math.pi * n2, (n_ssm, n2)).astype(np.float32),
           "kernel.B": random(1, n_ssm, n2, 2), "kernel.C": random(channels, h, n2, 2),
           "kernel.inv_dt": np.random.uniform(math.log(1e-3), math.log(1e-1), (h, 1)).astype(np.float32)}
    if dplr:
        raw["kernel.P"] = random(1, n_ssm, n2, 2, scale=0.5)
    return raw


def layout(x, transposed):
    return x if transposed else np.ascontiguousarray(np.swapaxes(x, 1, 2))


def check_module(ctx, r, h, channels, d_state, n_ssm, kernel, disc, batch, length, l_max, rate, transposed,
                 l_kernel=0):
    name = f"FFTConvS4 {kernel} {disc} H{h} C{channels} N{d_state} nssm{n_ssm} B{batch} L{length} lmax{l_max} " \
           f"l_kernel{l_kernel} rate{rate} {'(B,H,L)' if transposed else '(B,L,H)'}"
    m = subq.FFTConvS4(ctx, h, l_max=l_max, channels=channels, transposed=transposed, kernel=kernel, disc=disc,
                       d_state=d_state, n_ssm=n_ssm, l_kernel=l_kernel)
    ref = ts4.FFTConvS4(h, l_max=l_max, channels=channels, transposed=True, kernel_type=kernel, d_state=d_state,
                        n_ssm=n_ssm, disc=disc, l_kernel=l_kernel).double()
    raw = random_weights(h, channels, d_state // 2, n_ssm or h, kernel == "s4")
    for key, value in raw.items():
        m.load(key, value)
    ref.load_state_dict({key: t64(value) for key, value in raw.items()})
    x = random(batch, h, length)
    with torch.no_grad():
        want, _ = ref(t64(x), rate=rate)
    y, _ = m.forward(ctx.tensor(layout(x, transposed)), rate=rate)
    r.close(name, y.numpy(), want.numpy(), 1e-4)
    if rate != 1.0 or (l_max and l_max < length) or (kernel == "s4" and not (l_kernel or l_max)):
        return
    state0 = random(batch, h, d_state // 2, 2)
    half = max(1, length // 2)
    with torch.no_grad():
        want_y, want_state = ref(t64(x), state=c128(state0))
        want_prefix, _ = ref(t64(x[..., :half]), state=c128(state0))
    y1, s1 = m.forward(ctx.tensor(layout(x[..., :half], transposed)), state=ctx.tensor(state0))
    # the original's forward with a state: y + k_state, next_state = forward_state(x, state)
    r.close(name + " forward with state", y1.numpy(), want_prefix.numpy(), 1e-4)
    m.setup_step()
    ref.setup_step()
    steps, state, ref_state = [], s1, torch.view_as_complex(t64(s1.numpy()).contiguous())
    step_err = 0.0
    for t in range(half, length):
        yt, state = m.step(ctx.tensor(np.ascontiguousarray(x[..., t])), state)
        with torch.no_grad():
            ref_y, ref_state = ref.step(t64(x[..., t]), ref_state)
        step_err = max(step_err, float(np.abs(yt.numpy() - ref_y.numpy()).max() / max(1.0, ref_y.abs().max())))
        steps.append(yt.numpy())
    r.record(name + " step == subq_torch step from the same state", step_err < 1e-4, f"max error {step_err:.2e}")
    got = np.concatenate([y1.numpy()] + [s[..., None] for s in steps], axis=-1)
    r.close(name + " prefill+step == forward with state", got, want_y.numpy(), 2e-4)
    r.close(name + " final state", state.numpy(), torch.view_as_real(want_state).numpy(), 2e-4)
    zero = m.default_state(batch).numpy()
    r.record(name + " default_state", zero.shape == (batch, h, d_state // 2, 2) and not zero.any()
             and tuple(ref.default_state(batch).shape) == (batch, h, d_state // 2))


def check_init(ctx, r, kernel, init, d_state, n_ssm, h):
    """subq_fftconv_s4_init against subq_torch's reset_parameters: the deterministic weights agree."""
    name = f"init {init} {kernel} N{d_state} nssm{n_ssm}"
    m = subq.FFTConvS4(ctx, h, kernel=kernel, d_state=d_state, n_ssm=n_ssm, init=init, seed=5)
    ref = ts4.FFTConvS4(h, kernel_type=kernel, d_state=d_state, n_ssm=n_ssm, init=init)
    rows, n2 = n_ssm or h, d_state // 2
    names = [("kernel.A_real", (rows, n2)), ("kernel.A_imag", (rows, n2)), ("kernel.B", (1, rows, n2, 2))]
    if kernel == "s4" and init == "legs":
        names.append(("kernel.P", (1, rows, n2, 2)))
    state = ref.state_dict()
    for key, shape in names:
        r.close(f"{name} {key}", m.read(key, shape), state[key].numpy(), 1e-6)
    inv_dt = m.read("kernel.inv_dt", (h, 1))
    r.record(f"{name} inv_dt in [log dt_min, log dt_max]",
             bool(np.all(inv_dt >= math.log(1e-3) - 1e-6) and np.all(inv_dt <= math.log(1e-1) + 1e-6)))


def main():
    ctx = subq.Context()
    r = Results()
    check_fft_conv(ctx, r)
    check_opt_ssm(ctx, r)
    for args in ((3, 1, 8, 0, "s4d", "zoh", 2, 40, None, 1.0, True), (4, 2, 6, 2, "s4d", "bilinear", 1, 33, None, 1.0, False),
                 (2, 1, 4, 1, "s4d", "zoh", 2, 50, 40, 2.0, True), (3, 1, 8, 0, "s4", "zoh", 2, 16, 16, 1.0, True),
                 (2, 2, 4, 1, "s4", "zoh", 1, 24, None, 1.0, False), (1, 1, 2, 1, "s4", "zoh", 1, 5, None, 1.0, True, 8),
                 (5, 3, 6, 5, "s4", "zoh", 3, 29, 29, 1.0, False), (4, 1, 16, 2, "s4", "zoh", 2, 21, None, 1.0, True, 32),
                 (2, 1, 8, 0, "s4", "zoh", 2, 24, 32, 2.0, True)):
        check_module(ctx, r, *args)
    for args in (("s4", "legs", 8, 2, 4), ("s4", "legs", 64, 1, 3), ("s4d", "legs", 16, 3, 3), ("s4", "lin", 6, 1, 2),
                 ("s4d", "lin", 10, 2, 2)):
        check_init(ctx, r, *args)
    m = subq.FFTConvS4(ctx, 4, kernel="s4d", channels=3)
    r.record("d_output", m.d_output == 12 == ts4.FFTConvS4(4, kernel_type="s4d", channels=3).d_output, str(m.d_output))
    r.record("describe", "kernel=s4d" in m.describe() and "init=legs" in m.describe(), m.describe())
    r.raises("no kernel_type", lambda: subq.FFTConvS4(ctx, 4), "kernel_type")
    r.raises("bad x", lambda: m.forward(ctx.tensor(random(1, 5, 8))), "d_model")
    r.raises("step before setup_step", lambda: m.step(ctx.tensor(random(1, 4)), m.default_state(1)), "setup_step")
    dplr = subq.FFTConvS4(ctx, 4, kernel="s4", d_state=4)
    r.raises("s4 setup_step without l_kernel", dplr.setup_step, "config.l_kernel")
    r.raises("s4 state shape", lambda: dplr.forward(ctx.tensor(random(2, 4, 8)), state=ctx.tensor(random(2, 4, 3, 2))),
             "state")
    return r.finish(ctx)


if __name__ == "__main__":
    sys.exit(main())
