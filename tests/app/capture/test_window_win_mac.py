"""Windows and macOS window backends, driven through stand-ins for user32/dwmapi and Quartz.

MOCK: no macOS/Windows here. Windows: the backend's own ctypes declarations are loaded into a
compiled C library exporting user32's and dwmapi's functions with their documented prototypes
(tests/app/native_stand_in.py), so handles and rectangles cross ctypes for real. macOS: an
object answering like pyobjc's Quartz and AppKit (same names, options and dictionary keys),
modelling minimised windows, other Spaces and invisible layer-0 windows of background agents.
"""

from __future__ import annotations

import ctypes
from ctypes import wintypes

import pytest

from app.capture import window_win
from app.capture.window_mac import MacWindows
from app.capture.window_win import DWMWA_EXTENDED_FRAME_BOUNDS, WindowsWindows
from app.platform.native_calls import HRESULT
from tests.app.native_stand_in import build_stand_in

HWND_HIGH_BIT = 0x80001234  # bit 31 set: negative if read back as a C int
VISIBLE_FRAME = (100, 50, 900, 650)
USER32_STAND_IN = """
#include <wchar.h>
#include <stdint.h>
typedef struct { long left, top, right, bottom; } RECT;
static uintptr_t foreground = 0x80001234u;
static long minimized = 0, dwm_fails = 0;
void stand_in_set(uintptr_t window, long is_minimized, long is_dwm_failing) {
    foreground = window; minimized = is_minimized; dwm_fails = is_dwm_failing;
}
void *GetForegroundWindow(void) { return (void *)foreground; }
long IsWindow(void *hwnd) { return hwnd != 0 && (uintptr_t)hwnd == foreground; }
long IsIconic(void *hwnd) { return minimized; }
long GetWindowRect(void *hwnd, RECT *rect) {  /* with the invisible resize borders */
    if ((uintptr_t)hwnd != foreground) return 0;
    rect->left = 93; rect->top = 50; rect->right = 907; rect->bottom = 657; return 1;
}
unsigned long GetWindowThreadProcessId(void *hwnd, unsigned long *pid) { if (pid) *pid = 777; return 4242; }
int GetWindowTextW(void *hwnd, wchar_t *buffer, int size) {
    return swprintf(buffer, (size_t)size, L"%ls", L"Untitled - Notepad \u00e9");
}
long DwmGetWindowAttribute(void *hwnd, unsigned long attribute, void *value, unsigned long size) {
    if (dwm_fails || attribute != 9 || size != sizeof(RECT)) return (long)(int)0x80070057; /* E_INVALIDARG */
    RECT *rect = (RECT *)value;
    rect->left = 100; rect->top = 50; rect->right = 900; rect->bottom = 650; return 0;
}
"""
# Export names as documented on learn.microsoft.com (user32.dll, dwmapi.dll).
USER32_EXPORTS = {"GetForegroundWindow", "IsWindow", "IsIconic", "GetWindowRect", "GetWindowThreadProcessId",
                  "GetWindowTextW"}
DWMAPI_EXPORTS = {"DwmGetWindowAttribute"}


@pytest.fixture(scope="module")
def user32(tmp_path_factory):
    library = build_stand_in(tmp_path_factory.mktemp("user32"), "user32", USER32_STAND_IN)
    library.stand_in_set.argtypes = (ctypes.c_size_t, ctypes.c_long, ctypes.c_long)
    library.stand_in_set(HWND_HIGH_BIT, 0, 0)
    yield library
    library.stand_in_set(HWND_HIGH_BIT, 0, 0)


def test_windows_declarations_are_the_documented_prototypes():
    declared = {p.name: p for p in window_win.USER32_PROTOTYPES + window_win.DWMAPI_PROTOTYPES}
    assert {p.name for p in window_win.USER32_PROTOTYPES} == USER32_EXPORTS
    assert {p.name for p in window_win.DWMAPI_PROTOTYPES} == DWMAPI_EXPORTS
    assert declared["GetForegroundWindow"].restype is wintypes.HWND
    assert declared["DwmGetWindowAttribute"].restype is HRESULT
    assert declared["DwmGetWindowAttribute"].argtypes[0] is wintypes.HWND
    for name in USER32_EXPORTS - {"GetForegroundWindow"}:
        assert declared[name].argtypes[0] is wintypes.HWND, name


def test_a_handle_with_bit_31_set_stays_the_positive_number_qt_gives(user32):
    backend = WindowsWindows(user32, user32)
    handle = backend.active_window()
    assert handle == HWND_HIGH_BIT  # undeclared, ctypes reads a C int: -2147478988
    info = backend.window_info(handle)
    assert info is not None and info.handle == HWND_HIGH_BIT


def test_a_handle_above_4_gb_crosses_ctypes_whole(user32):
    user32.stand_in_set(0x7FFF_0000_0010, 0, 0)
    try:
        backend = WindowsWindows(user32, user32)
        assert backend.window_info(backend.active_window()).title.startswith("Untitled")
    finally:
        user32.stand_in_set(HWND_HIGH_BIT, 0, 0)


def test_windows_uses_the_visible_frame_from_dwm(user32):
    backend = WindowsWindows(user32, user32)
    info = backend.window_info(backend.active_window())
    assert (info.left, info.top, info.width, info.height) == (100, 50, 800, 600)
    assert (info.title, info.pid, info.is_minimized) == ("Untitled - Notepad \u00e9", 777, False)


def test_windows_falls_back_to_the_window_rectangle_when_dwm_fails(user32):
    user32.stand_in_set(HWND_HIGH_BIT, 1, 1)
    try:
        info = WindowsWindows(user32, user32).window_info(HWND_HIGH_BIT)
        assert (info.left, info.width) == (93, 814) and info.is_minimized
        assert WindowsWindows(user32, None).window_info(0x999) is None  # closed window
    finally:
        user32.stand_in_set(HWND_HIGH_BIT, 0, 0)


def test_a_failing_hresult_raises_instead_of_passing_for_success(user32):
    WindowsWindows(user32, user32)  # declares DwmGetWindowAttribute on the stand-in
    user32.stand_in_set(HWND_HIGH_BIT, 0, 1)
    try:
        with pytest.raises(OSError):
            user32.DwmGetWindowAttribute(HWND_HIGH_BIT, DWMWA_EXTENDED_FRAME_BOUNDS, None, 0)
    finally:
        user32.stand_in_set(HWND_HIGH_BIT, 0, 0)


def test_a_misspelled_export_fails_when_the_library_is_loaded(user32, monkeypatch):
    monkeypatch.setattr(window_win, "USER32_PROTOTYPES",
                        window_win.USER32_PROTOTYPES + (window_win.Prototype("GetForegroundWindowW", None),))
    with pytest.raises(AttributeError):
        WindowsWindows(user32, user32)


class FakeQuartz:
    """MOCK: no macOS here. Answers like pyobjc's Quartz: CGWindowListCopyWindowInfo honours the options.

    The on-screen list (front to back) holds only windows with kCGWindowIsOnscreen; the
    including-window option gives the one window asked for, on screen or not.
    """

    kCGWindowListOptionOnScreenOnly = 1 << 0  # CGWindowListOption, CGWindow.h
    kCGWindowListOptionIncludingWindow = 1 << 3
    kCGWindowListExcludeDesktopElements = 1 << 4
    kCGNullWindowID = 0

    def __init__(self, windows):
        self.windows = windows

    def CGWindowListCopyWindowInfo(self, options, relative_to):
        if options == self.kCGWindowListOptionOnScreenOnly | self.kCGWindowListExcludeDesktopElements:
            assert relative_to == self.kCGNullWindowID
            return [w for w in self.windows if w.get("kCGWindowIsOnscreen")]
        assert options == self.kCGWindowListOptionIncludingWindow
        return [w for w in self.windows if w["kCGWindowNumber"] == relative_to]


class FakeApp:
    """MOCK: an NSRunningApplication (processIdentifier, activationPolicy)."""

    def __init__(self, pid, policy=0):
        self.pid, self.policy = pid, policy

    def processIdentifier(self):
        return self.pid

    def activationPolicy(self):
        return self.policy


class FakeWorkspace:
    """MOCK: NSWorkspace.sharedWorkspace(): the frontmost application and the running ones."""

    def __init__(self, front_pid, apps):
        self.front_pid, self.apps = front_pid, apps

    def frontmostApplication(self):
        return next((a for a in self.apps if a.pid == self.front_pid), None)

    def runningApplications(self):
        return self.apps


def _window(number, pid, name, layer=0, is_onscreen=True, alpha=1.0, bounds=(20, 40, 1200, 800)):
    x, y, width, height = bounds
    return {"kCGWindowNumber": number, "kCGWindowLayer": layer, "kCGWindowOwnerPID": pid,
            "kCGWindowOwnerName": name, "kCGWindowAlpha": alpha, "kCGWindowIsOnscreen": is_onscreen,
            "kCGWindowBounds": {"X": x, "Y": y, "Width": width, "Height": height}}


MENU_BAR = _window(1, 50, "Menubar", layer=24)
AGENT_OVERLAY = _window(2, 55, "Helper agent", alpha=0.0)  # invisible layer-0 window of a background agent
AGENT_PANEL = _window(3, 56, "Menu-bar tool", bounds=(0, 0, 300, 200))  # visible, but not a regular app
OUR_WINDOW = _window(4, 60, "VisionPangu", bounds=(0, 0, 500, 400))
SAFARI = _window(5, 70, "Safari")
MINIMISED_MAIL = _window(6, 80, "Mail", is_onscreen=False)
APPS = [FakeApp(50, 2), FakeApp(55, 2), FakeApp(56, 1), FakeApp(60), FakeApp(70), FakeApp(80)]


def _mac(front_pid):
    windows = [MENU_BAR, AGENT_OVERLAY, AGENT_PANEL, OUR_WINDOW, SAFARI, MINIMISED_MAIL]
    return MacWindows(FakeQuartz(windows), FakeWorkspace(front_pid, APPS))


def test_macos_active_window_belongs_to_the_frontmost_app_not_an_invisible_agent_window():
    assert _mac(front_pid=70).active_window() == 5  # the agents' windows and ours come first in the list
    assert _mac(front_pid=60).active_window() == 4


def test_macos_window_behind_ours_is_a_regular_apps_visible_window():
    assert _mac(front_pid=60).front_window_not_owned_by(60) == 5


def test_macos_window_info_reads_the_window_itself():
    info = _mac(front_pid=70).window_info(5)
    assert (info.title, info.left, info.top, info.width, info.height, info.pid) == ("Safari", 20, 40, 1200, 800, 70)
    assert not info.is_minimized


def test_macos_a_minimised_window_or_one_on_another_space_is_not_reported_as_closed():
    info = _mac(front_pid=70).window_info(6)
    assert info is not None and info.is_minimized  # the tracker says "minimised. Restore it"
    assert _mac(front_pid=70).window_info(99) is None  # really closed
