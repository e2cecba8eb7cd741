"""`emit(signal, *args)`, kept for code that was written against it.

It once gave back the reference PySide6 6.12.0's emit() takes from True. That is now
covered for every emit and disconnect, wherever they are, by app/pyside_workarounds.py
(applied when the `app` package is imported), so plain `signal.emit(...)` is safe and
this is a plain call. New code should emit directly.
"""

from __future__ import annotations


def emit(signal, *args) -> None:
    signal.emit(*args)
