"""Route llama.cpp, ggml and mtmd logs into Python logging instead of the user's terminal.

mtmd prints to stderr even with verbose=False, so both log hooks are replaced once per
process. The callbacks must stay referenced for the process's life. In the worker,
`configure` decides once whether anything native reaches stderr: only when debugging.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

logger = logging.getLogger("visionpangu.llama")

# ggml_log_level (ggml.h): NONE, DEBUG, INFO, WARN, ERROR, CONT (continue the previous line)
_LEVELS = {0: logging.CRITICAL, 1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_LEVEL_CONT = 5
# ggml_abort (ggml.c) prints a gdb or backtrace() dump to stderr unless this is set.
NO_BACKTRACE_ENV = "GGML_NO_BACKTRACE"
_ABORT_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_char_p)  # ggml_abort_callback_t (ggml.h)
_state = {"installed": False, "last": logging.DEBUG, "callback": None, "abort": None}


def install() -> None:
    if _state["installed"]:
        return
    import llama_cpp  # not llama_library.load(), which calls this first: its back-end loading logs too
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


def configure(is_debug: bool) -> None:
    """In a process of its own (the worker): native logs and crash dumps on stderr only if debugging.

    Without it, a spawned worker's unconfigured logging prints every native warning through
    Python's last-resort handler, and a failed ggml assertion dumps a debugger backtrace.
    """
    if is_debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
        return
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    os.environ[NO_BACKTRACE_ENV] = "1"  # read by ggml_print_backtrace when it runs
    _route_aborts()


def _route_aborts() -> None:
    """ggml_abort's own message ("ggml.c:N: GGML_ASSERT(...) failed") goes to the log, not stderr.

    The process still ends (ggml calls abort() after the callback); the caller reports that.
    """
    library = _ggml_base()
    if library is None or not hasattr(library, "ggml_set_abort_callback"):
        return  # the message then still reaches stderr, without the backtrace

    @_ABORT_CALLBACK
    def _on_abort(message: bytes) -> None:
        logger.critical("llama.cpp stopped: %s", message.decode("utf-8", errors="replace"))

    library.ggml_set_abort_callback.argtypes = [_ABORT_CALLBACK]
    library.ggml_set_abort_callback.restype = _ABORT_CALLBACK
    library.ggml_set_abort_callback(_on_abort)
    _state["abort"] = _on_abort


def _ggml_base():
    """The ggml-base library libllama uses (ggml_set_abort_callback lives there)."""
    from engine import llama_library

    try:
        return llama_library.library("ggml-base")
    except (OSError, StopIteration):
        return None
