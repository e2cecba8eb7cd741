"""Windows and macOS window backends, driven through stand-ins for user32/dwmapi and Quartz.

MOCKS: these APIs cannot exist on this Linux machine, so the tests hand the backends
objects that answer like user32, dwmapi and pyobjc's Quartz do (same function names,
arguments and return conventions). What is tested is our logic around them.
"""

from __future__ import annotations

import ctypes

from app.capture.window_mac import MacWindows
from app.capture.window_win import DWMWA_EXTENDED_FRAME_BOUNDS, WindowsWindows

HWND = 0x1234


class FakeUser32:
    """Answers like user32.dll for one window."""

    def __init__(self, rect=(100, 50, 900, 650), minimized=False):
        self.rect = rect
        self.minimized = minimized

    def GetForegroundWindow(self):
        return HWND

    def IsWindow(self, hwnd):
        return hwnd == HWND

    def IsIconic(self, hwnd):
        return self.minimized

    def GetWindowRect(self, hwnd, rect_ref):
        rect = ctypes.cast(rect_ref, ctypes.POINTER(ctypes.c_long * 4)).contents
        rect[:] = [self.rect[0] - 7, self.rect[1], self.rect[2] + 7, self.rect[3] + 7]  # invisible borders
        return 1

    def GetWindowThreadProcessId(self, hwnd, pid_ref):
        ctypes.cast(pid_ref, ctypes.POINTER(ctypes.c_ulong)).contents.value = 777
        return 1

    def GetWindowTextW(self, hwnd, buffer, size):
        buffer.value = "Untitled - Notepad"
        return len(buffer.value)


class FakeDwm:
    """Answers like dwmapi.dll: the visible frame, without the invisible resize borders."""

    def __init__(self, rect, fails=False):
        self.rect, self.fails = rect, fails

    def DwmGetWindowAttribute(self, hwnd, attribute, rect_ref, size):
        if self.fails or attribute != DWMWA_EXTENDED_FRAME_BOUNDS:
            return -2147024809  # E_INVALIDARG
        rect = ctypes.cast(rect_ref, ctypes.POINTER(ctypes.c_long * 4)).contents
        rect[:] = list(self.rect)
        return 0


def test_windows_uses_the_visible_frame_from_dwm():
    user32 = FakeUser32()
    backend = WindowsWindows(user32, FakeDwm(user32.rect))
    info = backend.window_info(backend.active_window())
    assert (info.left, info.top, info.width, info.height) == (100, 50, 800, 600)
    assert (info.title, info.pid, info.is_minimized) == ("Untitled - Notepad", 777, False)


def test_windows_falls_back_to_the_window_rectangle_without_dwm():
    user32 = FakeUser32(minimized=True)
    info = WindowsWindows(user32, FakeDwm(user32.rect, fails=True)).window_info(HWND)
    assert (info.left, info.width) == (93, 814) and info.is_minimized
    assert WindowsWindows(user32, None).window_info(0x999) is None  # closed window


class FakeQuartz:
    """Answers like pyobjc's Quartz module: windows front to back, as CGWindowListCopyWindowInfo does."""

    kCGWindowListOptionOnScreenOnly = 1
    kCGWindowListExcludeDesktopElements = 16
    kCGNullWindowID = 0

    def __init__(self, windows):
        self.windows = windows

    def CGWindowListCopyWindowInfo(self, options, relative_to):
        assert options == 17 and relative_to == 0
        return self.windows


MENU_BAR = {"kCGWindowNumber": 1, "kCGWindowLayer": 24, "kCGWindowOwnerPID": 50, "kCGWindowOwnerName": "Menubar"}
OUR_WINDOW = {"kCGWindowNumber": 2, "kCGWindowLayer": 0, "kCGWindowOwnerPID": 60, "kCGWindowName": "VisionPangu",
              "kCGWindowBounds": {"X": 0, "Y": 0, "Width": 500, "Height": 400}}
SAFARI = {"kCGWindowNumber": 3, "kCGWindowLayer": 0, "kCGWindowOwnerPID": 70, "kCGWindowOwnerName": "Safari",
          "kCGWindowBounds": {"X": 20, "Y": 40, "Width": 1200, "Height": 800}}


def test_macos_front_window_skips_the_menu_bar_and_can_skip_our_own():
    backend = MacWindows(FakeQuartz([MENU_BAR, OUR_WINDOW, SAFARI]))
    assert backend.active_window() == 2
    assert backend.front_window_not_owned_by(60) == 3
    info = backend.window_info(3)
    assert (info.title, info.left, info.top, info.width, info.height, info.pid) == ("Safari", 20, 40, 1200, 800, 70)
    assert backend.window_info(99) is None  # closed or minimised: not on screen
