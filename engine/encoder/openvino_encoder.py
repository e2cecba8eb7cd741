"""The InternVL vision encoder run by OpenVINO: one compiled model for one mmproj file, made by the
worker's session where engine/encoder/choice.py chooses it.

Memory: the constants share the GGUF's memory map, and OpenVINO's CPU plugin repacks each BF16
matrix into its own blocked copy when the model is compiled; once a tile has been encoded, the
file's pages are handed back to the kernel (madvise MADV_DONTNEED: they are never read again,
and would be read back from the file if they were), so what stays is one BF16 copy of the
weights, as in mtmd. On Windows VirtualUnlock does the same for the working set; `released` says
whether it was done. OpenVINO's buffers for the intermediate results (about 21 MB) are handed
back after each tile too (CompiledModel.release_memory) and made again by the next: no slower
(0.906-0.914 s a tile against 0.908-0.967 s, the same embeddings, on an Intel Xeon with AMX), and
the worker holds them only while a tile is encoded, not while the language model reads and writes.
"""

from __future__ import annotations

import mmap
import os
import time
from functools import lru_cache

import numpy as np

from engine.encoder.internvit_graph import build_model

DEVICE = "CPU"
# OpenVINO's other arithmetic (norms, attention, GELU, sums) stays float32: with a BF16 hint it runs
# them in bf16 too, 10% faster and twice as far from the source model (7.5e-3 against 4.3e-3 of the
# embeddings' range on the tiny model; mtmd's BF16 path: 2.8e-3). The BF16 products are in the graph.
PRECISION = "f32"


def available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def core():
    """The process's one OpenVINO Core, never destroyed. Each Core loads its own instance of the CPU
    plugin, which installs a signal stack on the calling thread and, when destroyed, puts back the one
    it found: two destroyed out of order leave a freed stack installed, and the next signal (Ctrl+C)
    is a segmentation fault."""
    import openvino as ov

    return ov.Core()


def cpu_has_bf16() -> bool:
    """OpenVINO's own report: its CPU plugin runs BF16 natively (AVX512_BF16 or AMX)."""
    return "BF16" in core().get_property(DEVICE, "OPTIMIZATION_CAPABILITIES")


ERROR_NOT_LOCKED = 158  # winerror.h: VirtualUnlock's answer for pages that were never locked


def _trim_from_working_set(mapped: np.ndarray) -> bool:
    """Windows has no madvise: VirtualUnlock on pages that are not locked takes them out of the process's
    working set (its documented effect, "Remarks" of VirtualUnlock), and they are read back from the
    file if touched again. Not run here: the calls are checked against a stand-in (tests)."""
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.VirtualUnlock.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
    kernel32.VirtualUnlock.restype = ctypes.c_int
    if kernel32.VirtualUnlock(ctypes.c_void_p(mapped.ctypes.data), ctypes.c_size_t(mapped.nbytes)):
        return True
    return ctypes.get_last_error() == ERROR_NOT_LOCKED


class OpenVinoEncoder:
    """`encode(tile)`: a uint8 RGB tile of the model's image size -> (tokens, text n_embd) float32."""

    def __init__(self, mmproj_path: str, n_threads: int):
        import gguf

        started = time.perf_counter()
        self._reader = gguf.GGUFReader(str(mmproj_path))
        model, self.shape = build_model(self._reader)
        config = {"INFERENCE_PRECISION_HINT": PRECISION, "INFERENCE_NUM_THREADS": int(n_threads)}
        self._compiled = core().compile_model(model, DEVICE, config)
        del model
        self._request = self._compiled.create_infer_request()
        self.encode(np.zeros((self.shape.image_size, self.shape.image_size, 3), dtype=np.uint8))  # repack now
        self.released = self._release_file_pages()
        self.load_s = time.perf_counter() - started

    def encode(self, tile: np.ndarray) -> np.ndarray:
        size = self.shape.image_size
        if tile.shape != (size, size, 3) or tile.dtype != np.uint8:
            raise ValueError(f"a tile is a {size}x{size} uint8 RGB array, not {tile.shape} {tile.dtype}")
        self._request.infer({0: np.ascontiguousarray(tile)})
        embeddings = self._request.get_output_tensor(0).data.copy()
        self._compiled.release_memory()  # its intermediate buffers, until the next tile (module docstring)
        return embeddings

    def _release_file_pages(self) -> bool:
        """The file's pages out of this process's memory: OpenVINO encodes from its own copy now."""
        if os.name == "nt":
            return _trim_from_working_set(self._reader.data)
        mapped = getattr(self._reader.data, "_mmap", None)
        advise = getattr(mapped, "madvise", None)
        if advise is None or not hasattr(mmap, "MADV_DONTNEED"):
            return False
        advise(mmap.MADV_DONTNEED)
        return True

    def close(self) -> None:
        self._request = self._compiled = None
