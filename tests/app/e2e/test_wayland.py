"""The app on a real Wayland desktop: sway with its real screenshot portal (tests/app/e2e/wayland_desktop.py).

Describe screen goes through xdg-desktop-portal's Screenshot, which xdg-desktop-portal-wlr answers
with grim's picture of sway's screen: the picture must be what a window on that screen shows, and
no file of it may be left behind. Then the real app, as its own process on that desktop, asked
through its socket as a desktop shortcut asks it: it reads the text a window shows on the screen
(the real text reader), describes the screen, and when the compositor dies under it (a Wayland
session ending with no session manager) it ends with exit code 0, its history written.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from app.capture.portal_screenshot import capture_screen_with_portal
from engine.bench.text_screens import ui_screen
from engine.ocr.recall import word_recall
from tests.app.e2e.desktop import Desktop, make_desktop, wait_for
from tests.app.e2e.test_quitting import FAULT_MARKERS
from tests.app.e2e.wayland_desktop import SCREEN, WaylandDesktop, missing_programs
from tests.app.helpers import write_png
from tests.engine.ocr.conftest import latin_font  # noqa: F401 (the fixture: the font the screen is drawn in)
from tests.system_programs import fail_or_skip

COLOUR = (20, 200, 60)
PICTURE_WINDOW = Path(__file__).with_name("picture_window.py")
MIN_RECALL = 0.9  # of the words the window shows, as for the X11 screens (tests/app/e2e/test_read_text_forwarded.py)
READ_WAIT_S = 120  # the first read loads the text reader's models
XDPW_PICTURE = Path("/tmp/out.png")  # where xdg-desktop-portal-wlr 0.7 has grim write the screenshot
EXIT_TIMEOUT_S = 30


@pytest.fixture
def wayland(tmp_path):
    absent = missing_programs()
    if absent:
        fail_or_skip(f"needs {', '.join(absent)}")
    desktop = WaylandDesktop(tmp_path).start()
    yield desktop
    desktop.stop()


def _show(wayland: WaylandDesktop, rgb: np.ndarray, path: Path) -> np.ndarray:
    """A Wayland window filling sway's screen with `rgb` at its own size; returns the screen (the portal's
    picture) once it shows it (a blank sway screen is dark grey, and a new window takes a moment)."""
    window = wayland.spawn([sys.executable, str(PICTURE_WINDOW), str(write_png(path, rgb))], "picture-window",
                           env={**wayland.env(), "QT_QPA_PLATFORM": "wayland"})
    (shot,) = wait_for(lambda: [shot] if np.array_equal((shot := capture_screen_with_portal(threading.Event()))[
        ::97, ::89], rgb[::97, ::89]) else None, "the window on the screen", timeout=60, poll_s=0.5)
    assert window.poll() is None
    return shot


def test_the_real_portal_takes_the_screen_a_wayland_window_shows(wayland, monkeypatch, tmp_path):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", wayland.bus.address)  # this process asks sway's portal too
    colour = np.full((SCREEN[1], SCREEN[0], 3), COLOUR, dtype=np.uint8)
    rgb = _show(wayland, colour, tmp_path / "colour.png")
    assert rgb.shape == (SCREEN[1], SCREEN[0], 3)
    assert np.array_equal(rgb, colour)
    assert not XDPW_PICTURE.exists(), "the portal's file of the screen is removed once read"


def _wayland_app(wayland: WaylandDesktop, model_dir: Path, tmp_path: Path) -> Desktop:
    app_folder = tmp_path / "app"
    app_folder.mkdir()
    desktop = make_desktop("", model_dir, app_folder, "[history]\nsave=true\n[describe]\ndetail=brief\n", "null")
    # the app's own runtime folder (its instance socket), in the Wayland session
    desktop.env = {**wayland.env(desktop.env), "QT_QPA_PLATFORM": "wayland",
                   "XDG_RUNTIME_DIR": desktop.env["XDG_RUNTIME_DIR"], "PYTHONFAULTHANDLER": "1"}
    return desktop


def test_the_app_on_wayland_reads_and_describes_the_screen_and_ends_cleanly_when_the_compositor_dies(
        wayland, speaking_model_dir, tmp_path, latin_font, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", wayland.bus.address)
    desktop = _wayland_app(wayland, speaking_model_dir, tmp_path)
    try:
        app = desktop.spawn([sys.executable, "main.py"])
        wait_for(lambda: app.poll() is not None or (s := desktop.status()) and s["model"] == "ready",
                 "the app on Wayland to load its model")
        assert app.poll() is None, (tmp_path / "app" / "main.log").read_text()
        screen = ui_screen(SCREEN[0], SCREEN[1], 16, seed=31)
        _show(wayland, screen.image, tmp_path / "screen.png")  # over the app's window

        reply = desktop.forward({"command": "read", "source": "screen"})
        assert reply and reply.get("ok"), reply
        read = wait_for(lambda: (s := desktop.status()) and s["history"] == 1 and s["phase"] == "idle" and s,
                        "the screen's text to be read", timeout=READ_WAIT_S)
        assert word_recall(screen.lines, read["description"].splitlines()) >= MIN_RECALL, read["description"]

        reply = desktop.forward({"command": "describe", "source": "screen"})
        assert reply and reply.get("ok"), reply
        done = wait_for(lambda: (s := desktop.status()) and s["history"] == 2 and s["phase"] == "idle" and s,
                        "the screen to be described")
        assert done["description"].strip() and done["status"] == "Ready.", done
        assert not XDPW_PICTURE.exists()

        wayland.kill_compositor()
        code = app.wait(EXIT_TIMEOUT_S)
        log = (tmp_path / "app" / "main.log").read_text(encoding="utf-8", errors="replace")
        assert code == 0, log
        assert not [marker for marker in FAULT_MARKERS if marker in log], log
        assert "Wayland connection broke" in log, "Qt said why the app ended"
        saved = list((tmp_path / "app" / "app-data").rglob("*.json"))
        assert len(saved) == 2, "the reading and the description are in the saved history"
    finally:
        desktop.stop()
