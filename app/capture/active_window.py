"""The user's active window, never ours: remembered from before our window was raised.

A timer watches the platform's active window; any window not owned by this process
is remembered. When the user presses "Describe active window" in our window, ours is
active, so the remembered one is meant; when a desktop shortcut forwards the command,
the user's window is still active and is taken as it is.
"""

from __future__ import annotations

import os
import sys
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from app.capture.errors import CaptureError
from app.capture.window_info import WindowInfo

POLL_MS = 300


def _tr(text: str) -> str:
    return QCoreApplication.translate("Capture", text)


def create_backend():
    """The platform's window backend, or raise CaptureError saying why there is none."""
    try:
        if sys.platform == "win32":
            from app.capture.window_win import WindowsWindows

            return WindowsWindows()
        if sys.platform == "darwin":
            from app.capture.window_mac import MacWindows

            return MacWindows()
        if not os.environ.get("DISPLAY"):
            raise OSError("no X display")
        from app.capture.window_x11 import X11Windows

        return X11Windows()
    except ImportError as exc:
        raise CaptureError(_tr("Finding the active window needs the pyobjc-framework-Quartz package, "
                               "which is not installed.")) from exc
    except OSError as exc:
        raise CaptureError(_tr("This desktop does not tell apps which window is active (for example under "
                               "Wayland). Use Describe screen instead.")) from exc


class ActiveWindowTracker(QObject):
    def __init__(self, own_handles: Callable[[], set[int]], is_app_active: Callable[[], bool],
                 backend=None, own_pid: int | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._own_handles = own_handles
        self._is_app_active = is_app_active
        self._backend = backend
        self._backend_error: CaptureError | None = None
        self._own_pid = own_pid if own_pid is not None else os.getpid()
        self.remembered: int | None = None
        self._is_stopped = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        self._timer.start()
        self.poll()  # stops the timer again where there is nothing to watch

    def stop(self) -> None:
        """For good: the timer stops, then the connection closes; polls after this do nothing."""
        self._is_stopped = True
        self._timer.stop()
        if self._backend is not None:
            self._backend.close()

    def _get_backend(self):
        if self._backend is None and self._backend_error is None:
            try:
                self._backend = create_backend()
            except CaptureError as exc:
                self._backend_error = exc
        if self._backend is None:
            raise self._backend_error
        return self._backend

    def _is_ours(self, handle: int) -> bool:
        if handle in self._own_handles():
            return True
        info = self._backend.window_info(handle)
        return info is not None and info.pid == self._own_pid

    def poll(self) -> None:
        if self._is_stopped:
            return
        try:
            backend = self._get_backend()
        except CaptureError:
            self._timer.stop()  # nothing to watch on this desktop; target() says why
            return
        handle = backend.active_window()
        if handle and not self._is_ours(handle):
            self.remembered = handle

    def target(self) -> WindowInfo:
        """The window to describe, with fresh geometry; raises CaptureError in plain words."""
        backend = self._get_backend()
        handle = None
        if not self._is_app_active():
            current = backend.active_window()
            if current and not self._is_ours(current):
                handle = current
        if handle is None and hasattr(backend, "front_window_not_owned_by"):
            handle = backend.front_window_not_owned_by(self._own_pid)
        if handle is None:
            handle = self.remembered
        if handle is None:
            raise CaptureError(_tr("No other window has been active yet. Switch to the window you want "
                                   "described, then use this command again."))
        info = backend.window_info(handle)
        if info is None:
            raise CaptureError(_tr("The window you were using has closed."))
        if info.is_minimized:
            raise CaptureError(_tr("The window \u201c{0}\u201d is minimised. Restore it, then try again.")
                               .format(info.title or _tr("untitled")))
        if info.width <= 0 or info.height <= 0:
            raise CaptureError(_tr("The active window has no visible area to capture."))
        return info
