"""subq from Python: devices, tensors to and from NumPy, streams, and the operators.

    import numpy as np, subq
    ctx = subq.Context()
    x = ctx.tensor(np.random.rand(2, 8, 100).astype(np.float32))
    w = ctx.tensor(np.random.rand(8, 3).astype(np.float32))
    y = subq.depthwise_conv(x, w, padding="causal")      # runs and waits; y.numpy() reads it back
"""
import ctypes

import numpy as np

from . import _lib
from ._lib import lib

__all__ = ["SubqError", "Context", "Tensor", "devices", "copy", "to_bfloat16_bits", "from_bfloat16_bits",
           "depthwise_conv", "activation", "gate", "norm", "gated_norm",
           "causal_conv1d", "causal_conv1d_update", "causal_conv1d_varlen", "causal_conv1d_varlen_carry_states",
           "linear", "FFTKernel", "fft_conv", "ckconv_grid", "ckconv_siren", "ckconv_mask"]

# subq dtype code and the NumPy type holding its bits on the host; bf16 has no NumPy type, so its
# tensors take and give float32 arrays (rounded to nearest even on upload, exact on download).
_DTYPES = {"float32": (0, np.float32), "float16": (1, np.float16), "bfloat16": (2, np.uint16), "int32": (3, np.int32)}


def _dtype_name(dtype):
    return dtype if dtype == "bfloat16" else np.dtype(dtype).name


def to_bfloat16_bits(values):
    """float32 values -> bf16 bit patterns (uint16), rounded to nearest even as subq rounds."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return np.where(np.isnan(np.asarray(values, dtype=np.float32)), np.uint16(0x7FC0), rounded)


def from_bfloat16_bits(bits):
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)
_PADDINGS = {"same": 0, "causal": 1, "explicit": 2}
_ACTIVATIONS = {None: 0, "none": 0, "identity": 0, "silu": 1, "swish": 1, "sigmoid": 2, "gelu": 3,
                "gelu_tanh": 4, "softplus": 5}
_NORMS = {"rms": 0, "layer": 1, "l2": 2}
_LAYOUTS = {"channels_last": 0, "channels_first": 1}
_FFT_PADDINGS = {"zero": 0, "circular": 1}
_GRID_TYPES = {"double": 0, "single": 1}
_MASKS = {"gaussian": 0, "exponential": 1}


class SubqError(RuntimeError):
    """A failed subq call: .status is the subq_status name, str() the library's message."""

    def __init__(self, status):
        self.status = lib.subq_status_name(status).decode()
        super().__init__(f"{self.status}: {lib.subq_last_error().decode()}")


def _check(status):
    if status != 0:
        raise SubqError(status)


def _shape(values):
    return (ctypes.c_int64 * len(values))(*values)


def devices():
    """Device names, in subq's index order."""
    count = ctypes.c_uint32()
    _check(lib.subq_device_count(ctypes.byref(count)))
    infos = []
    for i in range(count.value):
        info = _lib.DeviceInfo()
        _check(lib.subq_device_get_info(i, ctypes.byref(info)))
        infos.append(info.name.decode())
    return infos


class Context:
    """A device and its queue; tensors and streams belong to one context."""

    def __init__(self, device=None, validation=None):
        options = _lib.ContextOptions()
        options.device = device.encode() if device else None
        options.validation = 0 if validation is None else (1 if validation else 2)
        handle = ctypes.c_void_p()
        _check(lib.subq_context_create(ctypes.byref(options), ctypes.byref(handle)))
        self._handle = handle
        self._stream = Stream(self)

    @property
    def device_name(self):
        info = _lib.DeviceInfo()
        _check(lib.subq_context_get_device_info(self._handle, ctypes.byref(info)))
        return info.name.decode()

    @property
    def validation_messages(self):
        return lib.subq_context_validation_message_count(self._handle)

    def tensor(self, array, dtype=None):
        """A device tensor holding a copy of a NumPy array (float32, float16 or int32; dtype="bfloat16"
        rounds float values to bf16)."""
        array = np.ascontiguousarray(array)
        t = self.empty(array.shape, array.dtype if dtype is None else dtype)
        t.upload(array)
        return t

    def empty(self, shape, dtype=np.float32):
        name = _dtype_name(dtype)
        if name not in _DTYPES:
            raise TypeError(f"dtype {name} is not supported (float32, float16, bfloat16, int32)")
        handle = ctypes.c_void_p()
        _check(lib.subq_tensor_create(self._handle, _DTYPES[name][0], len(shape), _shape(shape), ctypes.byref(handle)))
        return Tensor(self, handle, tuple(shape), name)

    def close(self):
        if self._handle:
            self._stream.close()
            lib.subq_context_destroy(self._handle)
            self._handle = None

    def __del__(self):
        self.close()


class Stream:
    def __init__(self, context):
        handle = ctypes.c_void_p()
        _check(lib.subq_stream_create(context._handle, ctypes.byref(handle)))
        self._handle = handle

    def wait(self):
        _check(lib.subq_stream_wait(self._handle))

    def set_profiling(self, enabled):
        """Time every dispatch (serialised) from the next submission on; see subq_stream_set_profiling."""
        _check(lib.subq_stream_set_profiling(self._handle, int(bool(enabled))))

    def profile(self):
        """[(kernel name, GPU ms, compiler statistics or None)] of the most recent finished
        submission's dispatches, in order; statistics with SUBQ_PIPELINE_STATISTICS=1."""
        entries, count = ctypes.POINTER(_lib.ProfileEntry)(), ctypes.c_int()
        _check(lib.subq_stream_profile(self._handle, ctypes.byref(entries), ctypes.byref(count)))
        return [(e.kernel.decode(), e.ms, e.statistics.decode() if e.statistics else None)
                for e in (entries[i] for i in range(count.value))]

    def close(self):
        if self._handle:
            lib.subq_stream_destroy(self._handle)
            self._handle = None


class Tensor:
    """A tensor (or view) on the device. Views keep their base's storage alive."""

    def __init__(self, context, handle, shape, dtype, base=None):
        self.context, self._handle, self.shape, self.dtype, self._base = context, handle, shape, dtype, base

    def upload(self, array):
        if self.dtype == "bfloat16":
            array = to_bfloat16_bits(array)
        array = np.ascontiguousarray(array, dtype=_DTYPES[self.dtype][1])
        if array.shape != self.shape:
            raise ValueError(f"array shape {array.shape} != tensor shape {self.shape}")
        _check(lib.subq_tensor_upload(self._handle, array.ctypes.data, array.nbytes))

    def numpy(self):
        """The values as NumPy holds them (bf16 as float32)."""
        out = np.empty(self.shape, dtype=_DTYPES[self.dtype][1])
        _check(lib.subq_tensor_download(self._handle, out.ctypes.data, out.nbytes))
        return from_bfloat16_bits(out) if self.dtype == "bfloat16" else out

    def view(self, shape, strides=None, offset=0):
        """A view with element strides (None: dense), e.g. a channels-last tensor seen channels-first."""
        handle = ctypes.c_void_p()
        _check(lib.subq_tensor_view(self._handle, offset, len(shape), _shape(shape),
                                    _shape(strides) if strides is not None else None, ctypes.byref(handle)))
        return Tensor(self.context, handle, tuple(shape), self.dtype, base=self)

    def permute(self, *axes):
        strides = [int(np.prod(self.shape[i + 1:])) for i in range(len(self.shape))]
        if self._base is not None:
            raise ValueError("permute a dense tensor, not a view")
        return self.view([self.shape[a] for a in axes], [strides[a] for a in axes])

    def __del__(self):
        if self._handle and self.context._handle:
            lib.subq_tensor_destroy(self._handle)
        self._handle = None


def _run(context, record):
    _check(record(context._stream._handle))
    context._stream.wait()


def copy(source, destination):
    """destination = source (subq_tensor_copy): any strides; float dtypes convert."""
    _run(source.context, lambda s: lib.subq_tensor_copy(s, source._handle, destination._handle))
    return destination


def depthwise_conv(x, weight, bias=None, padding="same", explicit_padding=(0, 0, 0), channels=0,
                   cp_rank=0, cp_size=0, out=None):
    """Depthwise conv 1d/2d/3d (subq_depthwise_conv): x [B, C, *S], weight [G, *K], bias [G]."""
    options = _lib.DepthwiseConvOptions()
    options.padding = _PADDINGS[padding]
    for i, p in enumerate(explicit_padding):
        options.explicit_padding[i] = p
    options.channels, options.cp_rank, options.cp_size = channels, cp_rank, cp_size
    if out is None:
        spatial = [n + (2 * explicit_padding[a] - weight.shape[1 + a] + 1 if padding == "explicit" else 0)
                   for a, n in enumerate(x.shape[2:])]
        out = x.context.empty([x.shape[0], x.shape[1], *spatial], x.dtype)
    _run(x.context, lambda s: lib.subq_depthwise_conv(s, x._handle, weight._handle,
                                                      bias._handle if bias is not None else None,
                                                      ctypes.byref(options), out._handle))
    return out


def _handle(tensor):
    return tensor._handle if tensor is not None else None


def activation(x, name, out=None):
    """y = act(x) (subq_activation_apply); name: silu, sigmoid, gelu, gelu_tanh, softplus or none."""
    out = out if out is not None else x.context.empty(x.shape, x.dtype)
    _run(x.context, lambda s: lib.subq_activation_apply(s, x._handle, _ACTIVATIONS[name], out._handle))
    return out


def gate(a, b, name, out=None):
    """y = a * act(b) (subq_gate); out may be a or b itself."""
    out = out if out is not None else a.context.empty(a.shape, a.dtype)
    _run(a.context, lambda s: lib.subq_gate(s, a._handle, b._handle, _ACTIVATIONS[name], out._handle))
    return out


def _norm_options(kind, layout, eps, gate_position="before"):
    options = _lib.NormOptions()
    options.kind, options.layout, options.eps = _NORMS[kind], _LAYOUTS[layout], eps
    options.gate_position = {"before": 0, "after": 1}[gate_position]
    return options


def norm(x, kind="rms", gamma=None, beta=None, layout="channels_last", eps=0.0, out=None):
    """Norm over the channel axis (subq_norm): kind rms, layer or l2; eps 0 means the kind's default."""
    options = _norm_options(kind, layout, eps)
    out = out if out is not None else x.context.empty(x.shape, x.dtype)
    _run(x.context, lambda s: lib.subq_norm(s, x._handle, _handle(gamma), _handle(beta), ctypes.byref(options),
                                            out._handle))
    return out


def gated_norm(a, b, name, kind="rms", gamma=None, beta=None, layout="channels_last", eps=0.0,
               gate_position="before", out=None):
    """norm(a * act(b)) (gate_position "before") or norm(a) * act(b) ("after"): subq_gated_norm."""
    options = _norm_options(kind, layout, eps, gate_position)
    out = out if out is not None else a.context.empty(a.shape, a.dtype)
    _run(a.context, lambda s: lib.subq_gated_norm(s, a._handle, b._handle, _ACTIVATIONS[name], _handle(gamma),
                                                  _handle(beta), ctypes.byref(options), out._handle))
    return out


def linear(x, weight, bias=None, out=None):
    """y = x W^T + b (subq_linear): x [..., K], weight [N, K], bias [N]."""
    out = out if out is not None else x.context.empty([*x.shape[:-1], weight.shape[0]], x.dtype)
    _run(x.context, lambda s: lib.subq_linear(s, x._handle, weight._handle, _handle(bias), out._handle))
    return out


def _varlen_options(host_cu_seqlens):
    options = _lib.CausalConv1dVarlenOptions()
    if host_cu_seqlens is not None:
        host = np.ascontiguousarray(host_cu_seqlens, dtype=np.int32)
        options.host_cu_seqlens = host.ctypes.data_as(ctypes.POINTER(ctypes.c_int32))
        options._keep = host  # the array must outlive the call
    return options


def causal_conv1d_varlen(x, weight, bias, cu_seqlens, initial_states=None, seq_idx=None, seq_start=None,
                         host_cu_seqlens=None, out=None):
    """Megatron's causal_conv1d_varlen_fn with SiLU: x (T, D) packed, cu_seqlens (R+1) int32 tensor.
    host_cu_seqlens (a NumPy copy) spares the check its download of cu_seqlens."""
    options = _varlen_options(host_cu_seqlens)
    out = out if out is not None else x.context.empty(x.shape, x.dtype)
    _run(x.context, lambda s: lib.subq_causal_conv1d_varlen(
        s, x._handle, weight._handle, _handle(bias), cu_seqlens._handle, _handle(initial_states), _handle(seq_idx),
        _handle(seq_start), ctypes.byref(options), out._handle))
    return out


def causal_conv1d_varlen_carry_states(x, cu_seqlens, prev, host_cu_seqlens=None, out=None):
    """The state (R, D, W) each request leaves for the next call; out may be prev (in place)."""
    options = _varlen_options(host_cu_seqlens)
    out = out if out is not None else x.context.empty(prev.shape, x.dtype)
    _run(x.context, lambda s: lib.subq_causal_conv1d_varlen_carry_states(
        s, x._handle, cu_seqlens._handle, prev._handle, ctypes.byref(options), out._handle))
    return out


def causal_conv1d(x, weight, bias=None, seq_idx=None, initial_states=None, activation=None,
                  return_final_states=False, out=None):
    """Dao's causal_conv1d_fn: x (B, D, L) in either layout; activation None, "silu" or "swish".
    Returns out, or (out, final_states) with return_final_states."""
    options = _lib.ActivationOptions(_ACTIVATIONS[activation])
    out = out if out is not None else x.context.empty(x.shape, x.dtype)
    final = x.context.empty([x.shape[0], x.shape[1], weight.shape[1] - 1], x.dtype) if return_final_states else None
    _run(x.context, lambda s: lib.subq_causal_conv1d(s, x._handle, weight._handle, _handle(bias), _handle(seq_idx),
                                                     _handle(initial_states), ctypes.byref(options), out._handle,
                                                     _handle(final)))
    return (out, final) if return_final_states else out


def causal_conv1d_update(x, conv_state, weight, bias=None, activation=None, cache_seqlens=None,
                         conv_state_indices=None, out=None):
    """Dao's causal_conv1d_update: x (B, D) or (B, D, L); conv_state is updated in place."""
    options = _lib.ActivationOptions(_ACTIVATIONS[activation])
    out = out if out is not None else x.context.empty(x.shape, x.dtype)
    _run(x.context, lambda s: lib.subq_causal_conv1d_update(
        s, x._handle, conv_state._handle, weight._handle, _handle(bias), _handle(cache_seqlens),
        _handle(conv_state_indices), ctypes.byref(options), out._handle))
    return out


class FFTKernel:
    """A kernel's spectrum for inputs of one spatial size (subq_fft_kernel): made once, applied by
    calling it, refreshed by update(). kernel [Bk, C, *K]; padding "zero", "circular" or one per axis."""

    def __init__(self, kernel, input_size, causal=False, padding="zero"):
        rank = len(input_size)
        paddings = [padding] * rank if isinstance(padding, str) else list(padding)
        options = _lib.FFTConvOptions()
        options.causal = 1 if causal else 0
        for i, p in enumerate(paddings):
            options.padding[i] = _FFT_PADDINGS[p]
        self.context, self._handle = kernel.context, None
        handle = ctypes.c_void_p()
        _run(self.context, lambda s: lib.subq_fft_kernel_create(s, kernel._handle, rank, _shape(input_size),
                                                                ctypes.byref(options), ctypes.byref(handle)))
        self._handle = handle

    def update(self, kernel):
        _run(self.context, lambda s: lib.subq_fft_kernel_update(s, self._handle, kernel._handle))

    def __call__(self, x, pre=None, post=None, shortcut=None, out=None):
        """y = post * (conv(u, k) + shortcut[c] * u), u = pre * x; each extra optional."""
        extras = _lib.FFTConvExtras(_handle(pre), _handle(post), _handle(shortcut))
        if out is None:
            out = x.context.empty(x.shape, x.dtype)
        _run(x.context, lambda s: lib.subq_fft_conv(s, x._handle, self._handle, ctypes.byref(extras), out._handle))
        return out

    def __del__(self):
        if self._handle and self.context._handle:
            lib.subq_fft_kernel_destroy(self._handle)
        self._handle = None


def fft_conv(x, kernel, causal=False, padding="zero", pre=None, post=None, shortcut=None, out=None):
    """Long convolution through the FFT (subq_fft_conv): x [B, C, *N], kernel [Bk, C, *K]."""
    return FFTKernel(kernel, x.shape[2:], causal, padding)(x, pre, post, shortcut, out)


def ckconv_grid(context, size, cache_size, grid_type="double", out=None):
    """CKConv's coordinate grid [P, D] (subq_ckconv_grid): size and cache_size per axis (N, L_cache),
    grid_type "double" or "single" for all axes or a list per axis."""
    types = [grid_type] * len(size) if isinstance(grid_type, str) else grid_type
    options = _lib.CKConvGridOptions(len(size), (ctypes.c_int64 * 3)(*size), (ctypes.c_int64 * 3)(*cache_size),
                                     (ctypes.c_int * 3)(*[_GRID_TYPES[t] for t in types]))
    points = ctypes.c_int64()
    _check(lib.subq_ckconv_grid_points(ctypes.byref(options), ctypes.byref(points)))
    out = out if out is not None else context.empty([points.value, len(size)])
    _run(context, lambda s: lib.subq_ckconv_grid(s, ctypes.byref(options), out._handle))
    return out


def ckconv_siren(grid, w0, b0, w_out, b_out, w_hidden=None, b_hidden=None, film_gamma=None, film_beta=None,
                 out=None):
    """The SIREN kernel network on grid [P, D] (subq_ckconv_siren): kernel [Bk, P, C] channels-last.
    w0 [H, D], w_hidden [L-1, H, H], w_out [C, H]; film_gamma and film_beta [B, L, H] (Bk = B) or None."""
    weights = _lib.CKConvSirenWeights(*[_handle(t) for t in (w0, b0, w_hidden, b_hidden, w_out, b_out, film_gamma,
                                                             film_beta)])
    batch = film_gamma.shape[0] if film_gamma is not None else 1
    out = out if out is not None else grid.context.empty([batch, grid.shape[0], w_out.shape[0]])
    _run(grid.context, lambda s: lib.subq_ckconv_siren(s, grid._handle, ctypes.byref(weights), out._handle))
    return out


def ckconv_mask(kernel, grid, params, kind="gaussian", min_std=0.0, max_std=0.0):
    """Multiplies kernel [Bk, P, C] in place by the Gaussian (params = sigma [D, C], clamped to
    [min_std, max_std]) or exponential (params = w [D, C]) mask at grid [P, D]; returns kernel."""
    options = _lib.CKConvMaskOptions(_MASKS[kind], min_std, max_std)
    _run(kernel.context, lambda s: lib.subq_ckconv_mask(s, grid._handle, params._handle, ctypes.byref(options),
                                                         kernel._handle))
    return kernel

from .modules import CKConvND, Hyena, HyenaState, QKVConditionMixer, QKVSequenceMixer  # noqa: E402

__all__ += ["CKConvND", "Hyena", "HyenaState", "QKVConditionMixer", "QKVSequenceMixer"]

from .s4 import FFTConvS4, lrnnx_fft_conv, opt_ssm_choose, opt_ssm_forward  # noqa: E402

__all__ += ["FFTConvS4", "lrnnx_fft_conv", "opt_ssm_choose", "opt_ssm_forward"]
