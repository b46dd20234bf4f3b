"""subq's modules (CKConvND, Hyena, QKVSequenceMixer, QKVConditionMixer) against python/subq_torch, the
PyTorch reference written from SPEC.md: random reference modules in many configurations, their
state_dict (perturbed away from the init, so that every parameter matters) loaded into subq by name,
forward outputs compared with the reference run in float64 at 1e-5 relative to max(1, max|y|)
(times the output norm's gain where it divides by small channels: output_norm_allowance), and
flop_count, describe and the parameter table compared exactly. Also incremental inference
(prefill + steps == the full forward) and init's distributions. Prints 'N passed, M failed'."""
import math
import sys

import numpy as np
import torch

from parity import Results, random, subq, t64  # puts python/ on the path
import subq_torch as st  # noqa: E402

TOL = 1e-5


def perturbed_state(module):
    state = {}
    for name, value in module.state_dict().items():
        v = value.double()
        scale = 0.2 * (float(v.abs().mean()) + 0.05)
        state[name] = (v + scale * torch.from_numpy(random(*v.shape).astype(np.float64))).float()
        if name.endswith("mask.sigma"):
            state[name] = v.float() * (1 + 0.3 * torch.from_numpy(random(*v.shape)))
    module.load_state_dict(state)
    return {name: t.numpy() for name, t in state.items()}


def ckconv_kwargs(d, c, cache, causal=False, **kw):
    return dict(data_dim=d, hidden_dim=c, cache_size=cache, is_causal=causal, **kw)


def build(ctx, d, c, cache, causal, short=None, hyena_kw=None, conv_kw=None):
    conv_kw, hyena_kw = conv_kw or {}, hyena_kw or {}
    g = ckconv_kwargs(d, c, cache, causal, **conv_kw)
    ref_conv = st.CKConvND(**g)
    ref_short = None
    if short:
        ref_short = st.DepthwiseConv(d, 3 * c, short["kernel_size"], causal=short.get("causal", False),
                                     bias=short.get("bias", False), kind=short.get("kind", "conv"),
                                     num_groups=short.get("num_groups"))
    ref = st.Hyena(ref_conv, ref_short, **hyena_kw)
    ours = subq.Hyena(ctx, g, short_conv=short, **hyena_kw)
    return ref, ours


def compare_tables(r, name, ref, ours):
    expected = [(n, tuple(t.shape)) for n, t in ref.state_dict().items()]
    r.record(name + " parameter names and shapes", expected == ours.parameters(),
             "" if expected == ours.parameters() else f"{expected} != {ours.parameters()}")


def compare_counts(r, name, ref, ours, dims):
    ok = all(ref.flop_count(dims, inf) == ours.flop_count(dims, inf) for inf in (False, True))
    r.record(name + " flop_count", ok, f"{ref.flop_count(dims)} vs {ours.flop_count(dims)}")
    ok = ref.extra_repr() == ours.describe()
    r.record(name + " describe", ok, "" if ok else f"{ref.extra_repr()!r} vs {ours.describe()!r}")


def norm_gain(norm, x):
    """Per position, the most by which the channel norm multiplies an error in its input x."""
    if isinstance(norm, st.RMSNorm):
        scale = torch.rsqrt(x.pow(2).mean(1, keepdim=True) + norm.eps)
    elif isinstance(norm, st.LayerNorm):
        scale = torch.rsqrt(x.var(1, unbiased=False, keepdim=True) + norm.eps)
    else:
        scale = 1 / x.norm(dim=1, keepdim=True).clamp_min(norm.eps)
    weight = getattr(norm, "weight", None)
    return scale * (1.0 if weight is None else float(weight.abs().max()))


def output_norm_allowance(ref, inputs, conditioning):
    """Runs ref (float64) and returns its output and, per output element, the allowance for the
    output norm. The long conv's fp32 rounding is absolute, of the order of the largest value, so
    at a position whose channels happen to be small the norm's division magnifies it: up to 400x
    in random draws, where 1e-5 of the output would fail one run in a hundred."""
    if isinstance(ref.output_norm, torch.nn.Identity):
        return ref(*inputs, conditioning=conditioning).numpy(), 1.0
    seen = {}
    hook = ref.output_norm.register_forward_pre_hook(lambda module, args: seen.update(x=args[0]))
    y = ref(*inputs, conditioning=conditioning)
    hook.remove()
    x, scale = seen["x"], max(1.0, float(y.abs().max()))
    gain = norm_gain(ref.output_norm, x) * max(1.0, float(x.abs().max())) / scale
    return y.numpy(), gain.clamp_min(1.0).movedim(1, -1).numpy()


def hyena_case(ctx, r, name, d, c, size, cache, causal, short=None, hyena_kw=None, conv_kw=None, batch=2):
    ref, ours = build(ctx, d, c, cache, causal, short, hyena_kw, conv_kw)
    compare_tables(r, name, ref, ours)
    ours.load_state_dict(perturbed_state(ref))
    cond_dim = (conv_kw or {}).get("film_cond_dim", 0)
    q, k, v = (random(batch, *size, c) for _ in range(3))
    cond = random(batch, cond_dim) if cond_dim else None
    with torch.no_grad():
        expected, allowance = output_norm_allowance(ref.double(), [t64(a) for a in (q, k, v)],
                                                    None if cond is None else t64(cond))
    r.close(name, ours(q, k, v, cond), expected, TOL, allowance)
    compare_counts(r, name, ref, ours, list(size))
    return ref, ours


def hyena_cases(ctx, r):
    causal_short = dict(kernel_size=3, causal=True)
    hyena_case(ctx, r, "1D causal plain", 1, 8, (33,), 16, True)
    hyena_case(ctx, r, "1D causal typical", 1, 16, (64,), 64, True, causal_short,
               dict(pixelhyena_norm="layer"))
    hyena_case(ctx, r, "1D causal distributed bias silu/sigmoid rms qk", 1, 12, (40,), 24, True,
               dict(kind="distributed", kernel_size=4, causal=True, bias=True, num_groups=6),
               dict(gate="silu", gate_2="sigmoid", qk_norm="rms"))
    hyena_case(ctx, r, "1D causal qk layer identity gates output rms", 1, 8, (31,), 40, True, causal_short,
               dict(qk_norm="layer", output_norm="rms"))
    hyena_case(ctx, r, "1D causal l2 qk pix rms gelu", 1, 8, (20,), 12, True, None,
               dict(gate="gelu", qk_norm="l2", pixelhyena_norm="rms", output_norm="layer"))
    hyena_case(ctx, r, "1D causal rff gaussian film", 1, 8, (24,), 16, True, causal_short,
               dict(pixelhyena_norm="layer"), dict(generator="rff", generator_hidden=16, mask="gaussian",
                                                   film_cond_dim=5, film_hidden=7))
    hyena_case(ctx, r, "1D causal siren H80 exponential", 1, 8, (17,), 30, True, None, None,
               dict(generator_hidden=80, generator_layers=2, mask="exponential"))
    hyena_case(ctx, r, "1D non-causal same short conv", 1, 8, (30,), 16, False, dict(kernel_size=3),
               dict(gate="sigmoid"))
    # 1D with a PixelHyena norm and no QK norm: the one-pass short conv, gate and norm, here with
    # channels that fill several invocations' registers (C = 300) and positions that end mid-tile.
    hyena_case(ctx, r, "1D causal one-pass front C=300 distributed bias silu", 1, 300, (37,), 37, True,
               dict(kind="distributed", kernel_size=4, causal=True, bias=True, num_groups=300),
               dict(gate="silu", pixelhyena_norm="layer", gate_2="sigmoid"))
    hyena_case(ctx, r, "1D non-causal one-pass front C=40 even K rms gelu", 1, 40, (45,), 45, False,
               dict(kernel_size=4, bias=True), dict(gate="gelu", pixelhyena_norm="rms"))
    hyena_case(ctx, r, "1D non-causal one-pass front C=20 l2 softplus", 1, 20, (19,), 10, False,
               dict(kernel_size=5), dict(gate="softplus", pixelhyena_norm="l2", output_norm="rms"))
    # C = 800: 4 positions a workgroup where shared memory is 32 KB (lavapipe), 8 where it is 48 KB
    hyena_case(ctx, r, "1D causal one-pass front C=800", 1, 800, (13,), 13, True, causal_short,
               dict(pixelhyena_norm="layer"))
    hyena_case(ctx, r, "1D non-causal circular single grid film", 1, 8, (21,), 11, False, None, None,
               dict(fft_padding="circular", grid_type="single", film_cond_dim=3))
    hyena_case(ctx, r, "2D typical", 2, 8, (9, 10), 9, False, dict(kernel_size=3), dict(pixelhyena_norm="layer"))
    hyena_case(ctx, r, "2D mixed padding distributed even K gaussian", 2, 8, (8, 7), (6, 9), False,
               dict(kind="distributed", kernel_size=(2, 3), num_groups=4, bias=True),
               dict(gate="silu", qk_norm="rms", output_norm="l2"), dict(fft_padding=["zero", "circular"],
                                                                       mask="gaussian"))
    hyena_case(ctx, r, "2D rff film silu/identity", 2, 8, (6, 6), 6, False, None, dict(gate="silu", gate_2="identity"),
               dict(generator="rff", generator_hidden=12, rff_activation="silu", film_cond_dim=4))
    hyena_case(ctx, r, "3D", 3, 8, (4, 5, 6), 5, False, dict(kernel_size=3, bias=True),
               dict(pixelhyena_norm="layer", qk_norm="layer", gate_2="silu"), dict(mask="exponential"))


def qkv_cases(ctx, r):
    # C = 512: projections with K >= 512 and whole 128 x 128 blocks, which take the f32 tensor-core
    # GEMM on devices that have one.
    # The inner mixer writes a channels-first store; without a short conv Hyena's v is qkv_proj's
    # channels-last column block, and with an output norm or a gate_2 a pass writes the output.
    for d, size, c, causal, qkv_bias, out_bias, short, kw in (
            (1, (40,), 8, True, False, False, True, dict(pixelhyena_norm="layer")),
            (1, (40,), 8, True, True, True, True, dict(pixelhyena_norm="layer")),
            (2, (7, 9), 8, False, True, False, True, dict(pixelhyena_norm="layer")),
            (1, (128,), 512, True, True, True, True, dict(pixelhyena_norm="layer")),
            (1, (33,), 8, True, True, False, False, dict(qk_norm="rms")),
            (2, (6, 5), 8, False, False, True, False, dict(gate="silu", output_norm="layer"))):
        name = f"QKVSequenceMixer {d}D C={c} biases {qkv_bias}/{out_bias}{'' if short else ' no short conv'}"
        ref_h, ours_h = build(ctx, d, c, 16, causal, dict(kernel_size=3, causal=causal) if short else None, kw)
        ref = st.QKVSequenceMixer(c, ref_h, qkv_bias, out_bias)
        ours = subq.QKVSequenceMixer(ctx, c, ours_h, qkv_bias, out_bias)
        compare_tables(r, name, ref, ours)
        ours.load_state_dict(perturbed_state(ref))
        x = random(2, *size, c)
        with torch.no_grad():
            expected = ref.double()(torch.from_numpy(x).double()).numpy()
        r.close(name, ours(x), expected, TOL)
        compare_counts(r, name, ref, ours, list(size))
    c = 8
    ref_h, ours_h = build(ctx, 2, c, 8, False, dict(kernel_size=3), dict(gate="silu"), dict(film_cond_dim=3))
    ref, ours = st.QKVConditionMixer(c, ref_h), subq.QKVConditionMixer(ctx, c, ours_h)
    compare_tables(r, "QKVConditionMixer", ref, ours)
    ours.load_state_dict(perturbed_state(ref))
    x, condition, cond = random(2, 6, 5, c), random(2, c), random(2, 3)
    with torch.no_grad():
        expected = ref.double()(*(torch.from_numpy(a).double() for a in (x, condition)),
                                conditioning=torch.from_numpy(cond).double()).numpy()
    r.close("QKVConditionMixer 2D film", ours(x, condition, cond), expected, TOL)
    compare_counts(r, "QKVConditionMixer", ref, ours, [6, 5])


def incremental_cases(ctx, r):
    for name, short, hyena_kw, conv_kw in (
            ("typical", dict(kernel_size=3, causal=True), dict(pixelhyena_norm="layer"), None),
            ("distributed K4 bias, qk rms, gates, output norm", dict(kind="distributed", kernel_size=4, causal=True,
                                                                     bias=True, num_groups=3),
             dict(gate="silu", gate_2="sigmoid", qk_norm="rms", output_norm="layer"), None),
            ("no short conv, film", None, dict(qk_norm="l2"), dict(film_cond_dim=3)),
            ("K1", dict(kernel_size=1, causal=True), None, dict(mask="gaussian"))):
        c, t, prefix = 8, 12, 5
        ref, ours = build(ctx, 1, c, 16, True, short, hyena_kw, conv_kw)
        ours.load_state_dict(perturbed_state(ref))
        q, k, v = (random(2, t, c) for _ in range(3))
        cond = random(2, 3) if (conv_kw or {}).get("film_cond_dim") else None
        full = ours(q, k, v, cond)
        state = ours.state(2, 16)
        got = [state.prefill(q[:, :prefix], k[:, :prefix], v[:, :prefix], cond)]
        got += [state.step(q[:, i:i + 1], k[:, i:i + 1], v[:, i:i + 1]) for i in range(prefix, t)]
        r.close(f"incremental {name}: prefill {prefix} + {t - prefix} steps", np.concatenate(got, 1), full, TOL)
        r.record(f"incremental {name}: length", state.length == t, f"{state.length}")
    ref, ours = build(ctx, 1, 8, 16, True, dict(kernel_size=3, causal=True), None)
    mixer = subq.QKVSequenceMixer(ctx, 8, ours, True, False)
    ref_m = st.QKVSequenceMixer(8, ref, True, False)
    mixer.load_state_dict(perturbed_state(ref_m))
    x = random(2, 10, 8)
    state = ours.state(2, 10)
    got = [mixer.step(state, x[:, i:i + 1]) for i in range(10)]
    r.close("incremental QKVSequenceMixer: 10 steps from empty", np.concatenate(got, 1), mixer(x), TOL)


def init_cases(ctx, r):
    c, cache = 16, 32
    ours = subq.Hyena(ctx, ckconv_kwargs(1, c, cache, True, mask="gaussian", film_cond_dim=4),
                      short_conv=dict(kernel_size=3, causal=True, bias=True), pixelhyena_norm="layer")
    ours.init(7)
    s = ours.state_dict()
    ref = st.CKConvND(1, c, cache, mask="gaussian", film_cond_dim=4)
    checks = {
        "global_conv.shortcut": lambda a: np.abs(a).max() <= math.sqrt(1 / c) and a.std() > 0.1 * math.sqrt(1 / c),
        "global_conv.kernel_generator.input_layer.weight": lambda a: np.abs(a).max() <= 2 * math.pi + 1e-6,
        "global_conv.kernel_generator.input_layer.bias": lambda a: not a.any(),
        "global_conv.kernel_generator.output_layer.weight":
            lambda a: np.abs(a).max() <= math.sqrt(6 / 32) * math.sqrt(1 / cache) + 1e-7,
        "global_conv.film.net.2.weight": lambda a: not a.any(),
        "global_conv.film.net.2.bias": lambda a: np.array_equal(a, ref.film.net[2].bias.detach().numpy()),
        "global_conv.mask.sigma": lambda a: np.allclose(a, ref.mask.sigma.detach().numpy(), rtol=1e-5),
        "short_conv.weight": lambda a: np.abs(a).max() <= math.sqrt(1 / 3),
        "pixelhyena_norm.weight": lambda a: np.all(a == 1),
        "pixelhyena_norm.bias": lambda a: not a.any(),
    }
    for name, check in checks.items():
        r.record(f"init {name}", bool(check(s[name])))
    ours.init(7)
    again = ours.state_dict()
    r.record("init: the same seed gives the same weights", all(np.array_equal(s[n], again[n]) for n in s))


HALF_TOL = {"float16": 2e-3, "bfloat16": 1.5e-2}  # the output's rounding, with room for the inputs'
HALF_TORCH = {"float16": torch.float16, "bfloat16": torch.bfloat16}


def half_cases(ctx, r):
    """q, k, v and the output held in f16/bf16 (parameters and arithmetic fp32): the reference runs
    in float64 on the same rounded inputs."""
    for name, d, size, causal, short, kw in (("1D causal typical", 1, (64,), True, dict(kernel_size=3, causal=True),
                                               dict(pixelhyena_norm="layer")),
                                              ("2D silu qk rms", 2, (9, 10), False, dict(kernel_size=3),
                                               dict(gate="silu", qk_norm="rms", output_norm="layer"))):
        ref, ours = build(ctx, d, 16, 16, causal, short, kw)
        ours.load_state_dict(perturbed_state(ref))
        for dtype in ("float16", "bfloat16"):
            ours.dtype = dtype
            q, k, v = (torch.from_numpy(random(2, *size, 16)).to(HALF_TORCH[dtype]).float().numpy() for _ in range(3))
            with torch.no_grad():
                expected = ref.double()(*(torch.from_numpy(a).double() for a in (q, k, v))).numpy()
            r.close(f"{name} in {dtype}", ours(q, k, v), expected, HALF_TOL[dtype])


def error_cases(ctx, r):
    r.raises("rff with odd hidden", lambda: subq.Hyena(ctx, ckconv_kwargs(1, 8, 8, True, generator="rff",
                                                                            generator_hidden=7)), "generator_hidden")
    r.raises("causal 2D", lambda: subq.Hyena(ctx, ckconv_kwargs(2, 8, 8, True)), "causal")
    r.raises("groups not dividing 3C", lambda: subq.Hyena(ctx, ckconv_kwargs(1, 8, 8, True), short_conv=dict(
        kind="distributed", kernel_size=3, causal=True, num_groups=5)), "num_groups")
    h = subq.Hyena(ctx, ckconv_kwargs(1, 8, 8, True))
    r.raises("wrong channels", lambda: h(random(1, 5, 7), random(1, 5, 7), random(1, 5, 7)), "q:")
    r.raises("conditioning without FiLM", lambda: h(random(1, 5, 8), random(1, 5, 8), random(1, 5, 8),
                                                     random(1, 3)), "conditioning")
    f = subq.Hyena(ctx, ckconv_kwargs(1, 8, 8, True, film_cond_dim=3))
    r.raises("FiLM without conditioning", lambda: f(random(1, 5, 8), random(1, 5, 8), random(1, 5, 8)),
             "conditioning")
    r.raises("incremental on a non-causal Hyena",
             lambda: subq.Hyena(ctx, ckconv_kwargs(1, 8, 8, False)).state(1, 8), "causal")


def main():
    ctx = subq.Context()
    r = Results()
    torch.manual_seed(0)
    hyena_cases(ctx, r)
    qkv_cases(ctx, r)
    half_cases(ctx, r)
    incremental_cases(ctx, r)
    init_cases(ctx, r)
    error_cases(ctx, r)
    return r.finish(ctx)


if __name__ == "__main__":
    sys.exit(main())
