"""subq's lrnnx family against a PyTorch reference written from SPEC.md section 7 in complex128 on
the same float32 inputs: fft_conv's three patterns, opt_ssm_forward with each strategy forced,
FFTConvS4 (S4D ZOH and bilinear, both layouts, channels, l_max with rate; S4 DPLR) including
forward with a state, forward_state, and prefill-then-step. Prints 'N passed, M failed'."""
import math
import sys

import numpy as np
import torch

from parity import Results, random, subq, t64

TOL = 3e-5


def c128(a, complex_=True):
    """float32 array -> complex128 tensor: with a trailing (re, im) axis when complex_, else real."""
    a = t64(a)
    return torch.view_as_complex(a.contiguous()) if complex_ else a.to(torch.complex128)


def fft_conv(eq, x, *args):
    length = x.shape[1]
    x_f = torch.fft.fft(x, 2 * length, dim=1)
    if len(args) == 1:
        out = torch.einsum(eq, x_f, torch.fft.fft(args[0], 2 * length, dim=0))
    else:
        K, B_, C = args
        out = torch.einsum(eq, x_f, torch.fft.fft(K, 2 * length, dim=1), B_, C)
    return torch.fft.ifft(out, dim=1)[:, :length]


def opt_ssm(x, K, B_, C):
    """SPEC's formula (all strategies must equal it): strategy 1's route in complex128."""
    return fft_conv("blh,nl,nh,on->blo", x, K, B_, C).real


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
        want = torch.view_as_real(fft_conv(eq, c128(x, xc), *[c128(a, ac) for a, ac in args])).numpy()
        r.close(f"fft_conv {eq} x{xs} k{ks}", got, want, TOL)


def check_opt_ssm(ctx, r):
    for b, length, h_in, h_out, n in ((2, 17, 3, 3, 4), (4, 32, 8, 8, 2), (1, 20, 2, 2, 8), (2, 25, 5, 3, 16)):
        x, K, B_, C = random(b, length, h_in), random(n, length, 2), random(n, h_in, 2), random(h_out, n, 2)
        want = opt_ssm(c128(x, False), c128(K), c128(B_), c128(C)).numpy()
        for strategy in ("auto", "full_kernel", "project", "factored"):
            got = subq.opt_ssm_forward(ctx.tensor(x), ctx.tensor(K), ctx.tensor(B_), ctx.tensor(C), strategy).numpy()
            r.close(f"opt_ssm B{b} L{length} H{h_in}/{h_out} N{n} {strategy} (auto: "
                    f"{subq.opt_ssm_choose(b, h_in, h_out, n)})", got, want, TOL)


class Params:
    """FFTConvS4's weights as lrnnx holds them, random, and the SPEC's processing in complex128."""

    def __init__(self, h, channels, n2, n_ssm, dplr):
        self.h, self.n2, self.n_ssm = h, n2, n_ssm
        self.raw = {"kernel.A_real": np.log(np.random.uniform(0.2, 0.8, (n_ssm, n2))).astype(np.float32),
                    "kernel.A_imag": np.random.uniform(0, math.pi * n2, (n_ssm, n2)).astype(np.float32),
                    "kernel.B": random(1, n_ssm, n2, 2), "kernel.C": random(channels, h, n2, 2),
                    "kernel.inv_dt": np.random.uniform(math.log(1e-3), math.log(1e-1), (h, 1)).astype(np.float32)}
        if dplr:
            self.raw["kernel.P"] = random(1, n_ssm, n2, 2, scale=0.5)

    def processed(self, rate):
        rep = self.h // self.n_ssm
        a = -torch.exp(t64(self.raw["kernel.A_real"])) - 1j * t64(self.raw["kernel.A_imag"])
        a = a.repeat(rep, 1)
        b = c128(self.raw["kernel.B"])[0].repeat(rep, 1)
        dt = torch.exp(t64(self.raw["kernel.inv_dt"])) * rate
        return dt, a, b, c128(self.raw["kernel.C"])


def s4d_discrete(p, rate, bilinear):
    dt, a, b, c = p.processed(rate)
    dta = dt * a
    if bilinear:
        return (1 + dta / 2) / (1 - dta / 2), b * dt / (1 - dta / 2), c
    return torch.exp(dta), b * (torch.exp(dta) - 1) / a, c


def s4d_kernel(p, rate, lk, bilinear):
    da, db, c = s4d_discrete(p, rate, bilinear)
    powers = da.unsqueeze(-1) ** torch.arange(lk, dtype=torch.float64)
    return 2 * torch.einsum("chn,hn,hnl->chl", c, db, powers).real


def dplr_kernel(p, rate, fft, lk):
    dt, a, b, c = p.processed(rate)
    pp = c128(p.raw["kernel.P"])[0].repeat(p.h // p.n_ssm, 1)
    q = pp.conj()
    w = a * dt
    omega = torch.exp(-2j * math.pi * torch.arange(fft // 2 + 1, dtype=torch.float64) / fft)
    z = 2 * (1 - omega) / (1 + omega)

    def cauchy(v):  # [..., h, n] -> [..., h, k]
        v = v.unsqueeze(-1)
        ww = w.unsqueeze(-1)
        return (v / (z - ww) + v.conj() / (z - ww.conj())).sum(-2)

    r00, r01 = cauchy(b * c * dt), cauchy(b * q * dt)
    r10, r11 = cauchy(pp * c * dt), cauchy(pp * q * dt)
    k_f = (r00 - r01 * r10 / (1 + r11)) * 2 / (1 + omega)
    if fft % 2 == 0:
        k_f[..., -1] = (b * c * dt).sum(-1).real  # omega = -1: the limit of the expression
    return torch.fft.irfft(k_f, n=fft)[..., :lk]


def s4_forward(x, k, length):
    lk = k.shape[-1]
    return torch.fft.irfft(torch.einsum("bhl,chl->bchl", torch.fft.rfft(x, n=lk + length),
                                        torch.fft.rfft(k, n=lk + length)), n=lk + length)[..., :length]


def recurrence(p, x, state, bilinear):
    """S4D step by step at rate 1: (y [B, C, H, L], final state)."""
    da, db, c = s4d_discrete(p, 1.0, bilinear)
    ys = []
    for t in range(x.shape[-1]):
        state = da * state + db * x[..., t].unsqueeze(-1)
        ys.append(2 * torch.einsum("chn,bhn->bch", c, state).real)
    return torch.stack(ys, -1), state


def check_module(ctx, r, h, channels, d_state, n_ssm, kernel, disc, batch, length, l_max, rate, transposed):
    name = f"FFTConvS4 {kernel} {disc} H{h} C{channels} N{d_state} nssm{n_ssm} B{batch} L{length} lmax{l_max} " \
           f"rate{rate} {'(B,H,L)' if transposed else '(B,L,H)'}"
    m = subq.FFTConvS4(ctx, h, l_max=l_max, channels=channels, transposed=transposed, kernel=kernel, disc=disc,
                       d_state=d_state, n_ssm=n_ssm)
    p = Params(h, channels, d_state // 2, n_ssm or h, kernel == "s4")
    for key, value in p.raw.items():
        m.load(key, value)
    x = random(batch, h, length)
    device_x = ctx.tensor(x if transposed else np.ascontiguousarray(x.transpose(0, 2, 1)))
    lk = length if not l_max else min(length, round(l_max / rate))
    if kernel == "s4d":
        k = s4d_kernel(p, rate, lk, disc == "bilinear")
    else:
        l_kernel = l_max or round(rate * length)
        k = dplr_kernel(p, rate, round(l_kernel / rate), lk)
    y, _ = m.forward(device_x, rate=rate)
    r.close(name, y.numpy(), s4_forward(t64(x), k, length).numpy(), 1e-4)
    if kernel != "s4d" or l_max or rate != 1.0:
        return
    state0 = random(batch, h, d_state // 2, 2)
    want_y, want_state = recurrence(p, t64(x), c128(state0), disc == "bilinear")
    half = max(1, length // 2)
    xp = x[..., :half]
    y1, s1 = m.forward(ctx.tensor(xp if transposed else np.ascontiguousarray(xp.transpose(0, 2, 1))),
                       state=ctx.tensor(state0))
    # the original's forward with a state: y + k_state, next_state = forward_state(x, state)
    r.close(name + " forward with state", y1.numpy(), want_y[..., :half].numpy(), 1e-4)
    m.setup_step()
    steps, state = [], s1
    for t in range(half, length):
        yt, state = m.step(ctx.tensor(np.ascontiguousarray(x[..., t])), state)
        steps.append(yt.numpy())
    got = np.concatenate([y1.numpy()] + [s[..., None] for s in steps], axis=-1)
    r.close(name + " prefill+step", got, want_y.numpy(), 1e-4)
    r.close(name + " final state", state.numpy(), torch.view_as_real(want_state).numpy(), 1e-4)
    zero = m.default_state(batch).numpy()
    r.record(name + " default_state", zero.shape == (batch, h, d_state // 2, 2) and not zero.any())


def main():
    ctx = subq.Context()
    r = Results()
    check_fft_conv(ctx, r)
    check_opt_ssm(ctx, r)
    for args in ((3, 1, 8, 0, "s4d", "zoh", 2, 40, None, 1.0, True), (4, 2, 6, 2, "s4d", "bilinear", 1, 33, None, 1.0, False),
                 (2, 1, 4, 1, "s4d", "zoh", 2, 50, 40, 2.0, True), (3, 1, 8, 0, "s4", "zoh", 2, 16, 16, 1.0, True),
                 (2, 2, 4, 1, "s4", "zoh", 1, 24, None, 1.0, False)):
        check_module(ctx, r, *args)
    m = subq.FFTConvS4(ctx, 4, kernel="s4d", channels=3)
    r.record("d_output", m.d_output == 12, str(m.d_output))
    r.record("describe", "kernel=s4d" in m.describe(), m.describe())
    r.raises("no kernel_type", lambda: subq.FFTConvS4(ctx, 4), "kernel_type")
    r.raises("bad x", lambda: m.forward(ctx.tensor(random(1, 5, 8))), "d_model")
    r.raises("step before setup_step", lambda: m.step(ctx.tensor(random(1, 4)), m.default_state(1)), "setup_step")
    return r.finish(ctx)


if __name__ == "__main__":
    sys.exit(main())
