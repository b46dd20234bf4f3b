"""subq models against subq_torch's (python/subq_torch/model.py), through model files written by
subq_torch.export: logits of randomly initialised 1D and 2D models and of the shipped model agree
within 1e-4 relative to float64 PyTorch; incremental generation (prefill, then steps) gives the
logits of full recomputation; broken model files are refused with a message naming the fault."""
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
        check_shipped(r, ctx)
        check_hostile(r, ctx, tmp)
    return r.finish(ctx)


if __name__ == "__main__":
    sys.exit(main())
