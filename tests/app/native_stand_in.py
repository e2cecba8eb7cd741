"""Compiles a small C library that stands in for a Windows or macOS system library.

MOCK: no Windows or macOS here. The app's ctypes declarations are loaded into a real shared
library that exports the same function names with the documented prototypes, so the calls
go through ctypes' real marshalling: a wrong or missing argtypes/restype gives a wrong
value or an error in these tests, as it would on the real system. (wintypes' BOOL, DWORD
and LONG are C `long` in ctypes, so the stand-ins use `long` for them.)
"""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

from tests.system_programs import first_found

COMPILE_TIMEOUT_S = 60


def build_stand_in(folder: Path, name: str, source: str) -> ctypes.CDLL:
    compiler = first_found("cc", "gcc", install="apt-get install build-essential")
    c_file, library = folder / f"{name}.c", folder / f"lib{name}.so"
    c_file.write_text(source, encoding="utf-8")
    subprocess.run([compiler, "-shared", "-fPIC", "-O1", "-o", str(library), str(c_file)], check=True,
                   timeout=COMPILE_TIMEOUT_S, capture_output=True)
    return ctypes.CDLL(str(library))
