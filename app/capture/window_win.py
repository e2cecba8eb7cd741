"""The foreground window on Windows: GetForegroundWindow, with DWM's true frame bounds.

GetWindowRect includes the invisible resize borders Windows 10+ draws around each
window; DwmGetWindowAttribute(DWMWA_EXTENDED_FRAME_BOUNDS) gives what is visible.
The functions come from private WinDLL objects with every prototype declared
(app.platform.native_calls): an HWND is a pointer-sized handle (wintypes.HWND), so one with bit 31
set stays the positive number Qt's winId() gives. The libraries can be passed in, so the
tests load the same declarations into a stand-in library.
"""

from __future__ import annotations

import ctypes
from ctypes import wintypes

from app.capture.window_info import WindowInfo
from app.platform.native_calls import HRESULT, Prototype, declare, load_windows_library

DWMWA_EXTENDED_FRAME_BOUNDS = 9  # dwmapi.h, DWMWINDOWATTRIBUTE
MAX_TITLE = 512

# Prototypes from learn.microsoft.com (winuser.h, dwmapi.h); every one is WINAPI (stdcall), which
# WinDLL uses.
USER32_PROTOTYPES = (
    Prototype("GetForegroundWindow", wintypes.HWND),
    Prototype("IsWindow", wintypes.BOOL, (wintypes.HWND,)),
    Prototype("IsIconic", wintypes.BOOL, (wintypes.HWND,)),
    Prototype("GetWindowRect", wintypes.BOOL, (wintypes.HWND, ctypes.POINTER(wintypes.RECT))),
    Prototype("GetWindowThreadProcessId", wintypes.DWORD, (wintypes.HWND, ctypes.POINTER(wintypes.DWORD))),
    Prototype("GetWindowTextW", ctypes.c_int, (wintypes.HWND, wintypes.LPWSTR, ctypes.c_int)),
)
DWMAPI_PROTOTYPES = (
    # HRESULT DwmGetWindowAttribute(HWND hwnd, DWORD dwAttribute, PVOID pvAttribute, DWORD cbAttribute)
    Prototype("DwmGetWindowAttribute", HRESULT, (wintypes.HWND, wintypes.DWORD, ctypes.c_void_p, wintypes.DWORD)),
)


class WindowsWindows:
    def __init__(self, user32=None, dwmapi=None):
        if user32 is None:
            # Qt 6 makes the process per-monitor DPI aware, so these rectangles and mss agree on physical pixels.
            user32 = load_windows_library("user32", USER32_PROTOTYPES)
            dwmapi = load_windows_library("dwmapi", DWMAPI_PROTOTYPES)
        else:
            declare(user32, USER32_PROTOTYPES)
            if dwmapi is not None:
                declare(dwmapi, DWMAPI_PROTOTYPES)
        self._user32, self._dwmapi = user32, dwmapi

    def active_window(self) -> int | None:
        return self._user32.GetForegroundWindow() or None  # HWND restype: an int, or None for NULL

    def _frame(self, handle: int) -> wintypes.RECT | None:
        rect = wintypes.RECT()
        if self._dwmapi is not None:
            try:  # the HRESULT restype raises OSError on a failure code
                self._dwmapi.DwmGetWindowAttribute(handle, DWMWA_EXTENDED_FRAME_BOUNDS, ctypes.byref(rect),
                                                   ctypes.sizeof(rect))
                return rect
            except OSError:
                pass  # no DWM composition (a remote session, Windows 7 basic): the plain rectangle
        return rect if self._user32.GetWindowRect(handle, ctypes.byref(rect)) else None

    def window_info(self, handle: int) -> WindowInfo | None:
        if not self._user32.IsWindow(handle):
            return None
        rect = self._frame(handle)
        if rect is None:
            return None
        pid = wintypes.DWORD()
        self._user32.GetWindowThreadProcessId(handle, ctypes.byref(pid))
        buffer = ctypes.create_unicode_buffer(MAX_TITLE)
        self._user32.GetWindowTextW(handle, buffer, MAX_TITLE)
        return WindowInfo(handle=handle, title=buffer.value, left=rect.left, top=rect.top,
                          width=rect.right - rect.left, height=rect.bottom - rect.top, pid=pid.value or None,
                          is_minimized=bool(self._user32.IsIconic(handle)))

    def close(self) -> None:
        pass
