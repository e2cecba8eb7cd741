"""The one way into llama.cpp: `load()` imports llama_cpp with llama.cpp's back ends loaded.

pip builds llama.cpp for the CPU it builds on (ggml's CMake: `GGML_NATIVE=ON`, `-march=native`),
right for a venv but not for a folder copied to other machines: built on a CPU with AVX-512, it
stops with an illegal instruction on one without. The frozen app is therefore built the way
llama.cpp's own releases are (`packaging/portable_llama_cpp.sh`): `GGML_NATIVE=OFF GGML_BACKEND_DL=ON
GGML_CPU_ALL_VARIANTS=ON`, one CPU back end per x86 level (`libggml-cpu-x64` ... `-haswell`,
`-zen4`, `-sapphirerapids`), of which ggml loads the one that scores best on the running CPU
(ggml-backend-reg.cpp, `ggml_backend_load_best`).

Such a build registers no back end until one is loaded. `llama_backend_init` would load them from
the executable's folder and the working directory only, which are neither where llama-cpp-python
installs them (`bin/` beside the package) nor where the frozen app keeps them (`llama_cpp/lib`), and
a library planted in the working directory must never be loaded. So the first caller loads them,
from those two folders, before anything else asks llama.cpp a question. A native build has its CPU
back end linked in (`ggml_backend_reg_count() > 0`) and is left as it is.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
from pathlib import Path
from types import ModuleType

log = logging.getLogger(__name__)
_state: dict = {"loaded": False}


def package_folder() -> Path:
    """llama_cpp/lib: where llama-cpp-python opens libllama and libggml by path (llama_cpp.py)."""
    import llama_cpp

    return Path(llama_cpp.__file__).parent / "lib"


def pip_backend_folder() -> Path:
    """Where pip installs a GGML_BACKEND_DL build's back ends: `bin/` beside the llama_cpp package."""
    return package_folder().parent.parent / "bin"


def backend_folders() -> list[Path]:
    """Where a GGML_BACKEND_DL build's back ends can be: the frozen app's, then pip's."""
    return [package_folder(), pip_backend_folder()]


def library_file(name: str) -> Path:
    """The file of one of llama.cpp's libraries ("ggml", "ggml-base") that libllama itself loads.

    A wheel holds symbolic links as copies, so llama_cpp/lib has `libggml.so`, `libggml.so.0` and
    `libggml.so.0.25.3` as three files, and the loader keeps a file opened by path apart from the
    same library opened by another name: each copy would have its own back-end registry. libllama
    asks for the version name (`libggml.so.0`, `libggml.0.dylib`), so that file comes first.
    """
    folder = package_folder()
    versioned = sorted(path for path in folder.glob(f"lib{name}.*")
                       if re.fullmatch(rf"lib{re.escape(name)}\.(so\.\d+|\d+\.dylib)", path.name))
    plain = [folder / f"lib{name}.so", folder / f"lib{name}.dylib", folder / f"{name}.dll", folder / f"lib{name}.dll"]
    return next(path for path in versioned + plain if path.is_file())


def library(name: str) -> ctypes.CDLL:
    """One of llama.cpp's libraries, the very copy libllama uses."""
    return ctypes.CDLL(str(library_file(name)))


def _ggml() -> ctypes.CDLL:
    ggml = library("ggml")
    ggml.ggml_backend_reg_count.restype, ggml.ggml_backend_reg_count.argtypes = ctypes.c_size_t, []
    ggml.ggml_backend_load_all_from_path.restype = None
    ggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
    return ggml


def load_backends() -> int:
    """Loads a GGML_BACKEND_DL build's back ends if none is registered; the number registered."""
    ggml = _ggml()
    if ggml.ggml_backend_reg_count() == 0:
        for folder in backend_folders():
            if folder.is_dir():
                ggml.ggml_backend_load_all_from_path(os.fsencode(folder))
                log.debug("llama.cpp back ends looked for in %s: %d registered", folder, ggml.ggml_backend_reg_count())
            if ggml.ggml_backend_reg_count():
                break
        else:
            log.error("llama.cpp has no back end: none could be loaded from %s", ", ".join(map(str, backend_folders())))
    return int(ggml.ggml_backend_reg_count())


def load() -> ModuleType:
    """llama_cpp, ready to use: call this instead of `import llama_cpp` before the first llama.cpp call."""
    import llama_cpp

    from engine import native_log

    if not _state["loaded"]:
        native_log.install()  # llama.cpp's messages, the back-end loader's included, go to the log
        load_backends()
        _state["loaded"] = True
    return llama_cpp
