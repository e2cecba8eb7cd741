"""Chooses the hotkey backend for this platform and desktop session.

- VISIONPANGU_HOTKEYS=null: NullBackend (tests of the rest of the app; grabs nothing).
- Windows: RegisterHotKey. macOS: a Quartz event tap.
- Linux and BSD: Wayland (XDG_SESSION_TYPE=wayland, or WAYLAND_DISPLAY without
  XDG_SESSION_TYPE=x11) uses the GlobalShortcuts portal, or explains how to bind commands
  in the desktop when there is none. X11 is never used under Wayland: XWayland only
  delivers keys while one of its own windows has focus, so grabs there look set but never
  fire. Otherwise DISPLAY means X11 (startx leaves XDG_SESSION_TYPE=tty).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Mapping

from app.hotkeys.backend import HotkeyBackend, NullBackend, UnsupportedBackend
from app.platform.desktop_session import WAYLAND, X11, session_kind
from app.hotkeys.texts import missing_library_message, no_session_message

log = logging.getLogger(__name__)

HOTKEYS_ENV = "VISIONPANGU_HOTKEYS"
NULL_BACKEND = "null"
def choose_backend(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> HotkeyBackend:
    if environ.get(HOTKEYS_ENV, "").strip().lower() == NULL_BACKEND:
        return NullBackend()
    if platform == "win32":
        from app.hotkeys.windows import WindowsBackend
        return WindowsBackend()
    if platform == "darwin":
        from app.hotkeys.macos import MacBackend
        return MacBackend()
    kind = session_kind(environ)
    if kind == WAYLAND:
        from app.hotkeys.portal import PortalBackend
        return PortalBackend()
    if kind == X11:
        try:
            from app.hotkeys.x11 import X11Backend
        except ImportError as error:
            log.warning("python-xlib could not be imported: %s", error)
            return UnsupportedBackend(missing_library_message("python-xlib"))
        return X11Backend(environ["DISPLAY"])
    return UnsupportedBackend(no_session_message())
