"""Where llama.cpp keeps the language model's weights: its own choice, except Intel AMX's buffer.

llama.cpp built natively on a CPU with AMX (Sapphire Rapids and later Xeons, Xeon W; its report
says `AMX_INT8 = 1`) offers an AMX buffer for quantized weights before any other
(ggml-cpu.cpp, `ggml_backend_cpu_get_extra_buffer_types`), and its AMX matrix multiply crashed
the worker at the first decode on such a machine (2026-12-02, Intel Xeon with AMX, llama-cpp-python
0.3.36, the tiny and the full-size Q4_K_M: a segfault in `ggml_backend_amx_mul_mat`, gdb). It is a
known upstream crash (ggml-org/llama.cpp#20824, "segfault in ggml_backend_amx_mul_mat", Q4_K_M,
machine-dependent; #16315: the AMX path also gives wrong results with Q4_0).

So where llama.cpp reports AMX_INT8 the extra buffer types are turned off (`use_extra_bufts`), and
the matrices llama.cpp's REPACK buffer would have taken on any x86 CPU with AVX2 are handed to it by
name (`tensor_buft_overrides`). REPACK's rule there (repack.cpp, `ggml_repack_get_optimal_repack_type`):
Q4_0, Q4_K and IQ4_NL matrices whose row count is a multiple of 8; the token embeddings are read
row by row (GET_ROWS), which REPACK does not do. Measured on that machine (full-size Q4_K_M, 2
threads, 256 tokens then 32 decoded, three rounds): with REPACK 1.55-1.70 s and 20.0 tok/s, with
no extra buffer 1.31-1.33 s and 14.1 tok/s; a description is mostly decoding, so REPACK is kept.
Elsewhere llama.cpp's own choice stands, and weights on a GPU need no REPACK at all.

llama-cpp-python's `Llama()` has no parameter for either field: it starts from
`llama_model_default_params()`, so `open_llama` gives it defaults with them set while it loads.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from engine import llama_library
from engine.cpu_features import Features, has_amx

REPACK_BUFFER = "CPU_REPACK"  # ggml_backend_buft_name of llama.cpp's REPACK buffer type
REPACK_ROWS_MULTIPLE = 8
REPACK_TYPES = ("Q4_0", "Q4_K", "IQ4_NL")  # REPACK's x86 (AVX2) formats among those a GGUF can hold
ROW_LOOKUP_TENSOR = "token_embd.weight"
GGML_BACKEND_DEVICE_TYPE_CPU = 0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TensorInfo:
    name: str
    type: str  # ggml's name: "Q4_K", "F32", ...
    shape: tuple[int, ...]  # ggml order: shape[0] is the row length, shape[1] the row count


@dataclass(frozen=True)
class WeightBuffers:
    use_extra_bufts: bool  # llama.cpp's own choice among its extra buffer types (AMX, REPACK)
    repack_names: tuple[str, ...]  # matrices handed to the REPACK buffer by name
    reason: str


LLAMA_CPP_CHOICE = WeightBuffers(True, (), "llama.cpp's own choice of weight buffers")


def repacked_by_llama_cpp(tensor: TensorInfo) -> bool:
    """Whether llama.cpp's REPACK buffer takes this tensor on an x86 CPU with AVX2."""
    return (tensor.name != ROW_LOOKUP_TENSOR and tensor.type in REPACK_TYPES and len(tensor.shape) >= 2
            and tensor.shape[1] % REPACK_ROWS_MULTIPLE == 0)


def plan(features: Features, tensors: list[TensorInfo], is_on_gpu: bool) -> WeightBuffers:
    if not has_amx(features):
        return LLAMA_CPP_CHOICE
    if is_on_gpu:
        return WeightBuffers(False, (), "AMX is left out (llama.cpp's AMX kernels crash); the GPU holds the weights")
    names = tuple(t.name for t in tensors if repacked_by_llama_cpp(t))
    return WeightBuffers(False, names, "AMX is left out (llama.cpp's AMX kernels crash); "
                                       f"{len(names)} matrices go to llama.cpp's REPACK buffer as without AMX")


def gguf_tensors(path: Path) -> list[TensorInfo]:
    """The tensors' names, formats and shapes from the GGUF header (the data is not read).

    The header's key-value pairs are stepped over, not parsed: gguf-py's GGUFReader makes two
    numpy arrays for each of the vocabulary's 153,376 tokens, and the worker's heap kept 11 MB of
    them after they were freed (the worker reads this list on every start on an AMX CPU).
    """
    import mmap
    import struct

    import gguf
    import numpy as np
    from gguf.gguf_reader import GGUFReader

    # Bytes of one value of each scalar type, from gguf-py's own table; STRING and ARRAY are read apart.
    value_bytes = {int(kind): np.dtype(scalar).itemsize for kind, scalar in GGUFReader.gguf_scalar_to_np.items()}
    string, array = int(gguf.GGUFValueType.STRING), int(gguf.GGUFValueType.ARRAY)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        n_tensors, n_kv = struct.unpack_from("<QQ", data, 8)
        at = 24  # magic, version, tensor and key counts

        def string_end(at: int) -> int:
            return at + 8 + struct.unpack_from("<Q", data, at)[0]

        for _ in range(n_kv):
            at = string_end(at)  # the key
            (kind,), at = struct.unpack_from("<I", data, at), at + 4
            if kind == array:
                (kind, count), at = struct.unpack_from("<IQ", data, at), at + 12
                if kind == string:
                    for _ in range(count):
                        at = string_end(at)
                else:
                    at += count * value_bytes[kind]
            else:
                at = string_end(at) if kind == string else at + value_bytes[kind]
        tensors = []
        for _ in range(n_tensors):
            end = string_end(at)
            name = bytes(data[at + 8:end]).decode("utf-8")
            (n_dims,) = struct.unpack_from("<I", data, end)
            shape = struct.unpack_from(f"<{n_dims}Q", data, end + 4)
            (kind,) = struct.unpack_from("<I", data, end + 4 + 8 * n_dims)
            at = end + 4 + 8 * n_dims + 4 + 8  # then the data's offset
            tensors.append(TensorInfo(name, gguf.GGMLQuantizationType(kind).name, tuple(int(n) for n in shape)))
    return tensors


def plan_for(model_path: Path, is_on_gpu: bool) -> WeightBuffers:
    """The plan for this process's llama.cpp (imports llama_cpp: the worker's side)."""
    from engine.cpu_features import llama_cpp_features

    features = llama_cpp_features()
    if not has_amx(features):  # the GGUF header is read only where it matters
        return LLAMA_CPP_CHOICE
    return plan(features, gguf_tensors(Path(model_path)), is_on_gpu)


class _Override(ctypes.Structure):  # struct llama_model_tensor_buft_override (llama.h)
    _fields_ = [("pattern", ctypes.c_char_p), ("buft", ctypes.c_void_p)]


def _extra_buffer_types() -> dict[str, int]:
    """llama.cpp's CPU extra buffer types by name, as its model loader finds them (llama-model.cpp)."""
    llama_library.load()
    ggml, base = llama_library.library("ggml"), llama_library.library("ggml-base")
    ggml.ggml_backend_dev_by_type.restype, ggml.ggml_backend_dev_by_type.argtypes = ctypes.c_void_p, [ctypes.c_int]
    base.ggml_backend_dev_backend_reg.restype = ctypes.c_void_p
    base.ggml_backend_dev_backend_reg.argtypes = [ctypes.c_void_p]
    base.ggml_backend_reg_get_proc_address.restype = ctypes.c_void_p
    base.ggml_backend_reg_get_proc_address.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    base.ggml_backend_buft_name.restype, base.ggml_backend_buft_name.argtypes = ctypes.c_char_p, [ctypes.c_void_p]
    cpu = ggml.ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU)
    address = cpu and base.ggml_backend_reg_get_proc_address(base.ggml_backend_dev_backend_reg(cpu),
                                                             b"ggml_backend_dev_get_extra_bufts")
    if not address:
        return {}
    bufts = ctypes.CFUNCTYPE(ctypes.POINTER(ctypes.c_void_p), ctypes.c_void_p)(address)(cpu)
    found, i = {}, 0
    while bufts and bufts[i]:
        found[base.ggml_backend_buft_name(bufts[i]).decode()] = bufts[i]
        i += 1
    return found


class ModelParams:
    """A plan applied to a llama_model_params; holds the override list for as long as the load needs it."""

    def __init__(self, buffers: WeightBuffers):
        log.info("language model weights: %s", buffers.reason)
        self.buffers = buffers
        self._overrides = None
        repack = _extra_buffer_types().get(REPACK_BUFFER) if buffers.repack_names else None
        if repack:
            pattern = "^(" + "|".join(re.escape(name) for name in buffers.repack_names) + ")$"
            self._overrides = (_Override * 2)(_Override(pattern.encode(), repack), _Override(None, None))

    def apply(self, params) -> None:
        params.use_extra_bufts = self.buffers.use_extra_bufts
        if self._overrides is not None:
            params.tensor_buft_overrides = ctypes.cast(self._overrides, ctypes.c_void_p).value


@contextlib.contextmanager
def _llama_defaults(model_params: ModelParams):
    from llama_cpp import llama_cpp as lib

    original = lib.llama_model_default_params

    def defaults():
        params = original()
        model_params.apply(params)
        return params

    lib.llama_model_default_params = defaults
    try:
        yield
    finally:
        lib.llama_model_default_params = original


def open_llama(model_path, is_on_gpu: bool = False, **kwargs):
    """`llama_cpp.Llama(model_path, **kwargs)` with the weight buffers of `plan_for`."""
    Llama = llama_library.load().Llama

    model_params = ModelParams(plan_for(Path(model_path), is_on_gpu))
    with _llama_defaults(model_params):
        return Llama(str(model_path), **kwargs)
