"""Fixtures: a private Xvfb per test (and Openbox where a test needs a desktop), and managers.

Why in-process: the X11 backend opens its own connection to the display it is given, apart
from Qt's, exactly as in the app. So the manager runs in the pytest process under pytest-qt's
QApplication (offscreen platform: it needs no window), qtbot.waitSignal sees its signals, and
the slot can check it runs on the GUI thread; the keys are pressed with xdotool on the
test's own Xvfb, which is also what every other process of the test is pointed at.
"""

from __future__ import annotations

import os
import sys
import threading

import pytest

from app.hotkeys.manager import HotkeyManager
from tests.system_programs import require

# Before pytest-qt makes the QApplication: the tests show no window, and must not need a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 tests run on Linux (Xvfb)")


def require_programs(*names: str, package: str) -> None:
    require(*names, install=f"apt-get install {package}")


@pytest.fixture
def xserver(tmp_path):
    from tests.app.hotkeys.xserver import XServer

    require_programs("Xvfb", "xdotool", "xmessage", package="xvfb xdotool x11-utils")
    server = XServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def desktop(xserver):
    """Xvfb with a window manager (Openbox), so windows are activated as on a real desktop."""
    require_programs("openbox", package="openbox")
    xserver.start_window_manager()
    return xserver


class Recorder:
    """Every activation, with the thread it arrived on."""

    def __init__(self, manager: HotkeyManager):
        self.calls: list[tuple[str, int]] = []
        manager.activated.connect(self._on_activated)

    def _on_activated(self, action_id: str) -> None:
        self.calls.append((action_id, threading.get_ident()))

    @property
    def ids(self) -> list[str]:
        return [action_id for action_id, _ in self.calls]


@pytest.fixture
def make_x11_manager(qapp):
    """make(xserver, **backend_options) -> (manager, backend, recorder); all shut down afterwards."""
    from app.hotkeys.x11 import X11Backend

    made: list[HotkeyManager] = []

    def make(server, debounce_s: float = 0.0, **backend_options):
        backend = X11Backend(server.display, **backend_options)
        manager = HotkeyManager(backend, debounce_s=debounce_s)
        made.append(manager)
        return manager, backend, Recorder(manager)

    yield make
    for manager in made:
        manager.shutdown()


@pytest.fixture
def session_bus(tmp_path, monkeypatch):
    """A private D-Bus session bus (dbus-daemon), set as this process's session bus."""
    from tests.app.hotkeys.dbus_helpers import PrivateBus

    require_programs("dbus-daemon", package="dbus-daemon")
    bus = PrivateBus(tmp_path).start()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    yield bus
    bus.stop()


@pytest.fixture
def wayland_session(monkeypatch):
    """The environment of a Wayland desktop session (XWayland's DISPLAY too, as on GNOME and KDE)."""
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("VISIONPANGU_HOTKEYS", raising=False)
