"""lrnnx's convolution family (SPEC.md section 7) in PyTorch: fft_conv and opt_ssm_forward as lrnnx
writes them, and FFTConvS4, parameter for parameter as subq's `subq_fftconv_s4` names them
(kernel.A_real, kernel.A_imag, kernel.B, kernel.C, kernel.P, kernel.inv_dt): S4D kernels (ZOH,
bilinear), the S4 DPLR kernel (Cauchy resolvent, Woodbury, bilinear), forward with a state,
forward_state, setup_step/step (S4D's diagonal recurrence; S4's "linear" step: the diagonal plus
rank-1 update applied without a dense matrix), default_state, and the HiPPO-LegS and Lin inits.

States are complex [*batch, H, N2] (N2 = d_state / 2 modes, one of each conjugate pair; outputs are
2 Re of the sum over them), as subq's [*batch, H, N2, 2]. The module computes in the complex dtype of
its parameters: call .double() for a float64 reference.

Where this differs from lrnnx on purpose: kernel.C of an S4 kernel is always C~ (C (I - dA^l_kernel)),
set up for `l_kernel` (default l_max, else the input's length), instead of lrnnx's l_kernel buffer that
rewrites C in place on the first forward and doubles it when a longer input comes; the dense and
diagonal step modes are absent (the linear one computes the same outputs)."""
import math

import torch
from torch import nn

INITS = ("legs", "lin")


def hippo_legs(n):
    """HiPPO-LegS in float64: A [n, n] (A[i, j] = -sqrt(2i+1) sqrt(2j+1) below the diagonal, -(i+1) on
    it, 0 above), B [n] = sqrt(2i+1), and the rank-1 correction P [n] = sqrt(i + 1/2) that makes
    A + P P^T = -I/2 + a skew-symmetric matrix."""
    q = torch.arange(n, dtype=torch.float64)
    r = torch.sqrt(2 * q + 1)
    a = -torch.tril(r[:, None] * r[None, :], -1) - torch.diag(q + 1)
    return a, r.clone(), torch.sqrt(q + 0.5)


def nplr_legs(n, b_clip=2.0):
    """The normal plus low-rank form of HiPPO-LegS, as lrnnx's nplr('legs', n): A = V (diag(W) - P P^*) V^*
    over the n/2 eigenpairs of A + P P^T whose eigenvalues have negative imaginary part (their conjugates
    complete the basis). Returns W [n/2] complex (-1/2 + i*eigenvalue of -i S, ascending), P [n/2],
    B [n/2] (imaginary part clipped to +-b_clip, as lrnnx does), V [n, n/2].

    Eigenvectors are unique up to a phase, which B_clip sees: LAPACK (torch.linalg.eigh on the lower
    triangle) leaves each one's first component real with an arbitrary sign; here it is also positive,
    a sign flip of a mode's P and B that changes no kernel."""
    a, b, p = hippo_legs(n)
    s = a + torch.outer(p, p)
    w_im, v = torch.linalg.eigh(-1j * (s - torch.diag(torch.diagonal(s))).to(torch.complex128))
    v = v[:, :n // 2]
    first = v[0]
    v = v * torch.where(first.abs() > 0, first.abs() / first, torch.ones_like(first))
    w = torch.diagonal(s).mean() + 1j * w_im[:n // 2]
    b_t, p_t = v.conj().T @ b.to(v.dtype), v.conj().T @ p.to(v.dtype)
    if b_clip is not None:
        b_t = b_t.real + 1j * torch.clamp(b_t.imag, -b_clip, b_clip)
    return w, p_t, b_t, v


def _complex(*tensors):
    """complex128 when any tensor is double precision, else complex64 (lrnnx casts to cfloat)."""
    wide = any(t.dtype in (torch.float64, torch.complex128) for t in tensors)
    return torch.complex128 if wide else torch.complex64


def fft_conv(equation, x, *args):
    """lrnnx's fft_conv: FFTs of size 2L along L (x [B, L, ...]; one kernel along its axis 0, or K's axis 1
    of (K, B_, C)), the einsum in frequency space, the first L points of the inverse (complex)."""
    length, dtype = x.shape[1], _complex(x, *args)
    x_f = torch.fft.fft(x.to(dtype), 2 * length, dim=1)
    args = tuple(a.to(dtype) for a in args)
    if len(args) == 1:
        y_f = torch.einsum(equation, x_f, torch.fft.fft(args[0], 2 * length, dim=0))
    else:
        k, b, c = args
        y_f = torch.einsum(equation, x_f, torch.fft.fft(k, 2 * length, dim=1), b, c)
    return torch.fft.ifft(y_f, dim=1)[:, :length]


def opt_ssm_choose(batch, h_in, h_out, n):
    """lrnnx's rule: 'full_kernel', 'project' or 'factored'."""
    if 1 / h_in + 1 / h_out > 1 / batch + 1 / n:
        return "full_kernel" if h_in * h_out <= n else "factored"
    return "project" if n <= h_in else "factored"


def opt_ssm_forward(x, K, B_, C, strategy=None):
    """lrnnx's opt_ssm_forward(x [B, L, H_in], K [N, L], B_ [N, H_in], C [H_out, N]) -> real [B, L, H_out],
    by the route it chooses (or the one named)."""
    strategy = strategy or opt_ssm_choose(x.shape[0], x.shape[2], C.shape[0], C.shape[1])
    if strategy == "full_kernel":
        return fft_conv("bli,loi->blo", x, torch.einsum("on,nl,ni->loi", C, K, B_).real).real
    if strategy == "project":
        projected = torch.einsum("blh,nh->bln", x.to(B_.dtype), B_)
        return torch.einsum("bln,hn->blh", fft_conv("bln,ln->bln", projected, K.T), C.to(_complex(x, C))).real
    return fft_conv("blh,nl,nh,on->blo", x, K, B_, C).real


def _pairs(z):
    """Both members of each conjugate pair along the last axis: [z, conj z]."""
    return torch.cat([z, z.conj()], dim=-1)


class SSMKernel(nn.Module):
    """The parameters of an S4D or S4 (DPLR, rank 1) kernel and the computations on them."""

    def __init__(self, d_model, channels, kernel_type, d_state, n_ssm, dt_min, dt_max, disc, init, l_kernel):
        super().__init__()
        if kernel_type not in ("s4", "s4d"):
            raise ValueError(f"kernel_type: expected 's4' or 's4d', got {kernel_type!r}")
        if disc not in ("zoh", "bilinear") or (kernel_type == "s4" and disc != "zoh"):
            raise ValueError(f"disc: {disc!r} (S4D: 'zoh' or 'bilinear'; S4 is bilinear by construction)")
        if d_state < 2 or d_state % 2:
            raise ValueError(f"d_state: expected an even number >= 2, got {d_state}")
        if d_model % n_ssm:
            raise ValueError(f"n_ssm: {n_ssm} does not divide d_model {d_model}")
        if init not in INITS:
            raise ValueError(f"init: expected one of {INITS}, got {init!r}")
        self.kernel_type, self.disc, self.init = kernel_type, disc, init
        self.h, self.channels, self.n2, self.n_ssm = d_model, channels, d_state // 2, n_ssm
        self.dt_min, self.dt_max, self.l_kernel = dt_min, dt_max, l_kernel
        n2 = self.n2
        self.A_real = nn.Parameter(torch.empty(n_ssm, n2))
        self.A_imag = nn.Parameter(torch.empty(n_ssm, n2))
        self.B = nn.Parameter(torch.empty(1, n_ssm, n2, 2))
        self.C = nn.Parameter(torch.empty(channels, d_model, n2, 2))
        self.P = nn.Parameter(torch.empty(1, n_ssm, n2, 2)) if kernel_type == "s4" else None
        self.inv_dt = nn.Parameter(torch.empty(d_model, 1))
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self):
        """lrnnx's init ('legs' is its default for both kernel types): A_real = log 1/2; LegS: A_imag,
        B (and P) from nplr_legs(d_state); Lin: A_imag = pi n (clamped to >= 1e-4 as lrnnx's
        inv_transform does), B = 1, P ~ complex N(0, 1); C ~ complex N(0, 1) (each part std sqrt(1/2));
        inv_dt ~ U(log dt_min, log dt_max)."""
        n2 = self.n2
        self.A_real.fill_(math.log(0.5))
        if self.init == "legs":
            w, p, b, _ = nplr_legs(2 * n2)
            self.A_imag.copy_((-w.imag).expand(self.n_ssm, n2))
            self.B.copy_(torch.view_as_real(b).expand(1, self.n_ssm, n2, 2))
            if self.P is not None:
                self.P.copy_(torch.view_as_real(p).expand(1, self.n_ssm, n2, 2))
        else:
            self.A_imag.copy_(torch.clamp(math.pi * torch.arange(n2, dtype=torch.float64), min=1e-4)
                              .expand(self.n_ssm, n2))
            self.B.copy_(torch.tensor([1.0, 0.0]).expand(1, self.n_ssm, n2, 2))
            if self.P is not None:
                self.P.normal_(0.0, math.sqrt(0.5))
        self.C.normal_(0.0, math.sqrt(0.5))
        self.inv_dt.uniform_(math.log(self.dt_min), math.log(self.dt_max))

    # ---- parameters as complex tensors, per SSM row h (parameter row h mod n_ssm) --------------

    def processed(self, rate):
        """dt [H, 1] (times rate), A [H, N2], B [H, N2], C [channels, H, N2], P [H, N2] (S4 only)."""
        rep = self.h // self.n_ssm
        a = (-torch.exp(self.A_real) - 1j * self.A_imag).repeat(rep, 1)
        b = torch.view_as_complex(self.B.contiguous())[0].repeat(rep, 1)
        p = torch.view_as_complex(self.P.contiguous())[0].repeat(rep, 1) if self.P is not None else None
        return torch.exp(self.inv_dt) * rate, a, b, torch.view_as_complex(self.C.contiguous()), p

    def s4d_discrete(self, rate):
        """S4D's dA, dB [H, N2] at a rate."""
        dt, a, b, _, _ = self.processed(rate)
        dta = dt * a
        if self.disc == "bilinear":
            return (1 + dta / 2) / (1 - dta / 2), b * dt / (1 - dta / 2)
        return torch.exp(dta), b * (torch.exp(dta) - 1) / a

    def dplr_dense(self, rate):
        """S4's bilinear discretisation as dense matrices over both members of each pair (the
        original's "dense" form): A = diag(Lambda) - P P^*, dA = (I - dt/2 A)^-1 (I + dt/2 A),
        dB = (I - dt/2 A)^-1 dt B; dA [H, 2N2, 2N2], dB [H, 2N2]."""
        dt, a, b, _, p = self.processed(rate)
        pp = _pairs(p)
        full = torch.diag_embed(_pairs(a)) - pp[:, :, None] * pp.conj()[:, None, :]
        eye = torch.eye(2 * self.n2, dtype=full.dtype, device=full.device)
        half = dt[..., None] / 2 * full
        da = torch.linalg.solve(eye - half, eye + half)
        db = torch.linalg.solve(eye - half, (dt * _pairs(b))[..., None])[..., 0]
        return da, db

    # ---- kernels ----------------------------------------------------------------------------

    def kernel(self, length, rate=1.0, state=None):
        """(k [channels, H, lk], k_state [B, channels, H, lk] or None), lk = length, at the rate. S4D as
        lrnnx's Vandermonde sum: K = 2 Re sum_n C' exp(log(dA) l) with C' = C dB; the state's response
        y[t] += 2 Re sum_n C (dA^(t+1) s)_n (lrnnx's B rows from the state come to the same)."""
        if self.kernel_type == "s4":
            return self.dplr_kernel(length, rate, state)
        dt, a, _, c, _ = self.processed(rate)
        da, db = self.s4d_discrete(rate)
        log_da = dt * a if self.disc == "zoh" else torch.log(da)
        powers = torch.exp(log_da[..., None] * torch.arange(length, dtype=da.real.dtype, device=da.device))
        k = 2 * torch.einsum("chn,hn,hnl->chl", c, db, powers).real
        if state is None:
            return k, None
        return k, 2 * torch.einsum("chn,bhn,hnl->bchl", c, state.to(c.dtype) * da, powers).real

    def dplr_fft_points(self, length, rate):
        """The FFT size of the S4 kernel: round(l_kernel / rate), where C~ must cover round(rate * length)
        points (lrnnx would double C~ in place instead)."""
        l_kernel = self.l_kernel or round(rate * length)
        if round(rate * length) > l_kernel:
            raise ValueError(f"rate: a kernel of {length} points at rate {rate} needs C~ for "
                             f"{round(rate * length)} points; l_kernel is {l_kernel}")
        return round(l_kernel / rate)

    def dplr_kernel(self, length, rate, state):
        """lrnnx's S4 kernel: the Cauchy sums r(v) = sum_n v/(z - w) + conj(v)/(z - conj(w)) at
        z = 2 (1 - omega)/(1 + omega) over the FFT's nodes omega, w = A dt, v = X Y dt for X in
        (B, P), Y in (C, Q = conj(P)); Woodbury r00 - r01 r10 / (1 + r11); times 2 / (1 + omega);
        irfft. Evaluated as 2 rho00 - 2 b rho01 rho10 / (1 + b rho11), rho(v) = r(v) / b, b = 1 + omega,
        which is finite at omega = -1. The state enters as extra B rows s / dt + A s / 2 (A the DPLR
        matrix), whose kernel is the state's response."""
        fft = self.dplr_fft_points(length, rate)
        dt, a, b, c, p = self.processed(rate)
        q = p.conj()
        nodes = torch.arange(fft // 2 + 1, dtype=torch.float64, device=a.device)
        omega = torch.exp(-2j * math.pi * nodes / fft).to(a.dtype)
        num, den = 2 * (1 - omega), 1 + omega
        w = (a * dt)[..., None]

        def rho(v):  # [..., H, N2] -> [..., H, F]
            v = v[..., None]
            return (v / (num - w * den) + v.conj() / (num - w.conj() * den)).sum(-2)

        rows = b[None]
        if state is not None:
            s = state.to(a.dtype)
            qs = 2 * (q * s).sum(-1, keepdim=True).real
            rows = torch.cat([s / dt + (a * s - p * qs) / 2, rows])
        r01 = rho(rows * q * dt)  # [R, H, F]
        r10, r11 = rho(p * c * dt), rho(p * q * dt)  # [C, H, F], [H, F]
        r00 = rho(rows[:, None] * c[None] * dt)  # [R, C, H, F]
        k_f = 2 * r00 - 2 * den * r01[:, None] * r10[None] / (1 + den * r11)
        k = torch.fft.irfft(k_f, n=fft)[..., :length]
        return k[-1], (k[:-1] if state is not None else None)

    # ---- recurrence ---------------------------------------------------------------------------

    def forward_state(self, u, state):
        """The state after u [B, H, L] from state [B, H, N2], at rate 1: dA^L s + sum_t dA^(L-1-t) dB u_t."""
        length = u.shape[-1]
        if self.kernel_type == "s4d":
            da, db = self.s4d_discrete(1.0)
            log_da = torch.log(da)
            exponents = torch.arange(length - 1, -1, -1, dtype=da.real.dtype, device=da.device)
            powers = torch.exp(log_da[..., None] * exponents)
            return torch.exp(log_da * length) * state + torch.einsum("hn,bhl,hnl->bhn", db, u.to(db.dtype), powers)
        da, db = self.dplr_dense(1.0)
        v = db[None, :, :, None] * u.to(db.dtype)[:, :, None, :]  # [B, H, 2N2, L]
        m = da
        while v.shape[-1] > 1:  # pairs (t, t+1) -> m v_t + v_(t+1), then m -> m^2
            if v.shape[-1] % 2:
                v = torch.cat([torch.zeros_like(v[..., :1]), v], -1)
            v = torch.einsum("hmn,bhnl->bhml", m, v[..., 0::2]) + v[..., 1::2]
            m = m @ m
        s = torch.einsum("hmn,bhn->bhm", torch.linalg.matrix_power(da, length), _pairs(state.to(da.dtype)))
        return (s + v[..., 0])[..., :self.n2]

    @torch.no_grad()
    def setup_step(self):
        """S4D: dA, dB, dC = C. S4 (the original's "linear" mode, at rate 1): with A = diag(Lambda) -
        P Q^T over both members of each pair, D = (2/dt - Lambda)^-1, E = 2/dt + Lambda and
        R = Q D / (1 + Q^T D P) (Woodbury), and dC = C~ (I - dA^l_kernel)^-1 (a dense solve)."""
        if self.kernel_type == "s4d":
            da, db = self.s4d_discrete(1.0)
            self.step_params = {"dA": da, "dB": db, "dC": self.processed(1.0)[3]}
            return
        if not self.l_kernel:
            raise ValueError("l_kernel: the S4 step needs the length C~ was set up for (l_kernel or l_max)")
        dt, a, b, c, p = self.processed(1.0)
        q = p.conj()
        d = 1 / (2 / dt - a)
        r = q * d / (1 + 2 * (q * d * p).sum(-1, keepdim=True).real)
        da, _ = self.dplr_dense(1.0)
        eye = torch.eye(2 * self.n2, dtype=da.dtype, device=da.device)
        lhs = (eye - torch.linalg.matrix_power(da, self.l_kernel)).transpose(-1, -2)
        dc = torch.linalg.solve(lhs, _pairs(c)[..., None])[..., 0]
        self.step_params = {"D": d, "E": 2 / dt + a, "R": r, "P": p, "Q": q, "B": b, "dC": dc[..., :self.n2]}

    def step(self, u, state):
        """(y [B, channels, H], next state [B, H, N2]) from u [B, H] and state [B, H, N2]."""
        sp = self.step_params
        u = u.to(sp["dC"].dtype)[..., None]
        if self.kernel_type == "s4d":
            s = sp["dA"] * state + sp["dB"] * u
        else:  # s' = D (t - P 2Re(R.t)), t = E s - P 2Re(Q.s) + 2 B u
            t = sp["E"] * state - sp["P"] * 2 * (sp["Q"] * state).sum(-1, keepdim=True).real + 2 * sp["B"] * u
            s = sp["D"] * (t - sp["P"] * 2 * (sp["R"] * t).sum(-1, keepdim=True).real)
        return 2 * torch.einsum("chn,bhn->bch", sp["dC"], s).real, s


class FFTConvS4(nn.Module):
    """lrnnx's FFTConvS4(d_model, l_max=None, channels=1, transposed=True, kernel_type, ...) with its
    kernel's parameters built in. forward(x, state=None, rate=1.0) -> (y [B, C, H, L], next_state);
    x (B, H, L) if transposed else (B, L, H). l_kernel (S4): the length C~ was set up for (default l_max;
    None: the input's length at each forward, and no stepping)."""

    def __init__(self, d_model, l_max=None, channels=1, transposed=True, kernel_type=None, d_state=64, n_ssm=None,
                 dt_min=0.001, dt_max=0.1, disc="zoh", init="legs", l_kernel=None, kernel=None):
        super().__init__()
        kernel_type = kernel_type or kernel
        if kernel_type is None:
            raise ValueError("kernel_type: FFTConvS4 needs a kernel_type ('s4' or 's4d')")
        self.d_model, self.l_max, self.channels, self.transposed = d_model, l_max, channels, transposed
        self.kernel = SSMKernel(d_model, channels, kernel_type, d_state, n_ssm or d_model, dt_min, dt_max, disc,
                                init, (l_kernel or l_max or 0) if kernel_type == "s4" else 0)

    @property
    def d_output(self):
        return self.d_model * self.channels

    def forward(self, x, state=None, rate=1.0):
        if not self.transposed:
            x = x.transpose(-1, -2)
        length = x.shape[-1]
        lk = length if self.l_max is None else min(length, round(self.l_max / rate))
        if state is not None and lk != length:
            raise ValueError(f"state: the state's response needs a kernel as long as x ({length}); got {lk}")
        k, k_state = self.kernel.kernel(lk, rate, state=state)
        y = self.convolve(x, torch.fft.rfft(k.to(x.dtype), n=lk + length), lk + length)
        if state is None:
            return y, None
        return y + k_state.to(y.dtype), self.kernel.forward_state(x, state)

    @staticmethod
    def convolve(x, k_f, n):
        """y [B, C, H, L] = irfft(rfft(x, n) k_f, n)[..., :L] for x [B, H, L] and k_f = rfft(k, n) [C, H, n/2 + 1]."""
        return torch.fft.irfft(torch.einsum("bhl,chl->bchl", torch.fft.rfft(x, n=n), k_f), n=n)[..., :x.shape[-1]]

    def setup_step(self):
        self.kernel.setup_step()

    def step(self, x, state):
        """x [B, H], state [B, H, N2] -> (y [B, C, H], next_state)."""
        return self.kernel.step(x, state)

    def default_state(self, *batch_shape, device=None):
        dtype = torch.complex128 if self.kernel.C.dtype == torch.float64 else torch.complex64
        device = self.kernel.C.device if device is None else device
        return torch.zeros(*batch_shape, self.d_model, self.kernel.n2, dtype=dtype, device=device)

    def extra_repr(self):
        k = self.kernel
        return (f"d_model={self.d_model}, l_max={self.l_max}, channels={self.channels}, transposed={self.transposed}, "
                f"kernel={k.kernel_type}, d_state={2 * k.n2}, n_ssm={k.n_ssm}, "
                f"disc={'bilinear' if k.kernel_type == 's4' else k.disc}")


__all__ = ["FFTConvS4", "SSMKernel", "fft_conv", "hippo_legs", "nplr_legs", "opt_ssm_choose", "opt_ssm_forward"]
