"""The front window on macOS, from Quartz's window list (pyobjc-framework-Quartz).

CGWindowListCopyWindowInfo lists on-screen windows front to back; the first one at
layer 0 (ordinary windows: not the menu bar, Dock or overlays) is the active one.
Bounds are in points, the same units mss uses on macOS.
"""

from __future__ import annotations

from app.capture.window_info import WindowInfo

NORMAL_LAYER = 0


class MacWindows:
    def __init__(self, quartz=None):
        if quartz is None:
            import Quartz as quartz  # pyobjc-framework-Quartz; ImportError is reported by the caller
        self._q = quartz

    def _windows(self) -> list:
        q = self._q
        options = q.kCGWindowListOptionOnScreenOnly | q.kCGWindowListExcludeDesktopElements
        return list(q.CGWindowListCopyWindowInfo(options, q.kCGNullWindowID) or [])

    def active_window(self) -> int | None:
        for window in self._windows():
            if window.get("kCGWindowLayer", NORMAL_LAYER) == NORMAL_LAYER:
                return int(window["kCGWindowNumber"])
        return None

    def front_window_not_owned_by(self, pid: int) -> int | None:
        """While our window is in front, the window just behind it is the user's."""
        for window in self._windows():
            if window.get("kCGWindowLayer", NORMAL_LAYER) == NORMAL_LAYER and window.get("kCGWindowOwnerPID") != pid:
                return int(window["kCGWindowNumber"])
        return None

    def window_info(self, handle: int) -> WindowInfo | None:
        for window in self._windows():
            if int(window["kCGWindowNumber"]) != handle:
                continue
            bounds = window.get("kCGWindowBounds", {})
            title = window.get("kCGWindowName") or window.get("kCGWindowOwnerName") or ""
            return WindowInfo(handle=handle, title=str(title), left=int(bounds.get("X", 0)),
                              top=int(bounds.get("Y", 0)), width=int(bounds.get("Width", 0)),
                              height=int(bounds.get("Height", 0)), pid=window.get("kCGWindowOwnerPID"))
        return None  # closed or minimised: not in the on-screen list

    def close(self) -> None:
        pass
