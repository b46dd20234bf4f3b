"""subq's modules from Python: CKConvND, Hyena, QKVSequenceMixer, QKVConditionMixer, configured with
the keyword arguments of their PyTorch reference (python/subq_torch), parameters loaded by the
reference's state_dict names.

    hyena = subq.Hyena(ctx, subq.CKConvND(ctx, 1, 64, 128, is_causal=True), short_conv=dict(kernel_size=3, causal=True))
    hyena.load_state_dict({name: t.numpy() for name, t in reference.state_dict().items()})
    y = hyena(q, k, v)                              # NumPy in, NumPy out
"""
import ctypes
from ctypes import POINTER, c_char_p, c_float, c_int, c_int32, c_int64, c_size_t, c_uint64, c_void_p

import numpy as np

from ._lib import lib

_ACT = {None: 0, "identity": 0, "silu": 1, "sigmoid": 2, "gelu": 3, "gelu_tanh": 4, "softplus": 5}
_NORM = {None: 0, "identity": 0, "rms": 1, "layer": 2, "l2": 3}
_MASK = {None: 0, "gaussian": 1, "exponential": 2}
_GRID = {"double": 0, "single": 1}
_PAD = {"zero": 0, "circular": 1}
_SHORT = {None: 0, "conv": 1, "distributed": 2}


class CKConvConfig(ctypes.Structure):
    _fields_ = [("data_dim", c_int32), ("hidden_dim", c_int64), ("cache_size", c_int64 * 3), ("generator", c_int),
                ("generator_hidden", c_int32), ("generator_layers", c_int32), ("omega0", c_float),
                ("rff_activation", c_int), ("film_cond_dim", c_int64), ("film_hidden", c_int32), ("mask", c_int),
                ("grid_type", c_int * 3), ("padding", c_int * 3), ("causal", c_int32), ("cp_rank", c_int32),
                ("cp_size", c_int32)]


class ShortConvConfig(ctypes.Structure):
    _fields_ = [("kind", c_int), ("kernel_size", c_int32 * 3), ("causal", c_int32), ("bias", c_int32),
                ("num_groups", c_int64)]


class HyenaConfig(ctypes.Structure):
    _fields_ = [("global_conv", CKConvConfig), ("short_conv", ShortConvConfig), ("gate", c_int),
                ("has_gate_2", c_int32), ("gate_2", c_int), ("qk_norm", c_int), ("pixelhyena_norm", c_int),
                ("output_norm", c_int)]


class SequenceMixer(ctypes.Structure):
    _fields_ = [("self", c_void_p), ("hidden_dim", c_int64)] + [
        (name, c_void_p) for name in ("parameters", "init", "forward", "flop_count", "describe", "prefill", "step",
                                      "destroy")]


class QKVMixerConfig(ctypes.Structure):
    _fields_ = [("hidden_dim", c_int64), ("qkv_bias", c_int32), ("out_proj_bias", c_int32),
                ("init_std_in", c_float), ("init_std_out", c_float), ("mixer", SequenceMixer)]


class QKVConditionMixerConfig(ctypes.Structure):
    _fields_ = [("hidden_dim", c_int64), ("mixer", SequenceMixer)]


class ParameterInfo(ctypes.Structure):
    _fields_ = [("name", c_char_p), ("rank", c_int32), ("shape", c_int64 * 5), ("numel", c_int64)]


def _declare(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = restype, list(argtypes)


P, V = POINTER, c_void_p
for _m, _cfg in (("ckconv", CKConvConfig), ("hyena", HyenaConfig), ("qkv_mixer", QKVMixerConfig),
                 ("qkv_condition_mixer", QKVConditionMixerConfig)):
    _declare(f"subq_{_m}_create", c_int, V, P(_cfg), P(V))
    _declare(f"subq_{_m}_destroy", None, V)
    _declare(f"subq_{_m}_parameters", V, V)
    _declare(f"subq_{_m}_init", c_int, V, c_uint64)
    _declare(f"subq_{_m}_describe", c_int, V, c_char_p, c_size_t)
for _m in ("ckconv", "hyena"):
    _declare(f"subq_{_m}_flop_count", c_int, V, c_int, P(c_int64), c_int, P(c_int64))
for _m in ("qkv_mixer", "qkv_condition_mixer"):
    _declare(f"subq_{_m}_flop_count", c_int, V, c_int, P(c_int64), c_int, P(c_int64))
_declare("subq_ckconv_forward", c_int, V, V, V, V, V, V, V)
_declare("subq_ckconv_kernel", c_int, V, V, P(c_int64), V, V)
_declare("subq_hyena_forward", c_int, V, V, V, V, V, V, V)
_declare("subq_hyena_mixer", SequenceMixer, V, c_int)
_declare("subq_hyena_state_create", c_int, V, c_int64, c_int64, P(V))
_declare("subq_hyena_state_destroy", None, V)
_declare("subq_hyena_state_length", c_int64, V)
_declare("subq_hyena_prefill", c_int, V, V, V, V, V, V, V, V)
_declare("subq_hyena_step", c_int, V, V, V, V, V, V, V)
_declare("subq_qkv_mixer_forward", c_int, V, V, V, V, V)
_declare("subq_qkv_mixer_prefill", c_int, V, V, V, V, V, V)
_declare("subq_qkv_mixer_step", c_int, V, V, V, V, V)
_declare("subq_qkv_condition_mixer_forward", c_int, V, V, V, V, V, V)
_declare("subq_parameters_count", c_int32, V)
_declare("subq_parameters_info", c_int, V, c_int32, P(ParameterInfo))
_declare("subq_parameters_load", c_int, V, c_char_p, P(c_float), c_int64)
_declare("subq_parameters_read", c_int, V, c_char_p, P(c_float), c_int64)


def _check(status):
    if status != 0:
        from . import SubqError
        raise SubqError(status)


def _axes(value, d, table=None):
    values = [value] * d if isinstance(value, (int, str)) else list(value)
    return [table[v] for v in values] if table else values


def ckconv_config(data_dim, hidden_dim, cache_size, generator="siren", generator_hidden=32, generator_layers=3,
                  omega0=1.0, rff_activation="gelu", film_cond_dim=0, film_hidden=64, mask=None, grid_type="double",
                  fft_padding="zero", is_causal=False, cp_rank=0, cp_size=1):
    c = CKConvConfig(data_dim=data_dim, hidden_dim=hidden_dim, generator={"siren": 0, "rff": 1}[generator],
                     generator_hidden=generator_hidden, generator_layers=generator_layers, omega0=omega0,
                     rff_activation=_ACT[rff_activation], film_cond_dim=film_cond_dim, film_hidden=film_hidden,
                     mask=_MASK[mask], causal=int(is_causal), cp_rank=cp_rank, cp_size=cp_size)
    for a, (lc, g, p) in enumerate(zip(_axes(cache_size, data_dim), _axes(grid_type, data_dim, _GRID),
                                       _axes(fft_padding, data_dim, _PAD))):
        c.cache_size[a], c.grid_type[a], c.padding[a] = lc, g, p
    return c


class _Module:
    """A created module: parameters by name, init, description, FLOP count. Its calls take and give
    NumPy arrays, held on the device as `dtype` ("float32", "float16" or "bfloat16"; the module's
    parameters and its arithmetic stay fp32)."""
    _kind = None
    dtype = "float32"

    def __init__(self, ctx, config, keep=()):
        self.ctx, self._keep, self._handle = ctx, keep, None
        handle = c_void_p()
        _check(getattr(lib, f"subq_{self._kind}_create")(ctx._handle, ctypes.byref(config), ctypes.byref(handle)))
        self._handle = handle

    def _table(self):
        return getattr(lib, f"subq_{self._kind}_parameters")(self._handle)

    def parameters(self):
        """[(name, shape)] in the module's order."""
        table, out = self._table(), []
        for i in range(lib.subq_parameters_count(table)):
            info = ParameterInfo()
            _check(lib.subq_parameters_info(table, i, ctypes.byref(info)))
            out.append((info.name.decode(), tuple(info.shape[:info.rank])))
        return out

    def load_state_dict(self, state):
        """Load every parameter from a dict name -> array (extra names are an error, as strict loading)."""
        names = dict(self.parameters())
        for name, value in state.items():
            if name not in names:
                raise KeyError(f"unexpected parameter {name!r}")
            array = np.ascontiguousarray(value, dtype=np.float32)
            if array.shape != names[name]:
                raise ValueError(f"{name}: expected shape {names[name]}, got {array.shape}")
            _check(lib.subq_parameters_load(self._table(), name.encode(), array.ctypes.data_as(P(c_float)),
                                            array.size))
        missing = set(names) - set(state)
        if missing:
            raise KeyError(f"missing parameters {sorted(missing)}")

    def state_dict(self):
        out = {}
        for name, shape in self.parameters():
            array = np.empty(shape, dtype=np.float32)
            _check(lib.subq_parameters_read(self._table(), name.encode(), array.ctypes.data_as(P(c_float)), array.size))
            out[name] = array
        return out

    def init(self, seed):
        _check(getattr(lib, f"subq_{self._kind}_init")(self._handle, seed))

    def describe(self):
        text = ctypes.create_string_buffer(512)
        _check(getattr(lib, f"subq_{self._kind}_describe")(self._handle, text, len(text)))
        return text.value.decode()

    def flop_count(self, spatial_dims, inference=False):
        count = c_int64()
        dims = (c_int64 * len(spatial_dims))(*spatial_dims)
        _check(getattr(lib, f"subq_{self._kind}_flop_count")(self._handle, len(spatial_dims), dims, int(inference),
                                                              ctypes.byref(count)))
        return count.value

    def _run(self, record):
        _check(record(self.ctx._stream._handle))
        self.ctx._stream.wait()

    def _tensors(self, *arrays):
        return [None if a is None else self.ctx.tensor(np.ascontiguousarray(a, dtype=np.float32), self.dtype)
                for a in arrays]

    def _empty(self, shape):
        return self.ctx.tensor(np.zeros(shape, dtype=np.float32), self.dtype)

    def __del__(self):
        if self._handle:
            getattr(lib, f"subq_{self._kind}_destroy")(self._handle)
            self._handle = None


def _h(t):
    return None if t is None else t._handle


class CKConvND(_Module):
    """CKConvND(ctx, data_dim, hidden_dim, cache_size, **the reference's keywords); x channels-first."""
    _kind = "ckconv"

    def __init__(self, ctx, data_dim, hidden_dim, cache_size, **kwargs):
        self.config = ckconv_config(data_dim, hidden_dim, cache_size, **kwargs)
        super().__init__(ctx, self.config)

    def __call__(self, x, pre=None, post=None, conditioning=None):
        x, pre, post, cond = self._tensors(x, pre, post, conditioning)
        y = self._empty(x.shape)
        self._run(lambda s: lib.subq_ckconv_forward(s, self._handle, x._handle, _h(pre), _h(post), _h(cond), y._handle))
        return y.numpy()


class Hyena(_Module):
    """Hyena(ctx, ckconv_config keywords as a dict, short_conv=dict(kind, kernel_size, causal, bias,
    num_groups) or None, gate, gate_2, qk_norm, pixelhyena_norm, output_norm) on [B, *S, C]."""
    _kind = "hyena"

    def __init__(self, ctx, global_conv, short_conv=None, gate="identity", pixelhyena_norm=None, qk_norm=None,
                 output_norm=None, gate_2=None):
        c = HyenaConfig(global_conv=ckconv_config(**global_conv), gate=_ACT[gate], has_gate_2=gate_2 is not None,
                        gate_2=_ACT[gate_2] if gate_2 is not None else 0, qk_norm=_NORM[qk_norm],
                        pixelhyena_norm=_NORM[pixelhyena_norm], output_norm=_NORM[output_norm])
        if short_conv:
            d = global_conv["data_dim"]
            c.short_conv.kind = _SHORT[short_conv.get("kind", "conv")]
            for a, k in enumerate(_axes(short_conv["kernel_size"], d)):
                c.short_conv.kernel_size[a] = k
            c.short_conv.causal = int(short_conv.get("causal", False))
            c.short_conv.bias = int(short_conv.get("bias", False))
            c.short_conv.num_groups = short_conv.get("num_groups") or 0
        self.config = c
        super().__init__(ctx, c)

    def __call__(self, q, k, v, conditioning=None):
        q, k, v, cond = self._tensors(q, k, v, conditioning)
        out = self._empty(q.shape)
        self._run(lambda s: lib.subq_hyena_forward(s, self._handle, q._handle, k._handle, v._handle, _h(cond),
                                                   out._handle))
        return out.numpy()

    def mixer(self):
        return lib.subq_hyena_mixer(self._handle, 0)

    def state(self, batch, max_length):
        return HyenaState(self, batch, max_length)


class HyenaState:
    """Incremental inference: prefill(q, k, v [B, T, C]) then step(q, k, v [B, 1, C])."""

    def __init__(self, hyena, batch, max_length):
        self.hyena, self._handle = hyena, None
        handle = c_void_p()
        _check(lib.subq_hyena_state_create(hyena._handle, batch, max_length, ctypes.byref(handle)))
        self._handle = handle

    @property
    def length(self):
        return lib.subq_hyena_state_length(self._handle)

    def prefill(self, q, k, v, conditioning=None):
        h = self.hyena
        q, k, v, cond = h._tensors(q, k, v, conditioning)
        out = h._empty(q.shape)
        h._run(lambda s: lib.subq_hyena_prefill(s, h._handle, self._handle, q._handle, k._handle, v._handle, _h(cond),
                                                out._handle))
        return out.numpy()

    def step(self, q, k, v):
        h = self.hyena
        q, k, v = h._tensors(q, k, v)
        out = h._empty(q.shape)
        h._run(lambda s: lib.subq_hyena_step(s, h._handle, self._handle, q._handle, k._handle, v._handle, out._handle))
        return out.numpy()

    def __del__(self):
        if self._handle:
            lib.subq_hyena_state_destroy(self._handle)
            self._handle = None


class QKVSequenceMixer(_Module):
    """QKVSequenceMixer(ctx, hidden_dim, mixer (a Hyena), qkv_bias, out_proj_bias, init_std_in/out)."""
    _kind = "qkv_mixer"

    def __init__(self, ctx, hidden_dim, mixer, qkv_bias=False, out_proj_bias=False, init_std_in=0.0, init_std_out=0.0):
        c = QKVMixerConfig(hidden_dim=hidden_dim, qkv_bias=int(qkv_bias), out_proj_bias=int(out_proj_bias),
                           init_std_in=init_std_in, init_std_out=init_std_out, mixer=mixer.mixer())
        super().__init__(ctx, c, keep=(mixer,))

    def __call__(self, x, conditioning=None):
        x, cond = self._tensors(x, conditioning)
        out = self._empty(x.shape)
        self._run(lambda s: lib.subq_qkv_mixer_forward(s, self._handle, x._handle, _h(cond), out._handle))
        return out.numpy()

    def prefill(self, state, x, conditioning=None):
        x, cond = self._tensors(x, conditioning)
        out = self._empty(x.shape)
        self._run(lambda s: lib.subq_qkv_mixer_prefill(s, self._handle, state._handle, x._handle, _h(cond),
                                                       out._handle))
        return out.numpy()

    def step(self, state, x):
        (x,) = self._tensors(x)
        out = self._empty(x.shape)
        self._run(lambda s: lib.subq_qkv_mixer_step(s, self._handle, state._handle, x._handle, out._handle))
        return out.numpy()


class QKVConditionMixer(_Module):
    """QKVConditionMixer(ctx, hidden_dim, mixer); forward(x, condition [B, C], conditioning)."""
    _kind = "qkv_condition_mixer"

    def __init__(self, ctx, hidden_dim, mixer):
        c = QKVConditionMixerConfig(hidden_dim=hidden_dim, mixer=mixer.mixer())
        super().__init__(ctx, c, keep=(mixer,))

    def __call__(self, x, condition, conditioning=None):
        x, condition, cond = self._tensors(x, condition, conditioning)
        out = self._empty(x.shape)
        self._run(lambda s: lib.subq_qkv_condition_mixer_forward(s, self._handle, x._handle, condition._handle,
                                                                 _h(cond), out._handle))
        return out.numpy()
