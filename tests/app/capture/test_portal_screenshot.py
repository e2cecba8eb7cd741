"""The screen under Wayland, through the Screenshot portal, over a real private D-Bus.

The other end is tests/app/capture/screenshot_portal.py, which stands in for xdg-desktop-portal
and the desktop behind it (neither can run here). The app's side is the real one: its D-Bus
client, the safe image reading and the capture job the Describe screen command runs.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PIL import Image

from app.capture.errors import CaptureError
from app.capture.portal_screenshot import capture_screen_with_portal
from app.capture.screen import capture_region, capture_screen_region, screen_job
from tests.app.hotkeys.conftest import linux_only, session_bus, wayland_session  # noqa: F401 (fixtures)
from tests.app.hotkeys.dbus_helpers import read_line

pytestmark = linux_only


@pytest.fixture
def picture(tmp_path) -> tuple[np.ndarray, object]:
    """What the desktop's screen shows: a picture with detail, as the portal would save it."""
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (90, 160, 3), dtype=np.uint8)
    path = tmp_path / "screen.png"
    Image.fromarray(rgb).save(path)
    return rgb, path


def _portal(session_bus, tmp_path, picture, mode: str):  # noqa: F811 (the fixture)
    folder = tmp_path / "Pictures"
    folder.mkdir()
    stand_in = session_bus.start_stand_in("tests.app.capture.screenshot_portal", mode, str(picture[1]), str(folder))
    return stand_in, folder


def test_the_screen_comes_from_the_portal_and_its_file_is_removed(session_bus, tmp_path, picture):  # noqa: F811
    stand_in, folder = _portal(session_bus, tmp_path, picture, "accept")
    rgb = capture_screen_with_portal(threading.Event())
    assert read_line(stand_in.stdout) == "screenshot interactive=False", "the whole screen, with no dialog"
    assert np.array_equal(rgb, picture[0])
    assert list(folder.iterdir()) == [], "no file of the user's screen is left among their pictures"


def test_a_response_from_another_program_is_not_taken(session_bus, tmp_path, picture):  # noqa: F811
    _portal(session_bus, tmp_path, picture, "impostor-first")
    rgb = capture_screen_with_portal(threading.Event())
    assert np.array_equal(rgb, picture[0]), "the portal's own picture, not the impostor's red one"


@pytest.mark.parametrize("mode, words", [("refuse", "did not allow the screenshot"),
                                         ("fail", "could not take the screenshot")])
def test_a_refusal_or_failure_is_said_in_plain_words(session_bus, tmp_path, picture, mode, words):  # noqa: F811
    _portal(session_bus, tmp_path, picture, mode)
    with pytest.raises(CaptureError, match=words):
        capture_screen_with_portal(threading.Event())


def test_a_portal_that_never_answers_is_given_up_and_stop_ends_the_wait_at_once(session_bus, tmp_path,  # noqa: F811
                                                                                  picture):
    _portal(session_bus, tmp_path, picture, "silent")
    with pytest.raises(CaptureError, match="did not answer the screenshot request within 1 seconds"):
        capture_screen_with_portal(threading.Event(), answer_wait_s=1.0)
    abort = threading.Event()
    threading.Timer(0.3, abort.set).start()
    started = time.monotonic()
    with pytest.raises(CaptureError, match="stopped"):
        capture_screen_with_portal(abort)  # the full wait would be a minute
    assert time.monotonic() - started < 2.0


def test_an_answer_naming_a_named_pipe_is_refused_without_hanging(session_bus, tmp_path, picture):  # noqa: F811
    _, folder = _portal(session_bus, tmp_path, picture, "fifo")
    started = time.monotonic()
    with pytest.raises(CaptureError, match="could not take the screenshot"):
        capture_screen_with_portal(threading.Event())
    assert time.monotonic() - started < 5.0
    assert list(folder.iterdir()) == [], "the pipe the answer named, made for this request, is removed too"


def test_without_a_portal_the_user_gets_the_other_ways(session_bus):  # noqa: F811
    with pytest.raises(CaptureError, match="no screenshot portal") as refused:
        capture_screen_with_portal(threading.Event())
    assert "Describe clipboard image" in str(refused.value)


def test_without_a_session_bus_the_user_gets_the_other_ways(monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent")  # jeepney's fallback address
    with pytest.raises(CaptureError, match="no screenshot portal"):
        capture_screen_with_portal(threading.Event())


def test_describe_screen_under_wayland_asks_the_portal_whatever_the_monitor_setting(  # noqa: F811
        wayland_session, session_bus, tmp_path, picture):
    """As the Describe screen command's capture job runs it, with XWayland's DISPLAY set too: mss
    would see only XWayland's windows there, so the portal is asked."""
    _portal(session_bus, tmp_path, picture, "accept")
    regions: dict = {}
    rgb = screen_job("pointer", (10, 10), regions, 1)(threading.Event())
    assert np.array_equal(rgb, picture[0])
    assert regions[1] == {"left": 0, "top": 0, "width": 160, "height": 90}
    rgb, region = capture_screen_region("all", None)
    assert np.array_equal(rgb, picture[0]) and region["width"] == 160


def test_a_single_window_under_wayland_is_refused_in_plain_words(wayland_session):
    with pytest.raises(CaptureError, match="single window cannot be captured in this Wayland session"):
        capture_region(0, 0, 10, 10)
