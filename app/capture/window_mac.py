"""The front window on macOS, from Quartz's window list and AppKit's running applications.

pyobjc-framework-Quartz (which brings pyobjc-framework-Cocoa, AppKit). Apple's CoreGraphics
"CGWindowListCopyWindowInfo" and "Window List Option Constants", and AppKit "NSWorkspace"
and "NSRunningApplication":
- The on-screen list runs front to back, but background agents (menu-bar tools, helpers)
  own invisible layer-0 windows that can come first, so the active window is the front
  layer-0 window of the frontmost application (NSWorkspace.frontmostApplication), and the
  window behind ours is the front one of a regular app (activationPolicy Regular: one with
  a Dock icon), drawn with some opacity (kCGWindowAlpha > 0).
- A minimised window, or one on another Space, is not in the on-screen list; it is looked
  up by itself (kCGWindowListOptionIncludingWindow with its number) and kCGWindowIsOnscreen,
  an optional key that is absent or false for it, says it cannot be captured now.
Bounds are in points, the same units mss uses on macOS.
"""

from __future__ import annotations

from app.capture.window_info import WindowInfo

NORMAL_LAYER = 0
ACTIVATION_POLICY_REGULAR = 0  # NSApplicationActivationPolicyRegular


class MacWindows:
    def __init__(self, quartz=None, workspace=None):
        if quartz is None:
            import Quartz as quartz  # pyobjc-framework-Quartz; ImportError is reported by the caller
        if workspace is None:
            from AppKit import NSWorkspace  # pyobjc-framework-Cocoa, a dependency of the Quartz package

            workspace = NSWorkspace.sharedWorkspace()
        self._q, self._workspace = quartz, workspace

    def _on_screen(self) -> list:
        q = self._q
        options = q.kCGWindowListOptionOnScreenOnly | q.kCGWindowListExcludeDesktopElements
        return list(q.CGWindowListCopyWindowInfo(options, q.kCGNullWindowID) or [])

    def _regular_app_pids(self) -> set[int]:
        return {int(app.processIdentifier()) for app in self._workspace.runningApplications()
                if app.activationPolicy() == ACTIVATION_POLICY_REGULAR}

    @staticmethod
    def _is_visible_app_window(window) -> bool:
        bounds = window.get("kCGWindowBounds", {})
        return (window.get("kCGWindowLayer", NORMAL_LAYER) == NORMAL_LAYER and window.get("kCGWindowAlpha", 1) > 0
                and bounds.get("Width", 0) > 0 and bounds.get("Height", 0) > 0)

    def active_window(self) -> int | None:
        front = self._workspace.frontmostApplication()
        if front is None:
            return None
        pid = int(front.processIdentifier())
        for window in self._on_screen():
            if window.get("kCGWindowOwnerPID") == pid and self._is_visible_app_window(window):
                return int(window["kCGWindowNumber"])
        return None

    def front_window_not_owned_by(self, pid: int) -> int | None:
        """While our window is in front, the front window of another regular app is the user's."""
        apps = self._regular_app_pids()
        for window in self._on_screen():
            owner = window.get("kCGWindowOwnerPID")
            if owner != pid and owner in apps and self._is_visible_app_window(window):
                return int(window["kCGWindowNumber"])
        return None

    def window_info(self, handle: int) -> WindowInfo | None:
        q = self._q
        for window in q.CGWindowListCopyWindowInfo(q.kCGWindowListOptionIncludingWindow, handle) or []:
            if int(window["kCGWindowNumber"]) != handle:
                continue
            bounds = window.get("kCGWindowBounds", {})
            title = window.get("kCGWindowName") or window.get("kCGWindowOwnerName") or ""
            return WindowInfo(handle=handle, title=str(title), left=int(bounds.get("X", 0)),
                              top=int(bounds.get("Y", 0)), width=int(bounds.get("Width", 0)),
                              height=int(bounds.get("Height", 0)), pid=window.get("kCGWindowOwnerPID"),
                              is_minimized=not window.get("kCGWindowIsOnscreen", False))
        return None  # no such window any more: closed

    def close(self) -> None:
        pass
