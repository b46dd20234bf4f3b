"""Write the seed corpus for fuzz_safetensors: small valid safetensors files (every dtype, empty
and scalar tensors, metadata with escapes, a tiny subq model file) for the fuzzer to mutate."""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
from subq_torch.export import save_model, save_tensors  # noqa: E402
from subq_torch.model import Model  # noqa: E402

out = os.path.join(HERE, "corpus", "safetensors")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
save_tensors(os.path.join(out, "two_f32"), {"a": rng.random((2, 3), np.float32), "b": rng.random(4, np.float32)},
             {"k": "v", "q\"uote": "\u00e9\n"})
save_tensors(os.path.join(out, "dtypes"), {"f64": rng.random(3), "f16": rng.random(2).astype(np.float16),
                                           "i32": np.arange(3, dtype=np.int32), "i64": np.arange(2),
                                           "scalar": np.float32(1.5), "empty": np.zeros((0, 2), np.float32)})
save_tensors(os.path.join(out, "no_metadata"), {"x": np.ones(1, np.float32)})
model = Model({"task": "causal_lm", "hidden_dim": 4, "layers": 1, "mlp_hidden": 4, "vocab_size": 5, "max_length": 8,
               "mixer": {"generator_hidden": 4, "generator_layers": 1}})
save_model(model, os.path.join(out, "tiny_model"))
print("wrote", sorted(os.listdir(out)))
