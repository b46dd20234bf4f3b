"""subq models from Python (include/subq/model.h): load a subq model file, run it, generate.

    import subq, subq.model
    ctx = subq.Context()
    model = subq.model.Model.load(ctx, "models/kjv_charlm.safetensors")
    logits = model.logits(np.array([model.encode("And God said")]))      # [1, L, V]
    text = model.decode(model.generate(model.encode("And God said"), 100, temperature=0.8))
"""
import ctypes
import json
from ctypes import POINTER, c_char_p, c_double, c_float, c_int, c_int32, c_int64, c_uint64, c_void_p

import numpy as np

from . import _check
from ._lib import _declare, lib

ON_TOKEN = ctypes.CFUNCTYPE(c_int, c_void_p, c_int64, c_int32)


class _Info(ctypes.Structure):
    _fields_ = [("task", c_int), ("hidden_dim", c_int64), ("layers", c_int64), ("mlp_hidden", c_int64),
                ("vocab_size", c_int64), ("max_length", c_int64), ("in_channels", c_int64),
                ("image_size", c_int64 * 2), ("classes", c_int64), ("per_pixel", c_int32),
                ("parameter_count", c_int64), ("vocabulary", c_char_p), ("validation_loss", c_double),
                ("mixer", c_char_p)]


class _GenerateOptions(ctypes.Structure):
    _fields_ = [("temperature", c_float), ("top_k", c_int32), ("seed", c_uint64), ("on_token", ON_TOKEN),
                ("user", c_void_p)]


class _ParameterInfo(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("rank", c_int32), ("shape", c_int64 * 5), ("numel", c_int64)]


_declare("subq_model_create", c_int, c_void_p, c_char_p, POINTER(c_void_p))
_declare("subq_model_load", c_int, c_void_p, c_char_p, POINTER(c_void_p))
_declare("subq_model_destroy", None, c_void_p)
_declare("subq_model_get_info", c_int, c_void_p, POINTER(_Info))
_declare("subq_model_parameters", c_void_p, c_void_p)
_declare("subq_model_init", c_int, c_void_p, c_uint64)
_declare("subq_model_forward_tokens", c_int, c_void_p, c_void_p, POINTER(c_int32), c_int64, c_int64, c_void_p)
_declare("subq_model_forward", c_int, c_void_p, c_void_p, c_void_p, c_void_p)
_declare("subq_model_state_create", c_int, c_void_p, c_int64, c_int64, POINTER(c_void_p))
_declare("subq_model_state_destroy", None, c_void_p)
_declare("subq_model_prefill", c_int, c_void_p, c_void_p, c_void_p, POINTER(c_int32), c_int64, c_void_p)
_declare("subq_model_step", c_int, c_void_p, c_void_p, c_void_p, POINTER(c_int32), c_void_p)
_declare("subq_model_generate", c_int, c_void_p, c_void_p, c_void_p, POINTER(c_int32), c_int64, c_int64,
         POINTER(_GenerateOptions), POINTER(c_int32), POINTER(c_int64))
_declare("subq_parameters_count", c_int32, c_void_p)
_declare("subq_parameters_info", c_int, c_void_p, c_int32, POINTER(_ParameterInfo))
_declare("subq_parameters_load", c_int, c_void_p, c_char_p, POINTER(c_float), c_int64)
_declare("subq_parameters_read", c_int, c_void_p, c_char_p, POINTER(c_float), c_int64)


def _tokens(array):
    array = np.ascontiguousarray(array, dtype=np.int32)
    return array, array.ctypes.data_as(POINTER(c_int32))


class State:
    """Generation state of `batch` sequences of up to max_length tokens."""

    def __init__(self, model, batch, max_length):
        self._handle = None
        handle = c_void_p()
        _check(lib.subq_model_state_create(model._handle, batch, max_length, ctypes.byref(handle)))
        self.model, self.batch, self._handle = model, batch, handle

    def __del__(self):
        if self._handle:
            lib.subq_model_state_destroy(self._handle)
            self._handle = None


class Model:
    """A subq model (a causal language model or an image model) on a context's device."""

    def __init__(self, context, handle):
        self.context, self._handle = context, handle
        info = _Info()
        _check(lib.subq_model_get_info(handle, ctypes.byref(info)))
        self.task = "causal_lm" if info.task == 0 else "image"
        self.vocab_size, self.classes, self.hidden_dim = info.vocab_size, info.classes, info.hidden_dim
        self.per_pixel, self.parameter_count = bool(info.per_pixel), info.parameter_count
        self.vocabulary = info.vocabulary.decode() if info.vocabulary else None
        self.validation_loss = info.validation_loss
        self.mixer = info.mixer.decode()  # "hyena", "s4d" or "s4"

    @classmethod
    def load(cls, context, path):
        handle = c_void_p()
        _check(lib.subq_model_load(context._handle, str(path).encode(), ctypes.byref(handle)))
        return cls(context, handle)

    @classmethod
    def create(cls, context, description, seed=0):
        """From a description (dict or JSON text), weights drawn from `seed`."""
        text = description if isinstance(description, str) else json.dumps(description)
        handle = c_void_p()
        _check(lib.subq_model_create(context._handle, text.encode(), ctypes.byref(handle)))
        model = cls(context, handle)
        if seed:
            _check(lib.subq_model_init(handle, seed))
        return model

    def __del__(self):
        if getattr(self, "_handle", None) and self.context._handle:
            lib.subq_model_destroy(self._handle)
        self._handle = None

    # ---- weights, by the PyTorch state_dict's names ----
    def parameters(self):
        """{name: shape} in the model's order."""
        table, out = lib.subq_model_parameters(self._handle), {}
        for i in range(lib.subq_parameters_count(table)):
            info = _ParameterInfo()
            _check(lib.subq_parameters_info(table, i, ctypes.byref(info)))
            out[info.name.decode()] = tuple(info.shape[:info.rank])
        return out

    def load_parameter(self, name, array):
        array = np.ascontiguousarray(array, dtype=np.float32)
        _check(lib.subq_parameters_load(lib.subq_model_parameters(self._handle), name.encode(),
                                        array.ctypes.data_as(POINTER(c_float)), array.size))

    def read_parameter(self, name):
        out = np.empty(self.parameters()[name], dtype=np.float32)
        _check(lib.subq_parameters_read(lib.subq_model_parameters(self._handle), name.encode(),
                                        out.ctypes.data_as(POINTER(c_float)), out.size))
        return out

    # ---- running ----
    def logits(self, tokens, out=None):
        """causal_lm: tokens [B, L] -> logits [B, L, V]: NumPy, or left in `out` (a device Tensor) when given."""
        tokens, pointer = _tokens(tokens)
        result = out
        out = out if out is not None else self.context.empty((*tokens.shape, self.vocab_size))
        stream = self.context._stream._handle
        _check(lib.subq_model_forward_tokens(stream, self._handle, pointer, tokens.shape[0], tokens.shape[1],
                                             out._handle))
        self.context._stream.wait()
        return out.numpy() if result is None else result

    def forward(self, pixels):
        """image: pixels [B, H, W, Cin] (NumPy) -> logits [B, K] or [B, H, W, K]."""
        x = self.context.tensor(np.asarray(pixels, dtype=np.float32))
        shape = (*x.shape[:3], self.classes) if self.per_pixel else (x.shape[0], self.classes)
        out = self.context.empty(shape)
        _check(lib.subq_model_forward(self.context._stream._handle, self._handle, x._handle, out._handle))
        self.context._stream.wait()
        return out.numpy()

    def state(self, batch, max_length):
        return State(self, batch, max_length)

    def prefill(self, state, tokens):
        """tokens [B, T] -> logits [B, V] of the last position; the state then holds the T tokens."""
        tokens, pointer = _tokens(tokens)
        return self._incremental(lambda s, out: lib.subq_model_prefill(s, self._handle, state._handle, pointer,
                                                                       tokens.shape[1], out), state.batch)

    def step(self, state, tokens):
        """tokens [B] -> logits [B, V] of that next position."""
        tokens, pointer = _tokens(tokens)
        return self._incremental(lambda s, out: lib.subq_model_step(s, self._handle, state._handle, pointer, out),
                                 state.batch)

    def _incremental(self, call, batch):
        out = self.context.empty((batch, self.vocab_size))
        _check(call(self.context._stream._handle, out._handle))
        self.context._stream.wait()
        return out.numpy()

    def generate(self, prompt, count, temperature=0.0, top_k=0, seed=0, on_token=None):
        """Token ids after the prompt's ids (greedy when temperature is 0)."""
        prompt, pointer = _tokens(prompt)
        state = self.state(1, len(prompt) + count)
        options = _GenerateOptions(temperature, top_k, seed, ON_TOKEN(lambda user, i, t: int(bool(on_token(i, t))))
                                   if on_token else ON_TOKEN(), None)
        out, made = np.empty(count, dtype=np.int32), c_int64()
        _check(lib.subq_model_generate(self.context._stream._handle, self._handle, state._handle, pointer, len(prompt),
                                       count, ctypes.byref(options), out.ctypes.data_as(POINTER(c_int32)),
                                       ctypes.byref(made)))
        return out[:made.value].tolist()

    def encode(self, text):
        lookup = {ch: i for i, ch in enumerate(self.vocabulary)}
        return [lookup[ch] for ch in text]

    def decode(self, tokens):
        return "".join(self.vocabulary[t] for t in tokens)


__all__ = ["Model", "State"]
