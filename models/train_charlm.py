"""Train the shipped character-level language model on the King James Version (models/data, from
Debian's bible-kjv-text) with subq_torch, on the CPU, and write models/kjv_charlm.safetensors.

    /usr/bin/python3 models/train_charlm.py [--minutes 14] [--out models/kjv_charlm.safetensors]

--mixer s4 trains the same model with S4D blocks instead of Hyena (S4_MIXER; written to the
temporary directory unless --out says otherwise): the shipped model stays the Hyena one.

The metric is the mean cross-entropy (nats per character) on the validation slice
models/data/kjv_valid.txt, cut into consecutive windows of `max_length` characters, each read from
its first character on (tests/python/test_model_metric.py recomputes it with subq)."""
import argparse
import lzma
import math
import os
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
from subq_torch.export import save_model  # noqa: E402
from subq_torch.model import Model  # noqa: E402

DESCRIPTION = {"task": "causal_lm", "hidden_dim": 128, "layers": 3, "mlp_hidden": 256, "max_length": 256,
               "mixer": {"short_conv": 3, "generator_hidden": 32, "generator_layers": 3, "omega0": 8.0,
                         "mask": "exponential"}}
S4_MIXER = {"type": "s4", "kernel_type": "s4d", "d_state": 64}


def load_text():
    with lzma.open(os.path.join(HERE, "data", "kjv_train.txt.xz"), "rt") as f:
        train = f.read()
    with open(os.path.join(HERE, "data", "kjv_valid.txt")) as f:
        valid = f.read()
    return train, valid


def windows(ids, length):
    """Consecutive windows of `length` tokens (the last, shorter one dropped): inputs and next-token targets."""
    n = (len(ids) - 1) // length
    x = ids[:n * length].view(n, length)
    y = ids[1:n * length + 1].view(n, length)
    return x, y


@torch.no_grad()
def validation_loss(model, ids, length, batch=64):
    x, y = windows(ids, length)
    total = 0.0
    for i in range(0, x.shape[0], batch):
        logits = model(x[i:i + batch])
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y[i:i + batch].reshape(-1),
                                 reduction="sum").item()
    return total / y.numel()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=14.0)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mixer", choices=("hyena", "s4"), default="hyena")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.out is None:
        args.out = os.path.join(HERE, "kjv_charlm.safetensors") if args.mixer == "hyena" else \
            os.path.join(tempfile.gettempdir(), "kjv_charlm_s4.safetensors")
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    train, valid = load_text()
    vocabulary = "".join(sorted(set(train)))
    lookup = {ch: i for i, ch in enumerate(vocabulary)}
    train_ids = torch.tensor([lookup[ch] for ch in train])
    valid_ids = torch.tensor([lookup[ch] for ch in valid])
    description = {**DESCRIPTION, "vocab_size": len(vocabulary), "vocabulary": vocabulary}
    if args.mixer == "s4":
        description["mixer"] = S4_MIXER
    model = Model(description)
    length = description["max_length"]
    params = sum(p.numel() for p in model.parameters())
    print(f"{params} parameters, {len(train_ids)} training characters, vocabulary {len(vocabulary)}", flush=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    budget, start, step = args.minutes * 60, time.time(), 0
    while True:
        elapsed = time.time() - start
        if elapsed > budget:
            break
        progress = elapsed / budget
        lr = args.lr * min(1.0, (step + 1) / 50) * 0.5 * (1 + math.cos(math.pi * progress))
        for group in optimizer.param_groups:
            group["lr"] = lr
        offsets = torch.randint(0, len(train_ids) - length - 1, (args.batch,))
        x = torch.stack([train_ids[o:o + length] for o in offsets])
        y = torch.stack([train_ids[o + 1:o + length + 1] for o in offsets])
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step % 50 == 0:
            print(f"step {step:5d}  {elapsed:6.0f} s  lr {lr:.2e}  train loss {loss.item():.3f}", flush=True)
        step += 1
    model.eval()
    loss = validation_loss(model, valid_ids, length)
    print(f"{step} steps; validation loss {loss:.4f} nats/char ({loss / math.log(2):.4f} bits/char)")
    save_model(model, args.out, {**model.description, "metric": {"validation_loss": round(loss, 4), "steps": step}})
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
