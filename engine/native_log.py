"""Route llama.cpp, ggml and mtmd logs into Python logging instead of the user's terminal.

mtmd prints to stderr even with verbose=False (DESIGN.md), so both log hooks are
replaced once per process. The callbacks must stay referenced for the process's life.
"""

from __future__ import annotations

import ctypes
import logging

logger = logging.getLogger("visionpangu.llama")

# ggml_log_level (ggml.h): NONE, DEBUG, INFO, WARN, ERROR, CONT (continue the previous line)
_LEVELS = {0: logging.CRITICAL, 1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_LEVEL_CONT = 5
_state = {"installed": False, "last": logging.DEBUG, "callback": None}


def install() -> None:
    if _state["installed"]:
        return
    import llama_cpp
    from llama_cpp import mtmd_cpp

    @llama_cpp.llama_log_callback
    def _callback(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
        py_level = _state["last"] if level == _LEVEL_CONT else _LEVELS.get(level, logging.DEBUG)
        _state["last"] = py_level
        if logger.isEnabledFor(py_level):
            logger.log(py_level, text.decode("utf-8", errors="replace").rstrip())

    _state["callback"] = _callback
    llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))
    mtmd_cpp.mtmd_log_set(_callback, ctypes.c_void_p(0))
    mtmd_cpp.mtmd_helper_log_set(_callback, ctypes.c_void_p(0))
    _state["installed"] = True
