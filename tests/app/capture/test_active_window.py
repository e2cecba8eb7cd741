"""The tracker remembers the user's window, never ours, and explains plainly when there is none.

The backend here is a scripted stand-in for a platform window list (the real X11 backend
is tested against a real X server in test_window_x11.py; Windows and macOS cannot run here).
"""

from __future__ import annotations

import os

import pytest

from app.capture.active_window import ActiveWindowTracker
from app.capture.errors import CaptureError
from app.capture.window_info import WindowInfo

OURS, EDITOR, BROWSER = 1, 2, 3


class ScriptedWindows:
    """Stand-in for a platform backend: windows and the active one are set by the test."""

    def __init__(self):
        self.windows = {OURS: WindowInfo(OURS, "VisionPangu Assistant", 0, 0, 800, 600, os.getpid()),
                        EDITOR: WindowInfo(EDITOR, "notes.txt - Editor", 10, 20, 640, 480, 4242),
                        BROWSER: WindowInfo(BROWSER, "News - Browser", 0, 0, 1024, 768, 4343)}
        self.active = EDITOR
        self.closed = False

    def active_window(self):
        return self.active

    def window_info(self, handle):
        return self.windows.get(handle)

    def close(self):
        self.closed = True


def _tracker(backend, is_active=lambda: False):
    return ActiveWindowTracker(own_handles=lambda: set(), is_app_active=is_active, backend=backend)


def test_the_window_before_ours_is_remembered_and_used_while_ours_is_active(qapp):
    backend = ScriptedWindows()
    app_active = [False]
    tracker = _tracker(backend, lambda: app_active[0])
    tracker.poll()
    backend.active, app_active[0] = OURS, True  # the user switched to our window
    tracker.poll()
    assert tracker.remembered == EDITOR
    target = tracker.target()
    assert (target.title, target.left, target.top, target.width) == ("notes.txt - Editor", 10, 20, 640)


def test_a_shortcut_from_another_app_takes_the_window_active_now(qapp):
    backend = ScriptedWindows()
    tracker = _tracker(backend)
    tracker.poll()
    backend.active = BROWSER  # our app is not active: a desktop shortcut forwarded the command
    assert tracker.target().title == "News - Browser"


def test_our_own_windows_are_recognised_by_handle_as_well_as_by_process(qapp):
    backend = ScriptedWindows()
    backend.windows[OURS] = WindowInfo(OURS, "dialog", 0, 0, 10, 10, pid=None)
    tracker = ActiveWindowTracker(own_handles=lambda: {OURS}, is_app_active=lambda: False, backend=backend)
    backend.active = OURS
    tracker.poll()
    assert tracker.remembered is None


def test_plain_messages_for_no_window_a_closed_one_and_a_minimised_one(qapp):
    backend = ScriptedWindows()
    backend.active = OURS
    tracker = _tracker(backend)
    with pytest.raises(CaptureError, match="No other window"):
        tracker.target()
    backend.active = EDITOR
    tracker.poll()
    backend.active = OURS
    del backend.windows[EDITOR]
    with pytest.raises(CaptureError, match="closed"):
        tracker.target()
    backend.windows[EDITOR] = WindowInfo(EDITOR, "notes.txt", 0, 0, 10, 10, 1, is_minimized=True)
    with pytest.raises(CaptureError, match="minimised"):
        tracker.target()


def test_without_any_display_the_reason_is_given_and_polling_stops(qapp):
    # conftest removed DISPLAY: as on a Wayland-only desktop
    tracker = ActiveWindowTracker(own_handles=lambda: set(), is_app_active=lambda: False)
    tracker.start()
    assert not tracker._timer.isActive()
    with pytest.raises(CaptureError, match="does not tell apps which window is active"):
        tracker.target()
