"""subq models against subq_torch's (python/subq_torch/model.py), through model files written by
subq_torch.export: logits of randomly initialised 1D and 2D models (Hyena and S4 mixers: S4D ZOH and
bilinear, S4 DPLR, with and without l_max) and of the shipped model agree within 1e-4 relative to
float64 PyTorch; incremental generation (prefill, then steps) gives the logits of full recomputation
for Hyena, S4D and S4 DPLR models; broken model files and
descriptions are refused with a message naming the fault."""
import copy
import os
import sys
import tempfile

import numpy as np
import torch

from parity import Results, rng, subq

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
import subq.model  # noqa: E402
from subq_torch.export import load_model, load_tensors, save_model, save_tensors  # noqa: E402
from subq_torch.model import Model  # noqa: E402

SHIPPED = os.path.join(ROOT, "models", "kjv_charlm.safetensors")
TOL = 1e-4
LM = {"task": "causal_lm", "hidden_dim": 24, "layers": 2, "mlp_hidden": 40, "vocab_size": 11, "max_length": 37,
      "mixer": {"generator_hidden": 16, "generator_layers": 2, "omega0": 5.0}}
S4D = {**LM, "mixer": {"type": "s4", "kernel_type": "s4d", "d_state": 8}}
S4_VARIANTS = (("S4D ZOH", S4D),
               ("S4D bilinear, n_ssm 6, l_max 20", {**LM, "mixer": {"type": "s4", "kernel_type": "s4d", "d_state": 6,
                                                                  "disc": "bilinear", "n_ssm": 6, "l_max": 20}}),
               ("S4 DPLR", {**LM, "mixer": {"type": "s4", "kernel_type": "s4", "d_state": 8}}),
               ("S4 DPLR, l_max 25", {**LM, "mixer": {"type": "s4", "kernel_type": "s4", "d_state": 4, "l_max": 25,
                                                      "dt_min": 0.01, "dt_max": 0.5}}))
IMAGE = {"task": "image", "hidden_dim": 16, "layers": 2, "mlp_hidden": 24, "in_channels": 3, "image_size": [12, 10],
         "classes": 7, "mixer": {"generator_hidden": 8, "generator_layers": 2, "mask": "gaussian"}}


def randomised(description, seed):
    """A subq_torch model whose every weight is random (norm gains and biases too, not 1 and 0)."""
    torch.manual_seed(seed)
    model = Model(description)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or "norm" in name:
                p.copy_(torch.empty_like(p).uniform_(0.5, 1.5) if "norm" in name else torch.randn_like(p) * 0.1)
    return model.eval()


def subq_of(ctx, model, path):
    save_model(model, path)
    return subq.model.Model.load(ctx, path)


def torch_logits(model, x):
    with torch.no_grad():
        return model.double()(x).numpy()


def check_lm(r, ctx, tmp):
    for seed, length in ((1, 1), (2, 29), (3, 37), (4, 64)):
        torch_model = randomised(LM, seed)
        model = subq_of(ctx, torch_model, os.path.join(tmp, "lm.safetensors"))
        tokens = rng.integers(0, LM["vocab_size"], (2, length))
        expected = torch_logits(torch_model, torch.from_numpy(tokens))
        r.close(f"random 1D model, B 2, L {length}", model.logits(tokens), expected, TOL)


def check_image(r, ctx, tmp):
    for head, size in (("classify", (12, 10)), ("pixel", (12, 10)), ("classify", (7, 5))):
        torch_model = randomised({**IMAGE, "head": head}, 5)
        model = subq_of(ctx, torch_model, os.path.join(tmp, "image.safetensors"))
        pixels = rng.uniform(-1, 1, (2, *size, 3)).astype(np.float32)
        expected = torch_logits(torch_model, torch.from_numpy(pixels).double())
        r.close(f"random 2D model, head {head}, {size[0]}x{size[1]}", model.forward(pixels), expected, TOL)


def check_s4(r, ctx, tmp):
    """S4 mixers: logits at lengths below, at and (where the kernel allows) past max_length; images."""
    for i, (label, description) in enumerate(S4_VARIANTS):
        torch_model = randomised(description, 20 + i)
        model = subq_of(ctx, torch_model, os.path.join(tmp, "s4.safetensors"))
        r.record(f"{label}: info.mixer", model.mixer == description["mixer"]["kernel_type"], model.mixer)
        longest = 37 if description["mixer"]["kernel_type"] == "s4" and "l_max" not in description["mixer"] else 50
        for length in (1, 13, longest):
            tokens = rng.integers(0, LM["vocab_size"], (2, length))
            expected = torch_logits(torch_model, torch.from_numpy(tokens))
            r.close(f"random 1D {label} model, B 2, L {length}", model.logits(tokens), expected, TOL)
    for kernel, head, size in (("s4d", "classify", (12, 10)), ("s4", "pixel", (12, 10)), ("s4d", "pixel", (7, 5))):
        torch_model = randomised({**IMAGE, "head": head, "mixer": {"type": "s4", "kernel_type": kernel, "d_state": 4}},
                                 31)
        model = subq_of(ctx, torch_model, os.path.join(tmp, "s4image.safetensors"))
        pixels = rng.uniform(-1, 1, (2, *size, 3)).astype(np.float32)
        expected = torch_logits(torch_model, torch.from_numpy(pixels).double())
        r.close(f"random 2D {kernel} model (row-major pixels), head {head}, {size[0]}x{size[1]}",
                model.forward(pixels), expected, TOL)


def check_s4_generation(r, ctx, tmp):
    for i, (label, description) in enumerate(S4_VARIANTS):
        model = subq_of(ctx, randomised(description, 40 + i), os.path.join(tmp, "s4gen.safetensors"))
        length = description["mixer"].get("l_max") or LM["max_length"]
        tokens = rng.integers(0, LM["vocab_size"], (2, length))
        for prompt in (1, 9, length - 1):
            check_incremental(r, model, tokens, prompt, f"random 1D {label} model, B 2")
        generated = model.generate(tokens[0, :4], 6)
        sequence = list(tokens[0, :4])
        for _ in range(6):
            sequence.append(int(model.logits(np.array([sequence]))[0, -1].argmax()))
        r.record(f"{label}: greedy generation = greedy full recomputation", generated == sequence[4:], str(generated))
        if "l_max" in description["mixer"]:
            r.raises(f"{label}: a state longer than l_max", lambda: model.state(1, length + 1), "mixer.l_max")


def check_incremental(r, model, tokens, prompt, label):
    """prefill(tokens[:, :prompt]) then one step per token: each position's logits as the full forward's."""
    full = model.logits(tokens)
    state = model.state(tokens.shape[0], tokens.shape[1])
    got = [model.prefill(state, tokens[:, :prompt])]
    for t in range(prompt, tokens.shape[1]):
        got.append(model.step(state, tokens[:, t]))
    r.close(f"{label}: prefill {prompt} + {tokens.shape[1] - prompt} steps = full forward",
            np.stack(got, axis=1), full[:, prompt - 1:], TOL)


def check_shipped(r, ctx):
    if not os.path.exists(SHIPPED):
        r.record("shipped model present", False, SHIPPED)
        return
    model = subq.model.Model.load(ctx, SHIPPED)
    torch_model = load_model(SHIPPED)
    with open(os.path.join(ROOT, "models", "data", "kjv_valid.txt"), encoding="utf-8") as f:
        text = f.read()[:2 * 256 + 1]
    tokens = np.array([model.encode(text[:256]), model.encode(text[256:512])])
    r.close("shipped model logits, 2 x 256 validation characters", model.logits(tokens),
            torch_logits(torch_model, torch.from_numpy(tokens).long()), TOL)
    check_incremental(r, model, tokens[:, :96], 40, "shipped model")
    prompt = model.encode("And God said, ")
    generated = model.generate(prompt, 30)
    sequence = list(prompt)
    for _ in range(30):
        logits = torch_logits(torch_model, torch.tensor([sequence]))
        sequence.append(int(logits[0, -1].argmax()))
    r.record("shipped model: greedy generation = greedy full recomputation in PyTorch", generated == sequence[len(prompt):],
             repr(model.decode(generated)))


def check_hostile(r, ctx, tmp):
    torch_model = randomised(LM, 9)
    path = os.path.join(tmp, "bad.safetensors")
    save_model(torch_model, path)
    tensors, metadata = load_tensors(path)

    def write(tensors, metadata):
        save_tensors(path, tensors, metadata)
        return lambda: subq.model.Model.load(ctx, path)

    missing = dict(tensors)
    del missing["head.weight"]
    r.raises("missing weight", write(missing, metadata), "head.weight")
    extra = {**tensors, "blocks.7.norm1.weight": np.ones(24, np.float32)}
    r.raises("extra tensor", write(extra, metadata), "blocks.7.norm1.weight")
    wrong = {**tensors, "norm.weight": np.ones(23, np.float32)}
    r.raises("wrong shape", write(wrong, metadata), "norm.weight")
    r.raises("no description", write(tensors, {}), "not a subq model file")
    r.raises("description not JSON", write(tensors, {"subq_model": "{"}), "description")
    for field, value, mentions in (("task", "video", "task"), ("hidden_dim", 0, "hidden_dim"),
                                   ("vocab_size", 2.5, "vocab_size"), ("colour", 1, "colour"),
                                   ("vocabulary", "abc", "vocabulary")):
        d = copy.deepcopy(LM)
        d[field] = value
        r.raises(f"description {field} = {value!r}", lambda: subq.model.Model.create(ctx, d), mentions)
    r.raises("mixer type", lambda: subq.model.Model.create(ctx, {**LM, "mixer": {"type": "attention"}}), "mixer.type")
    s4 = S4D["mixer"]
    for mixer, mentions in (({"type": "s4"}, "mixer.kernel_type"), ({**s4, "kernel_type": "s5"}, "mixer.kernel_type"),
                            ({**s4, "kernel_type": 4}, "mixer.kernel_type"), ({**s4, "d_state": 7}, "mixer.d_state"),
                            ({**s4, "d_state": 0}, "mixer.d_state"), ({**s4, "d_state": "8"}, "mixer.d_state"),
                            ({**s4, "n_ssm": 5}, "mixer.n_ssm"), ({**s4, "n_ssm": 2.5}, "mixer.n_ssm"),
                            ({**s4, "disc": "euler"}, "mixer.disc"), ({**s4, "kernel_type": "s4", "disc": "zoh"},
                                                                       "mixer.disc"),
                            ({**s4, "dt_min": 0}, "mixer.dt_min"), ({**s4, "dt_max": "big"}, "mixer.dt_max"),
                            ({**s4, "dt_min": 0.5, "dt_max": 0.1}, "mixer.dt_max"), ({**s4, "l_max": 0}, "mixer.l_max"),
                            ({**s4, "l_max": 3.5}, "mixer.l_max"), ({**s4, "short_conv": 3}, "short_conv"),
                            ({**s4, "init": "legs"}, "init")):
        r.raises(f"s4 mixer {mixer}", lambda: subq.model.Model.create(ctx, {**LM, "mixer": mixer}), mentions)
        try:
            Model({**LM, "mixer": mixer})
            r.record(f"subq_torch refuses s4 mixer {mixer}", False, "was accepted")
        except ValueError as e:
            r.record(f"subq_torch refuses s4 mixer {mixer}", mentions.split(".")[-1] in str(e), str(e))
    dplr = subq.model.Model.create(ctx, {**LM, "mixer": {"type": "s4", "kernel_type": "s4", "d_state": 4}})
    r.raises("S4 DPLR model past max_length (C~ is set up for it)",
             lambda: dplr.logits(np.zeros((1, LM["max_length"] + 1))), "max_length")
    s4d = subq.model.Model.create(ctx, S4D, seed=2)
    r.raises("S4 step before prefill", lambda: s4d.step(s4d.state(1, 4), np.zeros(1)), "prefill")
    model = subq.model.Model.create(ctx, LM, seed=3)
    r.raises("token out of range", lambda: model.logits(np.array([[1, 11]])), "tokens")
    state = model.state(1, 4)
    r.raises("prefill past max_length", lambda: model.prefill(state, np.zeros((1, 5))), "max_length")


def main():
    ctx = subq.Context()
    r = Results()
    with tempfile.TemporaryDirectory() as tmp:
        check_lm(r, ctx, tmp)
        check_image(r, ctx, tmp)
        lm = subq_of(ctx, randomised(LM, 7), os.path.join(tmp, "lm.safetensors"))
        tokens = rng.integers(0, LM["vocab_size"], (3, 37))
        for prompt in (1, 2, 17, 36):
            check_incremental(r, lm, tokens, prompt, f"random 1D model, B 3")
        check_s4(r, ctx, tmp)
        check_s4_generation(r, ctx, tmp)
        check_shipped(r, ctx)
        check_hostile(r, ctx, tmp)
    return r.finish(ctx)


if __name__ == "__main__":
    sys.exit(main())
