"""Which vision encoder the worker runs: llama.cpp's (mtmd), or OpenVINO's where it is the faster one.

`auto` picks OpenVINO where all of these hold, else llama.cpp, and says why in plain words:
the vision encoder is not on llama.cpp's GPU back end; OpenVINO is installed; the mmproj is
InternVL's graph with BF16 matrices (what `convert` writes where the CPU has AVX512_BF16); the
CPU is x86-64, where it was measured; and OpenVINO's CPU plugin runs BF16 natively here
(AVX512_BF16 or AMX). There its oneDNN kernels
encode a tile in about half of mtmd's time (`bench --encoders`). Elsewhere OpenVINO would multiply
in float32 with a widened copy of the weights: twice the memory, for no gain measured.

`Vision` owns what the choice needs: the OpenVINO encoder, and which file mtmd loads (the full
mmproj, or its shell without encoder blocks, engine/encoder/shell_mmproj.py, removed once read).
If OpenVINO fails to build or compile the encoder, llama.cpp's runs and the reason says so.
"""

from __future__ import annotations

import logging
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

log = logging.getLogger(__name__)

AUTO, LLAMA_CPP, OPENVINO = "auto", "llama.cpp", "openvino"
SETTINGS = (AUTO, LLAMA_CPP, OPENVINO)  # "openvino": wherever it can run at all (tests, trying it out)
RAN_MTMD, RAN_OPENVINO = "llama.cpp", "openvino"
X86_MACHINES = ("x86_64", "amd64")  # platform.machine() on Linux and macOS, on Windows


@dataclass(frozen=True)
class EncoderChoice:
    ran: str  # RAN_MTMD or RAN_OPENVINO
    reason: str


def matrix_type(mmproj_path: str | os.PathLike) -> tuple[str, str]:
    """(projector graph, the encoder matrices' GGUF type, upper case) of an mmproj, read from its header."""
    from engine import model_files

    reader = model_files.read_gguf(Path(mmproj_path))
    return model_files.header_field(reader, "clip.projector_type", ""), model_files.matrix_type(reader).upper()


def choose(setting: str, graph: str, matrices: str, encoder_on_gpu: bool, has_openvino: bool,
           has_native_bf16: Callable[[], bool], is_x86: bool = True) -> EncoderChoice:
    if setting == LLAMA_CPP:
        return EncoderChoice(RAN_MTMD, "llama.cpp's vision encoder, as asked")
    if encoder_on_gpu:
        return EncoderChoice(RAN_MTMD, "llama.cpp runs the vision encoder on the GPU")
    if not has_openvino:
        return EncoderChoice(RAN_MTMD, "llama.cpp's vision encoder (OpenVINO is not installed)")
    if graph != "internvl":
        return EncoderChoice(RAN_MTMD, f"llama.cpp's vision encoder (OpenVINO runs InternVL's, not {graph!r})")
    if setting == OPENVINO:
        return EncoderChoice(RAN_OPENVINO, "OpenVINO's vision encoder, as asked")
    if matrices != "BF16":
        return EncoderChoice(RAN_MTMD, f"llama.cpp's vision encoder (the vision model's weights are {matrices}; "
                                       "OpenVINO is the faster one with BF16 weights)")
    if not is_x86:  # OpenVINO's ARM plugin (Apple silicon) has not been measured against mtmd's Metal and NEON
        return EncoderChoice(RAN_MTMD, "llama.cpp's vision encoder (OpenVINO was measured on x86-64 CPUs only)")
    if not has_native_bf16():
        return EncoderChoice(RAN_MTMD, "llama.cpp's vision encoder (this CPU has no native BF16 for OpenVINO)")
    return EncoderChoice(RAN_OPENVINO, "OpenVINO's BF16 kernels: about half of llama.cpp's time a tile on this CPU")


def _asked(has_native_bf16: Callable[[], bool]) -> Callable[[], bool]:
    """The question, with "no" for an OpenVINO whose CPU plugin cannot even be loaded to answer it."""
    def ask() -> bool:
        try:
            return has_native_bf16()
        except Exception as exc:
            log.warning("OpenVINO's CPU plugin could not be asked about BF16 (%s)", exc)
            return False

    return ask


class Vision:
    """The worker's vision encoder: `encoder` (None: mtmd's own) and `mtmd_path`, the file mtmd loads."""

    def __init__(self, mmproj_path: str, n_threads: int, setting: str, encoder_on_gpu: bool):
        from engine.encoder import openvino_encoder

        self.encoder = None
        self.mtmd_path = str(mmproj_path)
        self._full_path = str(mmproj_path)
        self._shell: Path | None = None
        try:
            graph, matrices = matrix_type(mmproj_path)
        except Exception:  # a damaged file: llama.cpp's own loader says what is wrong with it
            graph, matrices = "", ""
        self.choice = choose(setting, graph, matrices, encoder_on_gpu, openvino_encoder.available(),
                             _asked(openvino_encoder.cpu_has_bf16), platform.machine().lower() in X86_MACHINES)
        if self.choice.ran == RAN_OPENVINO:
            self._open_openvino(mmproj_path, n_threads)

    def _open_openvino(self, mmproj_path: str, n_threads: int) -> None:
        from engine.encoder.openvino_encoder import OpenVinoEncoder
        from engine.encoder.shell_mmproj import write_shell

        try:
            self.encoder = OpenVinoEncoder(mmproj_path, n_threads)
            self._shell = write_shell(mmproj_path)
        except Exception as exc:  # OpenVINO's own errors are plain exceptions: llama.cpp's encoder runs instead
            log.warning("OpenVINO could not run the vision encoder (%s); llama.cpp's runs instead", exc)
            self.fall_back("OpenVINO could not load it")
            return
        self.mtmd_path = str(self._shell)

    def fall_back(self, why: str) -> None:
        """llama.cpp's encoder after all: mtmd must then load the full mmproj."""
        self.close()
        self.choice = EncoderChoice(RAN_MTMD, f"llama.cpp's vision encoder ({why})")

    def mtmd_loaded(self) -> None:
        """mtmd has read its file: the shell goes (mtmd keeps what it read in memory)."""
        if self._shell is not None:
            self._shell.unlink(missing_ok=True)
            self._shell = None

    def close(self) -> None:
        self.mtmd_loaded()
        self.mtmd_path = self._full_path
        if self.encoder is not None:
            self.encoder.close()
            self.encoder = None
