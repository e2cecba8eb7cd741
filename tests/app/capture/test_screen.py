"""Screen geometry (which monitor, clipping) and a plain message when there is no screen to capture.

The real capture of a real screen is tested under Xvfb in tests/app/e2e and test_window_x11.
"""

from __future__ import annotations

import pytest

from app.capture.errors import CaptureError
from app.capture.screen import capture_region, capture_screen, clip_to, monitor_at

# mss's own layout: index 0 is the whole desktop, then one entry per monitor.
TWO_MONITORS = [
    {"left": 0, "top": 0, "width": 3840, "height": 1080},
    {"left": 0, "top": 0, "width": 1920, "height": 1080, "is_primary": True},
    {"left": 1920, "top": 0, "width": 1920, "height": 1080},
]


def test_the_monitor_under_the_pointer_is_chosen():
    assert monitor_at(TWO_MONITORS, 2000, 500) is TWO_MONITORS[2]
    assert monitor_at(TWO_MONITORS, 10, 10) is TWO_MONITORS[1]


def test_a_pointer_outside_every_monitor_falls_back_to_the_primary():
    assert monitor_at(TWO_MONITORS, -50, 5000) is TWO_MONITORS[1]


def test_windows_partly_off_screen_are_clipped_and_fully_off_screen_ones_refused():
    desktop = TWO_MONITORS[0]
    assert clip_to({"left": -100, "top": 1000, "width": 300, "height": 300}, desktop) == \
        {"left": 0, "top": 1000, "width": 200, "height": 80}
    assert clip_to({"left": 5000, "top": 0, "width": 10, "height": 10}, desktop) is None


def test_without_a_display_the_user_gets_a_plain_message():
    # conftest removes DISPLAY: mss cannot connect, as on a machine with no X server
    with pytest.raises(CaptureError, match="could not be captured") as refused:
        capture_screen("pointer", (0, 0))
    assert "Error" not in str(refused.value) and "$DISPLAY" not in str(refused.value)  # not mss's own words
    with pytest.raises(CaptureError):
        capture_region(0, 0, 10, 10)


def test_wayland_without_a_portal_is_named(monkeypatch):
    """The portal itself answers in tests/app/capture/test_portal_screenshot.py; here there is no session bus."""
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent")  # jeepney's fallback address
    monkeypatch.setattr("sys.platform", "linux")
    with pytest.raises(CaptureError, match="Wayland session: the desktop offers no screenshot portal"):
        capture_screen("all", None)


MSS_CLASS_SINCE = (10, 2)  # mss 10.2.0 exports mss.MSS and deprecates the mss.mss() factory


def test_the_mss_version_the_project_allows_has_the_class_the_capture_uses():
    import re
    from pathlib import Path

    import mss

    pyproject = (Path(__file__).resolve().parents[3] / "pyproject.toml").read_text(encoding="utf-8")
    floor = re.search(r'"mss>=([\d.]+)"', pyproject).group(1)
    assert tuple(int(part) for part in floor.split("."))[:2] >= MSS_CLASS_SINCE
    assert isinstance(mss.MSS, type) and tuple(int(p) for p in mss.__version__.split(".")[:2]) >= MSS_CLASS_SINCE
