"""ctypes declarations of libsubq's C API (include/subq/*.h)."""
import ctypes
import os
from ctypes import POINTER, c_char_p, c_double, c_int, c_int32, c_int64, c_size_t, c_uint32, c_void_p

MAX_RANK = 5


def _find_library():
    explicit = os.environ.get("SUBQ_LIBRARY")
    if explicit:
        return explicit
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, "..", "..", "build", "libsubq.so"), os.path.join(here, "libsubq.so")):
        if os.path.exists(candidate):
            return candidate
    return "libsubq.so"


lib = ctypes.CDLL(_find_library())


class DeviceInfo(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char * 256), ("driver_name", ctypes.c_char * 256), ("driver_info", ctypes.c_char * 256),
        ("type", c_int), ("vendor_id", c_uint32), ("device_id", c_uint32), ("driver_version", c_uint32),
        ("api_version", c_uint32), ("device_uuid", ctypes.c_uint8 * 16), ("device_local_bytes", ctypes.c_uint64),
        ("max_workgroup_size", c_uint32 * 3), ("max_workgroup_invocations", c_uint32),
        ("max_workgroup_count", c_uint32 * 3), ("max_shared_memory_bytes", c_uint32),
        ("max_storage_buffer_range", ctypes.c_uint64), ("max_push_constants_bytes", c_uint32),
        ("min_storage_buffer_offset_alignment", c_uint32), ("subgroup_size", c_uint32),
        ("timestamp_period_ns", ctypes.c_float), ("has_float16_arithmetic", c_int), ("has_int8_arithmetic", c_int),
        ("has_16bit_storage", c_int), ("has_8bit_storage", c_int), ("has_external_memory_fd", c_int),
        ("has_cooperative_matrix", c_int), ("has_subgroup_arithmetic", c_int),
    ]


class ContextOptions(ctypes.Structure):
    _fields_ = [("device", c_char_p), ("validation", c_int), ("pipeline_cache", c_int), ("cache_dir", c_char_p),
                ("pipeline_statistics", c_int)]


class DepthwiseConvOptions(ctypes.Structure):
    _fields_ = [("padding", c_int), ("explicit_padding", c_int32 * 3), ("channels", c_int64),
                ("cp_rank", c_int32), ("cp_size", c_int32)]


class NormOptions(ctypes.Structure):
    _fields_ = [("kind", c_int), ("layout", c_int), ("eps", ctypes.c_float), ("gate_position", c_int)]


class CausalConv1dVarlenOptions(ctypes.Structure):
    _fields_ = [("host_cu_seqlens", POINTER(c_int32))]


class ActivationOptions(ctypes.Structure):
    """subq_causal_conv1d_options and subq_causal_conv1d_update_options (one field each)."""
    _fields_ = [("activation", c_int)]


class FFTConvOptions(ctypes.Structure):
    _fields_ = [("causal", c_int32), ("padding", c_int * 3)]


class FFTConvExtras(ctypes.Structure):
    _fields_ = [("pre", c_void_p), ("post", c_void_p), ("shortcut", c_void_p)]


class CKConvGridOptions(ctypes.Structure):
    _fields_ = [("data_dim", c_int32), ("size", c_int64 * 3), ("cache_size", c_int64 * 3), ("grid_type", c_int * 3)]


class CKConvSirenWeights(ctypes.Structure):
    _fields_ = [("w0", c_void_p), ("b0", c_void_p), ("w_hidden", c_void_p), ("b_hidden", c_void_p),
                ("w_out", c_void_p), ("b_out", c_void_p), ("film_gamma", c_void_p), ("film_beta", c_void_p)]


class CKConvMaskOptions(ctypes.Structure):
    _fields_ = [("kind", c_int), ("min_std", ctypes.c_float), ("max_std", ctypes.c_float)]


def _declare(name, restype, *argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)


_declare("subq_status_name", c_char_p, c_int)
_declare("subq_last_error", c_char_p)
_declare("subq_device_count", c_int, POINTER(c_uint32))
_declare("subq_device_get_info", c_int, c_uint32, POINTER(DeviceInfo))
_declare("subq_device_choose", c_int, c_char_p, POINTER(c_uint32))
_declare("subq_context_create", c_int, POINTER(ContextOptions), POINTER(c_void_p))
_declare("subq_context_destroy", None, c_void_p)
_declare("subq_context_get_device_info", c_int, c_void_p, POINTER(DeviceInfo))
_declare("subq_context_validation_message_count", c_uint32, c_void_p)
_declare("subq_tensor_create", c_int, c_void_p, c_int, c_int, POINTER(c_int64), POINTER(c_void_p))
_declare("subq_tensor_view", c_int, c_void_p, c_int64, c_int, POINTER(c_int64), POINTER(c_int64), POINTER(c_void_p))
_declare("subq_tensor_destroy", None, c_void_p)
_declare("subq_tensor_upload", c_int, c_void_p, c_void_p, c_size_t)
_declare("subq_tensor_download", c_int, c_void_p, c_void_p, c_size_t)
_declare("subq_tensor_copy", c_int, c_void_p, c_void_p, c_void_p)
_declare("subq_stream_create", c_int, c_void_p, POINTER(c_void_p))
_declare("subq_stream_destroy", None, c_void_p)
_declare("subq_stream_submit", c_int, c_void_p)
_declare("subq_stream_wait", c_int, c_void_p)
_declare("subq_stream_gpu_time_ms", c_int, c_void_p, POINTER(c_double))


class ProfileEntry(ctypes.Structure):
    _fields_ = [("kernel", c_char_p), ("ms", c_double), ("statistics", c_char_p)]


_declare("subq_stream_set_profiling", c_int, c_void_p, c_int)
_declare("subq_stream_profile", c_int, c_void_p, POINTER(POINTER(ProfileEntry)), POINTER(c_int))
_declare("subq_depthwise_conv", c_int, c_void_p, c_void_p, c_void_p, c_void_p, POINTER(DepthwiseConvOptions),
         c_void_p)
_declare("subq_activation_apply", c_int, c_void_p, c_void_p, c_int, c_void_p)
_declare("subq_gate", c_int, c_void_p, c_void_p, c_void_p, c_int, c_void_p)
_declare("subq_norm", c_int, c_void_p, c_void_p, c_void_p, c_void_p, POINTER(NormOptions), c_void_p)
_declare("subq_gated_norm", c_int, c_void_p, c_void_p, c_void_p, c_int, c_void_p, c_void_p, POINTER(NormOptions),
         c_void_p)
_declare("subq_linear", c_int, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p)
_declare("subq_causal_conv1d_varlen", c_int, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p,
         c_void_p, POINTER(CausalConv1dVarlenOptions), c_void_p)
_declare("subq_causal_conv1d_varlen_carry_states", c_int, c_void_p, c_void_p, c_void_p, c_void_p,
         POINTER(CausalConv1dVarlenOptions), c_void_p)
_declare("subq_causal_conv1d", c_int, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p,
         POINTER(ActivationOptions), c_void_p, c_void_p)
_declare("subq_causal_conv1d_update", c_int, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, c_void_p,
         POINTER(ActivationOptions), c_void_p)


_declare("subq_fft_kernel_create", c_int, c_void_p, c_void_p, c_int, POINTER(c_int64), POINTER(FFTConvOptions),
         POINTER(c_void_p))
_declare("subq_fft_kernel_update", c_int, c_void_p, c_void_p, c_void_p)
_declare("subq_fft_kernel_destroy", None, c_void_p)
_declare("subq_fft_conv", c_int, c_void_p, c_void_p, c_void_p, POINTER(FFTConvExtras), c_void_p)
_declare("subq_ckconv_grid_points", c_int, POINTER(CKConvGridOptions), POINTER(c_int64))
_declare("subq_ckconv_grid", c_int, c_void_p, POINTER(CKConvGridOptions), c_void_p)
_declare("subq_ckconv_siren", c_int, c_void_p, c_void_p, POINTER(CKConvSirenWeights), c_void_p)
_declare("subq_ckconv_mask", c_int, c_void_p, c_void_p, c_void_p, POINTER(CKConvMaskOptions), c_void_p)
