"""Linux: a signal when the desktop turns assistive technologies on or off (org.a11y.Status).

at-spi-bus-launcher owns org.a11y.Bus on the session bus; its /org/a11y/bus object has the
org.a11y.Status properties IsEnabled and ScreenReaderEnabled (at-spi2-core's
bus/at-spi-bus-launcher.c), and it sends org.freedesktop.DBus.Properties.PropertiesChanged
when either changes. Qt's AT-SPI bridge starts from the same signal (qtbase,
src/gui/accessible/linux/dbusconnection.cpp, QAtSpiDBusConnection::checkEnabledState).
PySide6 does not bind QAccessible::installActivationObserver, so the app listens to that
signal itself, to know when text kept for a screen reader may now be heard.
`watch_accessibility_status` gives None off Linux and without a session bus: nothing to watch.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import SLOT, QObject, Signal, Slot

A11Y_BUS, A11Y_PATH, A11Y_STATUS = "org.a11y.Bus", "/org/a11y/bus", "org.a11y.Status"
PROPERTIES_INTERFACE = "org.freedesktop.DBus.Properties"
SESSION_BUS_ENV = "DBUS_SESSION_BUS_ADDRESS"


def watch_accessibility_status(parent: QObject | None = None, connection=None) -> "AccessibilityStatusWatch | None":
    """A watch on the session bus (or `connection`, a QDBusConnection); None where there is nothing to watch."""
    if not sys.platform.startswith("linux"):
        return None
    if connection is None and not os.environ.get(SESSION_BUS_ENV):
        return None  # no session bus named: QDBusConnection.sessionBus() would have libdbus autolaunch one
    from PySide6.QtDBus import QDBusConnection

    bus = connection if connection is not None else QDBusConnection.sessionBus()
    if not bus.isConnected():
        return None
    watch = AccessibilityStatusWatch(parent)
    if not bus.connect(A11Y_BUS, A11Y_PATH, PROPERTIES_INTERFACE, "PropertiesChanged", watch,
                       SLOT("on_properties_changed(QDBusMessage)")):
        watch.deleteLater()
        return None
    return watch


class AccessibilityStatusWatch(QObject):
    changed = Signal()  # IsEnabled or ScreenReaderEnabled changed: Qt's bridge is starting or stopping

    @Slot("QDBusMessage")
    def on_properties_changed(self, message) -> None:
        arguments = message.arguments()
        if arguments and arguments[0] == A11Y_STATUS:
            self.changed.emit()
