"""macOS Screen Recording: no capture (and so no description) without it, and plain words on what to do.

MOCK: no macOS here. CoreGraphics is a compiled stand-in library exporting
CGPreflightScreenCaptureAccess and CGRequestScreenCaptureAccess with their SDK prototypes
(bool f(void)), so the app's declarations and calls cross ctypes for real; the permission
is missing until the test grants it.
"""

from __future__ import annotations

import ctypes

import pytest

from app.capture import mac_access, screen
from app.capture.errors import CaptureError
from tests.app.native_stand_in import build_stand_in

CORE_GRAPHICS_STAND_IN = """
static long allowed = 0, requests = 0;
void stand_in_allow(long is_allowed) { allowed = is_allowed; }
long stand_in_requests(void) { return requests; }
_Bool CGPreflightScreenCaptureAccess(void) { return allowed != 0; }
_Bool CGRequestScreenCaptureAccess(void) { requests++; return allowed != 0; }
"""


@pytest.fixture
def core_graphics(tmp_path, monkeypatch):
    library = build_stand_in(tmp_path, "coregraphics", CORE_GRAPHICS_STAND_IN)
    library.stand_in_allow.argtypes = (ctypes.c_long,)
    library.stand_in_requests.restype = ctypes.c_long
    monkeypatch.setattr(mac_access, "load_core_graphics", lambda: library)
    monkeypatch.setattr(screen.sys, "platform", "darwin")
    mac_access.forget()
    yield library
    mac_access.forget()


def test_without_screen_recording_nothing_is_captured_and_the_user_is_told(core_graphics, qapp):
    for _ in range(2):
        with pytest.raises(CaptureError) as raised:
            screen.capture_screen("pointer", (0, 0))  # would reach mss (no display here) if the check let it
        assert "Screen Recording" in str(raised.value) and "open it again" in str(raised.value)
    with pytest.raises(CaptureError, match="Screen Recording"):
        screen.capture_region(0, 0, 10, 10)
    assert core_graphics.stand_in_requests() == 1  # macOS's dialog is asked for once, not at every capture


def test_with_screen_recording_the_capture_goes_ahead(core_graphics, qapp):
    core_graphics.stand_in_allow(1)
    with pytest.raises(CaptureError, match="could not be captured"):  # past the check: mss finds no display here
        screen.capture_screen("pointer", (0, 0))
    assert core_graphics.stand_in_requests() == 0


def test_the_declarations_are_the_sdk_prototypes():
    assert [(p.name, p.restype, p.argtypes) for p in mac_access.CG_PROTOTYPES] == [
        ("CGPreflightScreenCaptureAccess", ctypes.c_bool, ()), ("CGRequestScreenCaptureAccess", ctypes.c_bool, ())]
