"""subq model files: safetensors (8-byte little-endian header length, a JSON header, the raw
little-endian tensor bytes) with the model description (subq_torch.model) as JSON text under
__metadata__["subq_model"]. Written and read with the standard library and NumPy only.

    save_model(model, "m.safetensors")          # every state_dict tensor as F32
    save_model(model, "m16.safetensors", dtype="F16")  # or "BF16": subq loads them into fp32 parameters
    model = load_model("m.safetensors")         # a subq_torch.model.Model with those weights
"""
import json
import struct

import numpy as np
import torch

from .model import Model

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I32": np.int32, "I64": np.int64}
METADATA_KEY = "subq_model"


def bf16(values):
    """values as a BF16 tensor for save_tensors: ("BF16", the bf16 bit patterns), rounded to nearest
    even as torch rounds (NumPy has no bfloat16)."""
    bits = torch.from_numpy(np.ascontiguousarray(values, np.float32)).to(torch.bfloat16).view(torch.int16)
    return "BF16", bits.numpy().view(np.uint16)


def save_tensors(path, tensors, metadata=None):
    """tensors: an ordered {name: array, or bf16(array)}; metadata: {str: str}. Data offsets follow
    the given order."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name, value in tensors.items():
        dtype, array = value if isinstance(value, tuple) else (None, value)
        array = np.ascontiguousarray(array)
        dtype = dtype or next(k for k, v in DTYPES.items() if np.dtype(v) == array.dtype)
        blob = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_tensors(path):
    """({name: array}, metadata) of a safetensors file (BF16 read as float32)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        a, b = entry["data_offsets"]
        dtype = np.dtype(np.uint16 if entry["dtype"] == "BF16" else DTYPES[entry["dtype"]]).newbyteorder("<")
        array = np.frombuffer(data[8 + n + a:8 + n + b], dtype=dtype).reshape(entry["shape"])
        tensors[name] = (array.astype(np.uint32) << 16).view(np.float32) if entry["dtype"] == "BF16" else array
    return tensors, metadata


def save_model(model, path, description=None, dtype="F32"):
    """Every state_dict tensor as dtype ("F32", "F16" or "BF16", each rounded to nearest even), the
    description (default: the model's) under __metadata__."""
    convert = {"F32": lambda a: a, "F16": lambda a: a.astype(np.float16), "BF16": bf16}[dtype]
    tensors = {name: convert(t.detach().float().cpu().numpy()) for name, t in model.state_dict().items()}
    text = json.dumps(description or model.description, separators=(",", ":"))
    save_tensors(path, tensors, {METADATA_KEY: text})


def load_model(path, dtype=torch.float32):
    tensors, metadata = load_tensors(path)
    model = Model(json.loads(metadata[METADATA_KEY]))
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()})
    return model.to(dtype).eval()


def description_of(path):
    return json.loads(load_tensors(path)[1][METADATA_KEY])
