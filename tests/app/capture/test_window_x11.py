"""The X11 window backend against a real X server (Xvfb), with real client windows (xmessage).

Without a window manager the focused top-level window is the active one; with Openbox
(a real EWMH window manager, when installed) `_NET_ACTIVE_WINDOW` and the frame extents
are used. A window that closes between two calls must not take the app down with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from app.capture.screen import capture_region
from app.capture.window_x11 import X11Windows
from tests.app.conftest import start_xvfb
from tests.system_programs import require

pytestmark = pytest.mark.programs("xdotool", "xmessage", install="apt-get install xdotool x11-utils")
WAIT_S = 30


def _xdotool(display: str, *args: str) -> str:
    done = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display}, capture_output=True,
                          text=True, timeout=WAIT_S)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _open_xmessage(display: str, text: str, geometry: str) -> tuple[subprocess.Popen, int]:
    """Start xmessage and wait until its window is mapped and viewable.

    Polls instead of `xdotool search --sync --onlyvisible`, which once hung on a loaded CI
    machine: a failure now says whether xmessage died, never made its window, or the window
    manager never showed it.
    """
    process = subprocess.Popen(["xmessage", "-geometry", geometry, "-name", text, text],
                               env={**os.environ, "DISPLAY": display}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    env = {**os.environ, "DISPLAY": display}
    deadline = time.monotonic() + WAIT_S
    found: list[str] = []
    try:
        while True:
            if process.poll() is not None:
                raise AssertionError(f"xmessage exited with {process.returncode} before showing its window")
            found = subprocess.run(["xdotool", "search", "--classname", f"^{text}$"], env=env,
                                   capture_output=True, text=True, timeout=WAIT_S).stdout.split()
            for window in found:  # more than one window may carry the name; take the one shown
                state = subprocess.run(["xwininfo", "-id", window], env=env, capture_output=True, text=True,
                                       timeout=WAIT_S).stdout
                if "IsViewable" in state:
                    return process, int(window)
            assert time.monotonic() < deadline, f"no viewable xmessage window after {WAIT_S} s (found {found})"
            time.sleep(0.05)
    except BaseException:
        _close(process)  # never leave it running for a later test to trip over
        raise


def _close(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(WAIT_S)


def test_the_focused_window_is_found_with_its_geometry_and_title(xvfb, monkeypatch):
    monkeypatch.setenv("DISPLAY", xvfb)
    process, window = _open_xmessage(xvfb, "first-window", "320x120+40+60")
    try:
        _xdotool(xvfb, "windowfocus", "--sync", str(window))
        backend = X11Windows(xvfb)
        assert backend.active_window() == window
        info = backend.window_info(window)
        # xmessage has a 1-pixel X border around its 320x120 content, placed at 40,60
        assert (info.left, info.top, info.width, info.height) == (40, 60, 322, 122)
        assert info.title == "first-window" and not info.is_minimized
        pixels = capture_region(info.left, info.top, info.width, info.height)
        assert pixels.shape == (122, 322, 3)
        assert pixels.std() > 1  # xmessage's text and button: a real picture, not a blank
        backend.close()
    finally:
        _close(process)


def test_a_window_that_closed_is_reported_as_gone_without_crashing(xvfb):
    process, window = _open_xmessage(xvfb, "short-lived", "200x80+10+10")
    backend = X11Windows(xvfb)
    _close(process)
    deadline = time.monotonic() + WAIT_S
    while backend.window_info(window) is not None and time.monotonic() < deadline:
        time.sleep(0.05)  # the server destroys the window once the client is gone
    assert backend.window_info(window) is None  # BadWindow was caught, the process lives on
    assert backend.active_window() != window
    backend.close()


def test_ewmh_active_window_and_frame_extents_with_a_real_window_manager(tmp_path):
    require("openbox", install="apt-get install openbox")  # a real window manager's _NET_ACTIVE_WINDOW
    server, display = start_xvfb()
    env = {**os.environ, "DISPLAY": display}
    # The window first, then the window manager, which adopts (frames) windows already shown: the test
    # never depends on the window manager answering a map request, the step that once hung in CI.
    process = openbox = None
    try:
        process, window = _open_xmessage(display, "managed-window", "300x100+100+100")
        openbox = subprocess.Popen(["openbox", "--sm-disable"], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        backend = X11Windows(display)
        deadline = time.monotonic() + WAIT_S
        while backend._property(backend._root, "_NET_SUPPORTING_WM_CHECK") is None:
            assert openbox.poll() is None, f"openbox exited with {openbox.returncode}"
            assert time.monotonic() < deadline, "openbox did not start"
            time.sleep(0.05)
        while backend.active_window() != window:
            assert openbox.poll() is None, f"openbox exited with {openbox.returncode}"
            assert time.monotonic() < deadline, "openbox did not make the window active"
            subprocess.run(["xdotool", "windowactivate", str(window)], env=env, capture_output=True,
                           timeout=WAIT_S)
            time.sleep(0.1)
        assert backend.active_window() == window
        info = backend.window_info(window)
        content_width = int(_xdotool(display, "getwindowgeometry", str(window)).split("Geometry: ")[1].split("x")[0])
        assert info.width > content_width  # the frame (title bar, borders) the user sees is included
        assert info.title == "managed-window"
        backend.close()
    finally:
        if process is not None:
            _close(process)
        if openbox is not None:
            openbox.terminate()
            openbox.wait(WAIT_S)
        server.terminate()
        server.wait(WAIT_S)


# In a child process: a regression is a crash or an exit of that process, not of the test run.
USE_AFTER = """
import sys
from app.capture.window_x11 import X11Windows
backend = X11Windows(sys.argv[1])
if sys.argv[2] == "close":
    backend.close()
else:
    input()  # the test ends the X server, then answers
print(backend.active_window(), backend.window_info(1), backend.close(), flush=True)
"""


def _use_after(display: str, how: str, before_answer=None) -> subprocess.CompletedProcess:
    child = subprocess.Popen([sys.executable, "-c", USE_AFTER, display, how], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONFAULTHANDLER": "1"})
    if before_answer is not None:
        time.sleep(0.5)  # connected
        before_answer()
    out, err = child.communicate("\n", timeout=WAIT_S)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def test_after_close_every_query_answers_none_instead_of_calling_xlib_with_no_display(xvfb):
    done = _use_after(xvfb, "close")
    assert (done.returncode, done.stdout.strip()) == (0, "None None None"), done.stderr


def test_when_the_x_server_has_gone_queries_answer_none_and_closing_does_not_exit(tmp_path):
    process, display = start_xvfb()
    done = _use_after(display, "server-gone", lambda: (process.kill(), process.wait()))
    assert (done.returncode, done.stdout.strip()) == (0, "None None None"), done.stderr
