"""Which kind of desktop session this is on Linux and BSD: Wayland, X11 or none.

Wayland: XDG_SESSION_TYPE=wayland, or WAYLAND_DISPLAY without XDG_SESSION_TYPE=x11. DISPLAY may
be set there too (XWayland), but X11 then sees only XWayland's own windows: its key grabs fire
only while one of them has focus, and a capture of its root window shows the other windows black.
So under Wayland the global shortcuts and the screen go through the desktop's portal
(app/hotkeys/portal.py, app/capture/portal_screenshot.py). Otherwise DISPLAY means X11 (startx
leaves XDG_SESSION_TYPE=tty).
"""

from __future__ import annotations

import os
from typing import Mapping

WAYLAND, X11, NO_SESSION = "wayland", "x11", "none"


def session_kind(environ: Mapping[str, str] = os.environ) -> str:
    session = environ.get("XDG_SESSION_TYPE", "").strip().lower()
    if session == WAYLAND or (environ.get("WAYLAND_DISPLAY") and session != X11):
        return WAYLAND
    if environ.get("DISPLAY"):
        return X11
    return NO_SESSION
