"""The shipped model's metric, recomputed by subq: the mean cross-entropy (nats per character) on
the committed validation slice models/data/kjv_valid.txt, cut into consecutive windows of
max_length characters as models/train_charlm.py measures it, must equal the number the README
states (and the model file records) to within 1e-3."""
import math
import os
import re
import sys

import numpy as np

from parity import Results, subq

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "python"))
import subq.model  # noqa: E402

SHIPPED = os.path.join(ROOT, "models", "kjv_charlm.safetensors")


def cross_entropy(logits, targets):
    logits = logits.astype(np.float64)
    top = logits.max(-1, keepdims=True)
    log_z = np.log(np.exp(logits - top).sum(-1)) + top[..., 0]
    return float((log_z - np.take_along_axis(logits, targets[..., None], -1)[..., 0]).sum())


def main():
    ctx = subq.Context()
    r = Results()
    model = subq.model.Model.load(ctx, SHIPPED)
    with open(os.path.join(ROOT, "models", "data", "kjv_valid.txt"), encoding="utf-8") as f:
        ids = np.array(model.encode(f.read()), dtype=np.int32)
    length = 256
    n = (len(ids) - 1) // length
    x, y = ids[:n * length].reshape(n, length), ids[1:n * length + 1].reshape(n, length)
    total = 0.0
    for i in range(0, n, 32):
        total += cross_entropy(model.logits(x[i:i + 32]), y[i:i + 32])
    loss = total / y.size
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        stated = re.search(r"validation loss of ([0-9.]+)\s+nats", f.read())
    print(f"validation loss {loss:.4f} nats/char ({loss / math.log(2):.4f} bits/char) over {y.size} characters")
    r.record("the README states the validation loss", stated is not None)
    if stated:
        r.record("subq's validation loss = the README's", abs(loss - float(stated.group(1))) < 1e-3,
                 f"{loss:.4f} vs {stated.group(1)}")
    r.record("subq's validation loss = the model file's", abs(loss - model.validation_loss) < 1e-3,
             f"{loss:.4f} vs {model.validation_loss:.4f}")
    return r.finish(ctx)


if __name__ == "__main__":
    sys.exit(main())
