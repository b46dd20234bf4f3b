"""The lrnnx family (include/subq/s4.h): fft_conv's patterns, opt_ssm_forward and FFTConvS4.
Complex arrays have a trailing axis of 2 (re, im), as torch.view_as_real gives them. Inputs and
outputs may be float32, float16 or bfloat16 tensors (pass out= for a 16-bit output); FFTConvS4's
states are float32."""
import ctypes
from ctypes import POINTER, c_double, c_int, c_int32, c_int64, c_void_p

import numpy as np

from . import _lib
from ._lib import lib

_PATTERNS = {"bli,loi->blo": 0, "bln,ln->bln": 1, "blh,nl,nh,on->blo": 2}
_STRATEGIES = {"auto": 0, "full_kernel": 1, "project": 2, "factored": 3}
_KERNELS = {"s4d": 1, "s4": 2}
_INITS = {"legs": 0, "lin": 1}


class FFTConvS4Config(ctypes.Structure):
    _fields_ = [("d_model", c_int64), ("l_max", c_int64), ("channels", c_int64), ("not_transposed", c_int32),
                ("kernel_type", c_int), ("disc", c_int), ("d_state", c_int64), ("n_ssm", c_int64),
                ("dt_min", c_double), ("dt_max", c_double), ("l_kernel", c_int64), ("init", c_int)]


_lib._declare("subq_lrnnx_workspace_create", c_int, c_void_p, POINTER(c_void_p))
_lib._declare("subq_lrnnx_workspace_destroy", None, c_void_p)
_lib._declare("subq_lrnnx_fft_conv", c_int, c_void_p, c_void_p, c_int, c_void_p, c_void_p, c_void_p, c_void_p,
              c_void_p)
_lib._declare("subq_opt_ssm_choose", c_int, c_int64, c_int64, c_int64, c_int64)
_lib._declare("subq_opt_ssm_forward", c_int, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p,
              POINTER(c_int), c_void_p)
_lib._declare("subq_fftconv_s4_create", c_int, c_void_p, POINTER(FFTConvS4Config), POINTER(c_void_p))
_lib._declare("subq_fftconv_s4_destroy", None, c_void_p)
_lib._declare("subq_fftconv_s4_parameters", c_void_p, c_void_p)
_lib._declare("subq_fftconv_s4_init", c_int, c_void_p, ctypes.c_uint64)
_lib._declare("subq_fftconv_s4_d_output", c_int64, c_void_p)
_lib._declare("subq_fftconv_s4_describe", c_int, c_void_p, ctypes.c_char_p, ctypes.c_size_t)
_lib._declare("subq_fftconv_s4_forward", c_int, c_void_p, c_void_p, c_void_p, c_void_p, c_double, c_void_p,
              c_void_p)
_lib._declare("subq_fftconv_s4_setup_step", c_int, c_void_p, c_void_p)
_lib._declare("subq_fftconv_s4_step", c_int, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p)
_lib._declare("subq_fftconv_s4_default_state", c_int, c_void_p, c_void_p)
_lib._declare("subq_parameters_load", c_int, c_void_p, ctypes.c_char_p, POINTER(ctypes.c_float), c_int64)
_lib._declare("subq_parameters_read", c_int, c_void_p, ctypes.c_char_p, POINTER(ctypes.c_float), c_int64)


def _subq():
    from . import _check, _handle, _run  # the package's helpers (imported late: it imports this module)
    return _check, _handle, _run


def _with_workspace(context, record):
    _check, _, _run = _subq()
    ws = c_void_p()
    _check(lib.subq_lrnnx_workspace_create(context._handle, ctypes.byref(ws)))
    try:
        _run(context, lambda s: record(s, ws))
    finally:
        lib.subq_lrnnx_workspace_destroy(ws)


def lrnnx_fft_conv(equation, x, kernel, b_proj=None, c_proj=None, out=None):
    """lrnnx's fft_conv(equation, x, *args): y [B, L, O, 2] complex."""
    _, _handle, _ = _subq()
    pattern = _PATTERNS[equation]
    out_dim = kernel.shape[1] if pattern == 0 else x.shape[2] if pattern == 1 else c_proj.shape[0]
    out = out if out is not None else x.context.empty([x.shape[0], x.shape[1], out_dim, 2])
    _with_workspace(x.context, lambda s, ws: lib.subq_lrnnx_fft_conv(s, ws, pattern, x._handle, kernel._handle,
                                                                      _handle(b_proj), _handle(c_proj), out._handle))
    return out


def opt_ssm_choose(batch, h_in, h_out, n):
    return {v: k for k, v in _STRATEGIES.items()}[lib.subq_opt_ssm_choose(batch, h_in, h_out, n)]


def opt_ssm_forward(x, K, B_, C, strategy="auto", out=None):
    """opt_ssm_forward(x [B, L, H_in], K [N, L(, 2)], B_ [N, H_in(, 2)], C [H_out, N(, 2)]) -> [B, L, H_out]."""
    out = out if out is not None else x.context.empty([x.shape[0], x.shape[1], C.shape[0]])
    option = c_int(_STRATEGIES[strategy])
    _with_workspace(x.context, lambda s, ws: lib.subq_opt_ssm_forward(s, ws, x._handle, K._handle, B_._handle,
                                                                       C._handle, ctypes.byref(option), out._handle))
    return out


class FFTConvS4:
    """FFTConvS4(d_model, l_max=None, channels=1, transposed=True, kernel="s4d", ...): parameters load and
    read by their state_dict names (load(), read()), forward returns (y, next_state), setup_step/step for
    recurrence. init: "legs" (lrnnx's default) or "lin", drawn with seed."""

    def __init__(self, context, d_model, l_max=None, channels=1, transposed=True, kernel=None, disc="zoh",
                 d_state=64, n_ssm=None, dt_min=0.001, dt_max=0.1, l_kernel=0, init="legs", seed=0):
        _check, _, _ = _subq()
        cfg = FFTConvS4Config(d_model, l_max or 0, channels, 0 if transposed else 1, _KERNELS.get(kernel, 0),
                              {"zoh": 0, "bilinear": 1}[disc], d_state, n_ssm or 0, dt_min, dt_max, l_kernel or 0,
                              _INITS[init])
        self.context, self._handle = context, None
        handle = c_void_p()
        _check(lib.subq_fftconv_s4_create(context._handle, ctypes.byref(cfg), ctypes.byref(handle)))
        self._handle = handle
        self.d_model, self.channels, self.transposed, self.n2 = d_model, channels, transposed, d_state // 2
        _check(lib.subq_fftconv_s4_init(handle, seed))

    @property
    def d_output(self):
        return lib.subq_fftconv_s4_d_output(self._handle)

    def describe(self):
        buf = ctypes.create_string_buffer(512)
        _subq()[0](lib.subq_fftconv_s4_describe(self._handle, buf, 512))
        return buf.value.decode()

    def load(self, name, values):
        values = np.ascontiguousarray(values, dtype=np.float32)
        _subq()[0](lib.subq_parameters_load(lib.subq_fftconv_s4_parameters(self._handle), name.encode(),
                                            values.ctypes.data_as(POINTER(ctypes.c_float)), values.size))

    def read(self, name, shape):
        values = np.empty(shape, dtype=np.float32)
        _subq()[0](lib.subq_parameters_read(lib.subq_fftconv_s4_parameters(self._handle), name.encode(),
                                            values.ctypes.data_as(POINTER(ctypes.c_float)), values.size))
        return values

    def forward(self, x, state=None, rate=1.0, out=None):
        """(y [B, C, H, L], next_state or None); y is out when given (any float dtype), else float32."""
        _, _handle, _run = _subq()
        batch, length = x.shape[0], x.shape[2] if self.transposed else x.shape[1]
        y = out if out is not None else x.context.empty([batch, self.channels, self.d_model, length])
        nxt = x.context.empty(state.shape) if state is not None else None
        _run(x.context, lambda s: lib.subq_fftconv_s4_forward(s, self._handle, x._handle, _handle(state), rate,
                                                              y._handle, _handle(nxt)))
        return y, nxt

    def setup_step(self):
        _run = _subq()[2]
        _run(self.context, lambda s: lib.subq_fftconv_s4_setup_step(s, self._handle))

    def default_state(self, batch):
        state = self.context.empty([batch, self.d_model, self.n2, 2])
        _subq()[0](lib.subq_fftconv_s4_default_state(self._handle, state._handle))
        return state

    def step(self, x, state, out=None):
        """(y [B, C, H], next_state); y is out when given (any float dtype), else float32."""
        _run = _subq()[2]
        y = out if out is not None else x.context.empty([x.shape[0], self.channels, self.d_model])
        nxt = x.context.empty(state.shape)
        _run(x.context, lambda s: lib.subq_fftconv_s4_step(s, self._handle, x._handle, state._handle, y._handle,
                                                           nxt._handle))
        return y, nxt

    def __del__(self):
        if self._handle and self.context._handle:
            lib.subq_fftconv_s4_destroy(self._handle)
        self._handle = None
