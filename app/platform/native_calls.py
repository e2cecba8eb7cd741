"""Declaring C functions for ctypes: one prototype table per library, applied in one place.

Every native function the app calls on Windows and macOS is declared with its argument
and result types before it is called. Undeclared, ctypes passes and returns C `int`:
a window handle with bit 31 set comes back negative (so it never equals Qt's window id),
and a 64-bit pointer is cut to 32 bits. The tables are data, so the tests check each
declaration against the documented prototype and load them into a stand-in library.
"""

from __future__ import annotations

import ctypes
from typing import NamedTuple, Sequence


class Prototype(NamedTuple):
    name: str  # the library's export name, exactly as documented
    restype: object  # a ctypes type, or None for void
    argtypes: tuple = ()


class _PortableHresult(ctypes.c_long):
    """ctypes.HRESULT (defined by ctypes on Windows only), for the same code elsewhere.

    Like ctypes.HRESULT, a failure code (negative: the severity bit set) raises OSError
    instead of being returned, so a caller cannot mistake it for success.
    """

    @classmethod
    def _check_retval_(cls, result):
        code = result.value if isinstance(result, ctypes.c_long) else int(result)
        if code < 0:
            raise OSError(None, f"HRESULT 0x{code & 0xFFFFFFFF:08X}", None, code)
        return code


HRESULT = getattr(ctypes, "HRESULT", _PortableHresult)


def declare(library, prototypes: Sequence[Prototype]):
    """Give each function of `library` its restype and argtypes; the library, for chaining.

    A name the library does not export raises AttributeError here, at load, not at the call.
    """
    for prototype in prototypes:
        function = getattr(library, prototype.name)
        function.restype = prototype.restype
        function.argtypes = prototype.argtypes
    return library


def load_windows_library(name: str, prototypes: Sequence[Prototype]):
    """A private WinDLL (never the shared ctypes.windll, whose declarations other code may change)."""
    return declare(ctypes.WinDLL(name, use_last_error=True), prototypes)  # type: ignore[attr-defined]
