"""SIGINT, SIGTERM and SIGHUP (Ctrl+C, a logout or shutdown, a closed terminal) quit the app from its event loop.

CPython runs a Python-level signal handler in the main thread "between bytecodes" (Python
docs, signal module, "Execution of Python signal handlers"): in a Qt app that is inside
whichever slot runs Python next. Quitting there once closed the active-window poll's X
connection under the running poll, which then called Xlib with a NULL display: a
segmentation fault in about one quit by SIGTERM in four. So the handlers here do nothing
themselves: the C-level handler also writes the signal's number to a wakeup socket
(signal.set_wakeup_fd), which wakes Qt's event loop, and a QSocketNotifier on the other end
quits from the loop, between slots, never inside one.
"""

from __future__ import annotations

import signal
import socket
from typing import Callable

from PySide6.QtCore import QObject, QSocketNotifier

QUIT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
READ_BYTES = 64  # signal numbers are one byte each; a burst of them is drained at once


def _wake_only(_number, _frame) -> None:
    """The loop does the work (see the module docstring); this only replaces the default action."""


class QuitOnSignals(QObject):
    def __init__(self, quit: Callable[[], None], parent: QObject | None = None):
        super().__init__(parent)
        self._quit = quit
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)  # set_wakeup_fd needs a non-blocking descriptor
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._previous_handlers = {number: signal.signal(number, _wake_only) for number in QUIT_SIGNALS}
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_wakeup)

    def _on_wakeup(self) -> None:
        try:
            received = self._reader.recv(READ_BYTES)
        except BlockingIOError:
            return
        if any(number in QUIT_SIGNALS for number in received):
            self._quit()

    def close(self) -> None:
        """Back to the handlers there were before (after the event loop has ended)."""
        if self._notifier is None:
            return
        self._notifier.setEnabled(False)
        self._notifier = None
        for number, handler in self._previous_handlers.items():
            signal.signal(number, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()
