"""`emit(signal, *args)`: emit a Qt signal from Python without PySide6 6.12.0's reference leak.

PySide6 6.12.0's SignalInstance.emit() returns Py_True without taking a reference, so
every emit from Python takes one reference from True. On Python 3.11 True is not
immortal: after a few hundred emits (one streamed description) the interpreter aborts
with "bool_dealloc: deallocating True or False". The leak is measured once at import;
if present, each emit here gives the reference back. A PySide6 without the bug, or a
Python whose True is immortal (3.12+), measures no leak and nothing is changed.
All code in app/ emits through this function.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

PROBE_EMITS = 64


class _Probe(QObject):
    ping = Signal()


def _measure_leak() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(PROBE_EMITS):
        probe.ping.emit()
    leaked = before - sys.getrefcount(True)
    if leaked >= PROBE_EMITS // 2:  # give back what the probe itself took
        for _ in range(PROBE_EMITS):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
        return True
    return False


IS_EMIT_LEAKING = _measure_leak()


def emit(signal, *args) -> None:
    result = signal.emit(*args)
    if IS_EMIT_LEAKING and result is True:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
