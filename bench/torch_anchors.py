"""PyTorch anchors for `subq bench`: the same operators and shapes, timed with CUDA events
(after 0.3 s of warm-up, the median of 20 batches of back-to-back calls, per call) on random inputs. Prints one JSON object per line, like
`subq bench --json`."""
import json
import math
import sys
import time

import torch
import torch.nn.functional as F


def median_ms(fn, reps=20, warmup_seconds=0.3, batch_ms=5.0):
    """As `subq bench` times: warm up, then time batches of back-to-back calls (each about batch_ms
    long) between two events, so the GPU never idles long enough to lower its clocks; the median
    of the per-call times."""
    start = time.monotonic()
    while time.monotonic() - start < warmup_seconds:
        fn()
        torch.cuda.synchronize()
    single = batch_time(fn, 1)
    count = max(1, min(256, int(batch_ms / single))) if single > 0 else 256
    return sorted(batch_time(fn, count) for _ in range(reps))[reps // 2]


def batch_time(fn, count):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(count):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / count


def report(op, shape, ms, nbytes, copy_gbps, flops=0):
    gbps = nbytes / (ms * 1e-3) / 1e9
    result = {"op": op, "shape": shape, "ms": ms, "gbps": gbps, "copy_gbps": copy_gbps,
              "copy_fraction": gbps / copy_gbps if copy_gbps else 0}
    if flops:
        result["tflops"] = flops / (ms * 1e-3) / 1e12
    result["device"] = torch.cuda.get_device_name()
    print(json.dumps(result), flush=True)


def copy_anchor():
    n = (512 << 20) // 4
    x = torch.rand(n, device="cuda") + 0.05
    y = torch.empty_like(x)
    ms = median_ms(lambda: y.copy_(x))
    gbps = 2 * 4 * n / (ms * 1e-3) / 1e9
    report("copy", f"{n} floats", ms, 2 * 4 * n, gbps)
    return gbps


def depthwise_conv(copy_gbps):
    B, C, L = 8, 2304, 8192
    for channels_last in (False, True):
        for K in (3, 4, 7):
            x = torch.rand(B, L, C, device="cuda").transpose(1, 2) if channels_last else \
                torch.rand(B, C, L, device="cuda")
            w = torch.rand(C, 1, K, device="cuda")
            fn = lambda: F.conv1d(x, w, padding=K - 1, groups=C)[..., :L]
            ms = median_ms(fn)
            layout = "channels-last" if channels_last else "channels-first"
            report("depthwise_conv", f"B={B} C={C} L={L} K={K} {layout}", ms, 2 * 4 * B * C * L, copy_gbps)


def causal_conv1d(copy_gbps):
    """The PyTorch formulation users fall back to without causal-conv1d's CUDA kernels: F.conv1d
    with left padding, bias and SiLU; varlen as one conv over the packed tokens per request."""
    T, D, W, R = 65536, 4096, 4, 64
    x = torch.rand(T, D, device="cuda")
    w = torch.rand(D, 1, W, device="cuda")
    b = torch.rand(D, device="cuda")
    init = torch.rand(R, D, W - 1, device="cuda")
    bounds = [T * r // R for r in range(R + 1)]

    def varlen():
        xt = x.t()  # (D, T) view of the packed channels-last tokens
        outs = []
        for r in range(R):
            seq = torch.cat([init[r], xt[:, bounds[r]:bounds[r + 1]]], dim=1).unsqueeze(0)
            outs.append(F.silu(F.conv1d(seq, w, b, groups=D))[0])
        return torch.cat(outs, dim=1).t().contiguous()

    report("causal_conv1d_varlen", f"T={T} D={D} W={W} R={R}", median_ms(varlen), 2 * 4 * T * D, copy_gbps)
    B, D, L = 8, 2304, 8192
    x = torch.rand(B, D, L, device="cuda")
    w = torch.rand(D, 1, W, device="cuda")
    b = torch.rand(D, device="cuda")
    fn = lambda: F.silu(F.conv1d(x, w, b, padding=W - 1, groups=D)[..., :L])
    report("causal_conv1d", f"B={B} D={D} L={L} W={W} channels-first", median_ms(fn), 2 * 4 * B * D * L, copy_gbps)


def linear(copy_gbps):
    """fp32 GEMM without TF32 (set in __main__), as subq computes it; and cuBLAS fp16."""
    for M, K, N, dtype in ((65536, 768, 2304, torch.float), (65536, 768, 768, torch.float),
                           (65536, 768, 2304, torch.half)):
        x, w, b = (torch.rand(*s, device="cuda", dtype=dtype) for s in ((M, K), (N, K), (N,)))
        ms = median_ms(lambda: F.linear(x, w, b))
        suffix, size = (" f16", 2) if dtype == torch.half else ("", 4)
        report("linear", f"M={M} K={K} N={N} bias{suffix}", ms, size * (M * K + N * K + M * N + N), copy_gbps,
               2 * M * N * K)
    # channels-first x [8, K, M / 8] seen as [8, M / 8, K]: what F.linear does with that view
    M, K, N, B = 65536, 768, 768, 8
    x, w, b = torch.rand(B, K, M // B, device="cuda"), torch.rand(N, K, device="cuda"), torch.rand(N, device="cuda")
    ms = median_ms(lambda: F.linear(x.transpose(1, 2), w, b))
    report("linear", f"M={M} K={K} N={N} bias x channels-first", ms, 4 * (M * K + N * K + M * N + N), copy_gbps,
           2 * M * N * K)


def rms_norm(x, g, eps=1e-6):
    if hasattr(F, "rms_norm"):
        return F.rms_norm(x, (x.shape[-1],), g, eps)
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g


def norm(copy_gbps):
    B, L, C = 8, 8192, 768
    x, q, k = (torch.rand(B, L, C, device="cuda") for _ in range(3))
    x_first = torch.rand(B, C, L, device="cuda")
    g, b = torch.rand(C, device="cuda"), torch.rand(C, device="cuda")
    cases = [("layer channels-last", lambda: F.layer_norm(x, (C,), g, b), 2),
             ("rms channels-last", lambda: rms_norm(x, g), 2),
             ("layer channels-first", lambda: F.layer_norm(x_first.transpose(1, 2), (C,), g, b).transpose(1, 2), 2),
             ("layer(a*silu(b)) channels-last", lambda: F.layer_norm(q * F.silu(k), (C,), g, b), 3)]
    for what, fn, tensors in cases:
        report("norm", f"B={B} L={L} C={C} {what}", median_ms(fn), 4 * B * L * C * tensors, copy_gbps)


def gate(copy_gbps):
    B, L, C = 8, 8192, 768
    a, b = torch.rand(B * L, C, device="cuda"), torch.rand(B * L, C, device="cuda")
    report("gate", f"B={B} L={L} C={C} a*silu(b)", median_ms(lambda: a * F.silu(b)), 12 * B * L * C, copy_gbps)
    q, k, _ = torch.rand(B * L, 3 * C, device="cuda").chunk(3, dim=-1)
    report("gate", f"B={B} L={L} C={C} q*=silu(k) in qkv", median_ms(lambda: q.mul_(F.silu(k))), 12 * B * L * C,
           copy_gbps)


def fft_conv(copy_gbps):
    """The FFT convolution as Hyena and CKConv write it in PyTorch, kernel spectrum cached: causal
    y = irfft(rfft(u, 2L) * K_f, 2L)[..., :L] with u = x, or gated u = pre * x and
    y = post * (conv + D * u); 1D and 2D zero padding through rfftn/irfftn at F = min(N + ceil(K/2),
    2N) per axis, cropped to [K/2, K/2 + N). The f16 shapes run torch.fft on half tensors (cuFFT in fp16)."""
    cases = [(16, 768, 1024, torch.float), (8, 768, 8192, torch.float), (4, 1024, 16384, torch.float),
             (1, 64, 1 << 20, torch.float)] + [(64, 768, L, torch.half) for L in (1024, 4096, 8192)]
    for B, C, L, dtype in cases:
        x = torch.rand(B, C, L, device="cuda", dtype=dtype)
        kf = torch.fft.rfft(torch.rand(1, C, L, device="cuda", dtype=dtype), n=2 * L)
        suffix, size = (" f16", 2) if dtype == torch.half else ("", 4)
        plain = lambda: torch.fft.irfft(torch.fft.rfft(x, n=2 * L) * kf, n=2 * L)[..., :L]
        report("fft_conv", f"B={B} C={C} L={L} causal{suffix}", median_ms(plain), 2 * size * B * C * L, copy_gbps)
        pre, post, D = torch.rand_like(x), torch.rand_like(x), torch.rand(C, 1, device="cuda", dtype=dtype)

        def gated():
            u = pre * x
            return post * (torch.fft.irfft(torch.fft.rfft(u, n=2 * L) * kf, n=2 * L)[..., :L] + D * u)

        report("fft_conv", f"B={B} C={C} L={L} causal gated{suffix}", median_ms(gated), 4 * size * B * C * L,
               copy_gbps)
        del x, kf, pre, post
    B, C, N = 8, 768, 8192
    K = 2 * N - 1
    x = torch.rand(B, C, N, device="cuda")
    kf = torch.fft.rfft(torch.rand(1, C, K, device="cuda"), n=2 * N)
    fn = lambda: torch.fft.irfft(torch.fft.rfft(x, n=2 * N) * kf, n=2 * N)[..., K // 2:K // 2 + N]
    report("fft_conv", f"B={B} C={C} N={N} K={K} zero", median_ms(fn), 8 * B * C * N, copy_gbps)
    del x, kf
    for B, C, N in ((8, 256, 64), (2, 128, 256)):
        K = 2 * N - 1
        F = min(N + (K + 1) // 2, 2 * N)
        x = torch.rand(B, C, N, N, device="cuda")
        kf = torch.fft.rfftn(torch.rand(1, C, K, K, device="cuda"), s=(F, F))
        fn = lambda: torch.fft.irfftn(torch.fft.rfftn(x, s=(F, F)) * kf, s=(F, F))[..., K // 2:K // 2 + N,
                                                                                   K // 2:K // 2 + N]
        report("fft_conv", f"B={B} C={C} N={N}x{N} K={K}x{K} zero", median_ms(fn), 8 * B * C * N * N, copy_gbps)


def hyena(copy_gbps):
    """subq_torch's QKVSequenceMixer(Hyena) in SPEC.md's typical configuration (SIREN kernel, LayerNorm
    PixelHyena norm, depthwise K = 3 short conv, identity gates), eager (torch.compile off): the
    kernel is generated and transformed every forward, as the reference module does."""
    import os
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import subq_torch as st
    for B, size, C in ((8, (8192,), 768), (8, (64, 64), 256)):
        d, causal = len(size), len(size) == 1
        conv = st.CKConvND(d, C, list(size), is_causal=causal)
        short = st.DepthwiseConv(d, 3 * C, 3, causal=causal)
        mixer = st.QKVSequenceMixer(C, st.Hyena(conv, short, pixelhyena_norm="layer")).cuda()
        x = torch.rand(B, *size, C, device="cuda")
        with torch.no_grad():
            ms = median_ms(lambda: mixer(x))
        shape = f"B={B} L={size[0]} C={C} causal" if causal else f"B={B} {size[0]}x{size[1]} C={C}"
        report("hyena_mixer", shape, ms, 8 * B * math.prod(size) * C, copy_gbps,
               B * mixer.flop_count(list(size), inference=True))
        del mixer, x
        torch.cuda.empty_cache()


def s4(copy_gbps):
    """lrnnx's formulations from subq_torch.s4: FFTConvS4 forward with an S4D (ZOH, Lin init) kernel, the
    Vandermonde sum as lrnnx's naive fallback writes it, then rfft/irfft at n = 2L; once with the kernel
    made every call (as the module does) and once with its spectrum cached (what subq times as "kernel
    cached"). opt_ssm_forward as lrnnx writes it (complex fft over 2L and einsum), K, B_, C complex."""
    import os
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    from subq_torch import s4 as ts4
    B, H, L = 16, 768, 4096
    x = torch.rand(B, H, L, device="cuda")
    conv = ts4.FFTConvS4(H, kernel_type="s4d", d_state=64, init="lin").cuda()
    bytes_ = 8 * B * H * L
    with torch.no_grad():
        k_f = torch.fft.rfft(conv.kernel.kernel(L)[0], n=2 * L)
        report("s4", f"FFTConvS4 s4d B={B} H={H} L={L} N=64 C=1 kernel cached",
               median_ms(lambda: conv.convolve(x, k_f, 2 * L)), bytes_, copy_gbps)
        report("s4", f"FFTConvS4 s4d B={B} H={H} L={L} N=64 C=1 kernel each call", median_ms(lambda: conv(x)), bytes_,
               copy_gbps)
    del x, k_f, conv
    for b, L, h, n, strategy in ((16, 4096, 4, 64, 1), (8, 4096, 256, 64, 2), (16, 4096, 64, 128, 3)):
        x = torch.rand(b, L, h, device="cuda")
        K = torch.randn(n, L, dtype=torch.cfloat, device="cuda")
        B_ = torch.randn(n, h, dtype=torch.cfloat, device="cuda")
        C = torch.randn(h, n, dtype=torch.cfloat, device="cuda")
        report("s4", f"opt_ssm_forward B={b} L={L} H={h} N={n} strategy {strategy}",
               median_ms(lambda: ts4.opt_ssm_forward(x, K, B_, C)), 8 * b * L * h, copy_gbps)


ANCHORS = {"depthwise_conv": depthwise_conv, "causal_conv1d": causal_conv1d, "linear": linear, "norm": norm,
           "gate": gate, "fft_conv": fft_conv, "hyena": hyena, "s4": s4}

if __name__ == "__main__":
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    names = sys.argv[1:] or list(ANCHORS)
    copy_gbps = copy_anchor()
    for name in names:
        if name in ANCHORS:  # subq's tuning sweeps (fft_conv_plans) have no PyTorch side
            ANCHORS[name](copy_gbps)
