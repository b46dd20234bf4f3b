"""FFT convolutions of SPEC.md section 4, as CKConvND and Hyena compute them."""
import math

import torch


def fft_conv_causal(u, k):
    """Hyena's fftconv: y = irfft(rfft(u, 2L) * rfft(k, 2L), 2L)[..., :L]; k [.., C, K <= L], k[0] = lag 0."""
    L = u.shape[-1]
    F = 2 * L
    return torch.fft.irfft(torch.fft.rfft(u, n=F) * torch.fft.rfft(k, n=F), n=F)[..., :L]


def fft_conv_nd(u, k, paddings):
    """CKConvND, u [B, C, *N], k [1|B, C, *K]: per axis zero padding (F = min(N + ceil(K/2), 2N), crop
    [K/2, K/2 + N)) or circular (F = N, spectrum times exp(-2 pi i f s / N), s = -((K-1)/2); a kernel
    longer than N wraps around: y[n] = sum_m k[m] x[(n - m + (K-1)/2) mod N] over every m)."""
    dims = list(range(2, u.dim()))
    N, K = u.shape[2:], k.shape[2:]
    for a, (n, p) in enumerate(zip(N, paddings)):
        if p == "circular" and k.shape[2 + a] > n:
            k = _fold(k, 2 + a, n)
    F = [min(n + math.ceil(kk / 2), 2 * n) if p == "zero" else n for n, kk, p in zip(N, K, paddings)]
    spectrum = torch.fft.rfftn(u, s=F, dim=dims) * torch.fft.rfftn(k, s=F, dim=dims)
    for a, (n, kk, p) in enumerate(zip(N, K, paddings)):
        if p != "circular":
            continue
        last = a == len(N) - 1
        f = torch.arange(n // 2 + 1 if last else n, dtype=torch.float64, device=u.device)
        phase = torch.exp(-2j * math.pi * f * (-((kk - 1) // 2)) / n).to(spectrum.dtype)
        shape = [1] * spectrum.dim()
        shape[2 + a] = phase.shape[0]
        spectrum = spectrum * phase.view(shape)
    y = torch.fft.irfftn(spectrum, s=F, dim=dims)
    for a, (n, kk, p) in enumerate(zip(N, K, paddings)):
        if p == "zero":
            y = y.narrow(2 + a, kk // 2, n)
    return y


def _fold(k, dim, n):
    """Sum the kernel's points m into m mod n along dim."""
    shape = list(k.shape)
    shape[dim] = n
    folded = torch.zeros(shape, dtype=k.dtype, device=k.device)
    index = torch.arange(k.shape[dim], device=k.device) % n
    return folded.index_add_(dim, index, k)
