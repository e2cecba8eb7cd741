"""macOS Screen Recording permission, checked before every capture (CoreGraphics, macOS 10.15+).

Without the permission macOS still returns a picture, but one with only the wallpaper, the
menu bar and our own windows (Apple, "CGPreflightScreenCaptureAccess" and
"CGRequestScreenCaptureAccess", CoreGraphics/CGWindow.h), so a capture would look fine and
the model would describe the wallpaper as if it were the screen. So no capture is taken
(and the model never runs) until the permission is there: the first refusal asks macOS to
show its dialog, which also adds the app to the Screen Recording list, and the user is told
to turn it on and reopen the app (a grant applies to processes started after it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

from PySide6.QtCore import QCoreApplication

from app.capture.errors import CaptureError
from app.platform.native_calls import Prototype, declare
from resources import APP_NAME

# bool CGPreflightScreenCaptureAccess(void); bool CGRequestScreenCaptureAccess(void)
CG_PROTOTYPES = (
    Prototype("CGPreflightScreenCaptureAccess", ctypes.c_bool),
    Prototype("CGRequestScreenCaptureAccess", ctypes.c_bool),
)

_lock = threading.Lock()
_state: dict[str, object] = {"library": None, "has_requested": False}


def load_core_graphics():
    path = ctypes.util.find_library("CoreGraphics")
    if path is None:
        raise OSError("CoreGraphics framework not found")
    return ctypes.cdll.LoadLibrary(path)


def not_allowed_message() -> str:
    return QCoreApplication.translate("Capture", (
        "{app} may not record the screen yet, so it would see only the desktop picture and the "
        "menu bar, not your windows. Open System Settings, choose Privacy and Security, then Screen Recording "
        "(on newer macOS: Screen and System Audio Recording), turn on {app} (or Terminal, if you "
        "started it from there), then quit {app} and open it again.")).format(app=APP_NAME)


def check_screen_recording() -> None:
    """Raise CaptureError in plain words unless this process may capture other apps' windows."""
    with _lock:
        if _state["library"] is None:
            try:
                _state["library"] = declare(load_core_graphics(), CG_PROTOTYPES)
            except (OSError, AttributeError):  # before macOS 10.15 there is no such permission to check
                return
        library = _state["library"]
        if library.CGPreflightScreenCaptureAccess():
            return
        if not _state["has_requested"]:
            _state["has_requested"] = True
            library.CGRequestScreenCaptureAccess()  # macOS's dialog, once; it adds the app to the list
    raise CaptureError(not_allowed_message())


def forget() -> None:
    """Drop the loaded library and the request made (tests)."""
    with _lock:
        _state.update(library=None, has_requested=False)
