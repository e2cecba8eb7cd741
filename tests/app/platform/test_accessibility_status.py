"""The desktop turning assistive technologies on, heard on a real (private) session bus, wakes kept announcements.

A private dbus-daemon stands for the session bus; the test owns org.a11y.Bus and sends
PropertiesChanged as at-spi-bus-launcher does (at-spi2-core's bus/at-spi-bus-launcher.c).
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QLabel

from app.platform import accessibility_status
from app.platform.accessibility_status import A11Y_BUS, A11Y_PATH, A11Y_STATUS, watch_accessibility_status
from app.ui import announcer as announcer_module
from app.ui.announcer import Announcer

SETTLE_MS = 5_000


@pytest.fixture
def session_bus(qapp):
    """(address, the connection that owns org.a11y.Bus); the socket in a short folder (sun_path is 108 bytes)."""
    from PySide6.QtDBus import QDBusConnection

    from tests.app.hotkeys.dbus_helpers import PrivateBus
    from tests.system_programs import require

    require("dbus-daemon")
    folder = Path(tempfile.mkdtemp(prefix="a11y-"))
    bus = PrivateBus(folder).start()
    owner = QDBusConnection.connectToBus(bus.address, f"a11y-owner-{folder.name}")
    assert owner.registerService(A11Y_BUS)
    try:
        yield bus.address, owner
    finally:
        QDBusConnection.disconnectFromBus(f"a11y-owner-{folder.name}")
        bus.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _watch(address: str):
    from PySide6.QtDBus import QDBusConnection

    return watch_accessibility_status(connection=QDBusConnection.connectToBus(address, f"watch-{uuid.uuid4().hex}"))


def _properties_changed(owner, interface: str, name: str, value: bool) -> None:
    from PySide6.QtDBus import QDBusMessage

    message = QDBusMessage.createSignal(A11Y_PATH, "org.freedesktop.DBus.Properties", "PropertiesChanged")
    message.setArguments([interface, {name: value}, []])
    assert owner.send(message)


def test_the_watch_hears_the_status_change_and_nothing_else(qtbot, session_bus):
    address, owner = session_bus
    watch = _watch(address)
    assert watch is not None
    heard = []
    watch.changed.connect(lambda: heard.append(True))
    _properties_changed(owner, "org.example.Other", "IsEnabled", True)
    _properties_changed(owner, A11Y_STATUS, "ScreenReaderEnabled", True)
    qtbot.waitUntil(lambda: bool(heard), timeout=SETTLE_MS)
    qtbot.wait(100)
    assert heard == [True]


def test_nothing_is_watched_off_linux_or_without_a_session_bus(qapp, monkeypatch):
    from PySide6.QtDBus import QDBusConnection

    assert watch_accessibility_status(connection=QDBusConnection.connectToBus("unix:path=/nonexistent/bus",
                                                                              "no-bus")) is None
    monkeypatch.setattr(accessibility_status.sys, "platform", "win32")
    assert watch_accessibility_status() is None


def test_after_the_looking_has_stopped_the_desktop_turning_accessibility_on_brings_the_kept_text(
        qtbot, session_bus, monkeypatch):
    address, owner = session_bus
    monkeypatch.setattr(announcer_module, "PENDING_LOOK_FOR_MS", 1)  # the looking stops after its first look
    assert not QAccessible.isActive()  # offscreen: no assistive technology
    announcer = Announcer(QLabel("source"), nvda=None, status_watch=_watch(address))
    delivered = []
    announcer.delivered.connect(lambda text, channel: delivered.append((text, channel)))
    announcer.announce("No model found.")
    qtbot.waitUntil(lambda: not announcer.is_looking(), timeout=SETTLE_MS)
    try:
        QAccessible.setActive(True)  # what Qt's bridge does on the same signal
        qtbot.wait(300)
        assert not delivered  # nothing woke the announcer yet
        _properties_changed(owner, A11Y_STATUS, "IsEnabled", True)
        qtbot.waitUntil(lambda: delivered == [("No model found.", "announcement")], timeout=SETTLE_MS)
    finally:
        QAccessible.setActive(False)
        announcer.shutdown()
