"""The foreground window on Windows: GetForegroundWindow, with DWM's true frame bounds.

GetWindowRect includes the invisible resize borders Windows 10+ draws around each
window; DwmGetWindowAttribute(DWMWA_EXTENDED_FRAME_BOUNDS) gives what is visible.
The libraries are passed in so the logic can be tested on other systems.
"""

from __future__ import annotations

import ctypes

from app.capture.window_info import WindowInfo

DWMWA_EXTENDED_FRAME_BOUNDS = 9
S_OK = 0
MAX_TITLE = 512


class _Rect(ctypes.Structure):
    _fields_ = [("left", ctypes.c_long), ("top", ctypes.c_long), ("right", ctypes.c_long), ("bottom", ctypes.c_long)]


class WindowsWindows:
    def __init__(self, user32=None, dwmapi=None):
        if user32 is None:
            # Qt 6 makes the process per-monitor DPI aware, so these rectangles and mss agree on physical pixels.
            user32, dwmapi = ctypes.windll.user32, ctypes.windll.dwmapi
        self._user32, self._dwmapi = user32, dwmapi

    def active_window(self) -> int | None:
        return int(self._user32.GetForegroundWindow() or 0) or None

    def window_info(self, handle: int) -> WindowInfo | None:
        if not self._user32.IsWindow(handle):
            return None
        rect = _Rect()
        status = self._dwmapi.DwmGetWindowAttribute(handle, DWMWA_EXTENDED_FRAME_BOUNDS, ctypes.byref(rect),
                                                    ctypes.sizeof(rect)) if self._dwmapi else -1
        if status != S_OK and not self._user32.GetWindowRect(handle, ctypes.byref(rect)):
            return None
        pid = ctypes.c_ulong()
        self._user32.GetWindowThreadProcessId(handle, ctypes.byref(pid))
        buffer = ctypes.create_unicode_buffer(MAX_TITLE)
        self._user32.GetWindowTextW(handle, buffer, MAX_TITLE)
        return WindowInfo(handle=handle, title=buffer.value, left=rect.left, top=rect.top,
                          width=rect.right - rect.left, height=rect.bottom - rect.top, pid=pid.value or None,
                          is_minimized=bool(self._user32.IsIconic(handle)))

    def close(self) -> None:
        pass
