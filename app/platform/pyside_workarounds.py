"""PySide6 6.12.0 drops references to True and False; this keeps them alive for good.

`SignalInstance.emit()` returns True, and `SignalInstance.disconnect()` returns True or
False, without taking a reference (measured: each call lowers the count by one). On
Python 3.11, where True and False are ordinary objects, a few hundred streamed tokens,
or a few hundred pytest-qt waits (which disconnect), bring the count to zero and the
interpreter aborts with "bool_dealloc: deallocating True or False".

The fix gives each of them a reserve of references so large that no run can use it up:
what CPython 3.12 does for them anyway (PEP 683, immortal objects). It is applied when
the `app` package is imported, so the app, its tests and its helpers are all covered.
"""

from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 40  # references; a leak of one per token would need centuries to spend it
IMMORTAL_SINCE = (3, 12)


def keep_true_and_false_alive() -> bool:
    """Add the reserve once (idempotent); False where nothing is needed (Python 3.12+)."""
    if sys.version_info >= IMMORTAL_SINCE or sys.implementation.name != "cpython":
        return False
    for value in (True, False):
        count = ctypes.c_ssize_t.from_address(id(value))  # ob_refcnt: PyObject's first field
        if count.value < RESERVE:
            count.value += RESERVE
    return True
