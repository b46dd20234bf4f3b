"""Models on one GPU, subq (Vulkan, through the Python binding) next to subq_torch (PyTorch, CUDA) in
the same process: prefill throughput (logits of B x L tokens, tokens/s) and generation speed
(greedy, one sequence; subq steps on its Hyena or S4 state, PyTorch recomputes the whole sequence per
token since the reference model has no incremental state, timed on a second pass once every
length's cuFFT plan exists). Prints one JSON object per line.

    python3 bench/model_bench.py [--model models/kjv_charlm.safetensors | ''] [--random C,LAYERS,L]
                                 [--mixer '{"type": "s4", "kernel_type": "s4d"}']

--mixer gives the random model's mixer as JSON (default: Hyena); --model '' skips the shipped model."""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
import subq  # noqa: E402
import subq.model  # noqa: E402
from subq_torch.export import load_model, save_model  # noqa: E402
from subq_torch.model import Model  # noqa: E402


DEVICE = "cuda" if torch.cuda.is_available() else "cpu"  # the CPU only to try the script out


def sync():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def timed(fn, sync, reps=10):
    """Median seconds of fn after 3 warm-up calls."""
    for _ in range(3):
        fn()
    sync()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return sorted(times)[reps // 2]


def report(**fields):
    print(json.dumps(fields), flush=True)


def bench(ctx, path, label, batch, length, prompt_length, count):
    ours = subq.model.Model.load(ctx, path)
    theirs = load_model(path).to(DEVICE)
    v = ours.vocab_size
    tokens = np.random.default_rng(0).integers(0, v, (batch, length)).astype(np.int32)
    cuda_tokens = torch.from_numpy(tokens).long().to(DEVICE)
    out = ctx.empty((batch, length, v))  # logits stay on the device, as PyTorch's do
    s = timed(lambda: ours.logits(tokens, out), lambda: None)
    with torch.no_grad():
        t = timed(lambda: theirs(cuda_tokens), sync)
        check = float(np.abs(ours.logits(tokens) - theirs(cuda_tokens).cpu().numpy()).max())
    n = batch * length
    report(model=label, what="prefill", torch_device=DEVICE, batch=batch, length=length, subq_tokens_per_s=n / s,
           torch_tokens_per_s=n / t, speedup=t / s, max_logit_difference=check, device=ctx.device_name)
    prompt = tokens[0, :prompt_length].tolist()
    times = []
    ours.generate(prompt, 8)  # warm-up: pipelines, kernels
    generated = ours.generate(prompt, count, on_token=lambda i, tok: times.append(time.perf_counter()) and 0)
    subq_rate = (len(times) - 1) / (times[-1] - times[0])
    # Each new length is a new cuFFT size: the first pass pays for plan creation, the second (timed
    # as torch_full_recompute_tokens_per_s) finds every plan cached.
    rates = []
    with torch.no_grad():
        for _ in range(2):
            sequence = torch.tensor([prompt], device=DEVICE)
            sync()
            start = time.perf_counter()
            for _ in range(count):
                nxt = theirs(sequence)[:, -1].argmax(-1, keepdim=True)
                sequence = torch.cat([sequence, nxt], dim=1)
            sync()
            rates.append(count / (time.perf_counter() - start))
    torch_rate = rates[1]
    same = sequence[0, prompt_length:].tolist() == generated
    report(model=label, what="generate", prompt=prompt_length, tokens=count, subq_tokens_per_s=subq_rate,
           torch_full_recompute_tokens_per_s=torch_rate,
           torch_first_pass_tokens_per_s=rates[0], speedup=subq_rate / torch_rate, same_tokens=same,
           device=ctx.device_name)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=os.path.join(ROOT, "models", "kjv_charlm.safetensors"))
    parser.add_argument("--random", default="512,8,4096", help="C,LAYERS,MAX_LENGTH of a random model (or '')")
    parser.add_argument("--tokens", type=int, default=512, help="tokens to generate")
    parser.add_argument("--mixer", default="{}", help="the random model's mixer as JSON (default: Hyena)")
    args = parser.parse_args()
    ctx = subq.Context()
    if args.model:
        bench(ctx, args.model, "kjv_charlm", 16, 256, 16, args.tokens)
    if args.random:
        c, layers, length = map(int, args.random.split(","))
        torch.manual_seed(0)
        mixer = json.loads(args.mixer)
        model = Model({"task": "causal_lm", "hidden_dim": c, "layers": layers, "vocab_size": 256, "max_length": length,
                       "mixer": mixer})
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "random.safetensors")
            save_model(model, path)
            name = mixer.get("kernel_type", mixer.get("type", "hyena"))
            bench(ctx, path, f"random C{c} x{layers} {name}", 4, length, 64, 2 * args.tokens)


if __name__ == "__main__":
    main()
