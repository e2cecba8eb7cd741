"""A Linux desktop session's end (logout, shutdown), heard through xdg-desktop-portal's session monitor.

Qt reports a session's end as QGuiApplication.commitDataRequest: on Windows (WM_QUERYENDSESSION)
and macOS it does, but on Linux it would come through XSMP, and PySide6's xcb plugin is built
without it (libQt6XcbQpa.so is not linked against libSM), so there it never comes. Desktops
say it through the portal instead (flatpak.github.io/xdg-desktop-portal,
org.freedesktop.portal.Inhibit version 3): CreateMonitor opens a monitoring session, and its
StateChanged(o session, a{sv} state) signal carries "session-state" 1 running, 2 query-end
(the client must answer QueryEndResponse within a second), 3 ending. On query-end the app
writes everything to disk and answers; on ending it quits in its fixed order (exit code 0).
Running after query-end is a logout the user cancelled: nothing to do.

The client is QtDBus on the GUI thread, so the monitor's signals arrive from the event loop
like any other command. PySide6 cannot read an a{sv} out of a QDBusArgument (its beginMap()
is the writing one: "QDBusArgument: write from a read-only object"), so every slot names its
D-Bus types and QtDBus turns an a{sv} into a QVariantMap, which PySide6 gives as a dict.
The monitor has a connection of its own to the bus DBUS_SESSION_BUS_ADDRESS names, closed on
quit. Without one (unset: libdbus would autolaunch a bus of its own) or without a portal,
nothing happens: the display's end is then the session's end (app/launch/display_lost.py).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Callable

from PySide6.QtCore import SLOT, QObject, Slot
from PySide6.QtDBus import QDBus, QDBusConnection, QDBusError, QDBusMessage, QDBusObjectPath

from app.platform.portal_requests import (PORTAL_NAME, PORTAL_PATH, REQUEST_IFACE, RESPONSE_SUCCESS, SESSION_IFACE,
                                          new_token, request_path)

log = logging.getLogger(__name__)

INHIBIT_IFACE = "org.freedesktop.portal.Inhibit"
RUNNING, QUERY_END, ENDING = 1, 2, 3  # "session-state" values
# The first call may start xdg-desktop-portal (D-Bus activation); the answer comes through a
# callback, so the wait never holds up the window.
CALL_TIMEOUT_MS = 25000
CLOSE_TIMEOUT_MS = 1000  # on quit; at a session's end the portal may be gone or busy
# (service, path, interface, signal, slot): Response on any path, before the call, as the Response
# may come at once (and a portal older than 0.9 would choose its own path: _on_created takes it).
SUBSCRIPTIONS = (("", "", REQUEST_IFACE, "Response", SLOT("_on_response(uint,QVariantMap,QDBusMessage)")),
                 (PORTAL_NAME, PORTAL_PATH, INHIBIT_IFACE, "StateChanged",
                  SLOT("_on_state(QDBusObjectPath,QVariantMap)")))


class SessionEndMonitor(QObject):
    def __init__(self, flush: Callable[[], None], quit: Callable[[], None], parent: QObject | None = None):
        super().__init__(parent)
        self._flush, self._quit = flush, quit
        self._bus: QDBusConnection | None = None
        self._connection_name = f"visionpangu-session-end-{id(self)}"
        self._request = ""  # the Request path CreateMonitor answers on
        self.session = ""  # the monitoring session's object path, once the portal has made it

    def start(self) -> bool:
        """Ask for the monitor; False where there is no session bus to ask on (not Linux, no bus)."""
        address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
        if not sys.platform.startswith("linux") or not address:
            return False
        bus = QDBusConnection.connectToBus(address, self._connection_name)
        if not bus.isConnected():
            log.info("no D-Bus session bus for the session monitor: %s", bus.lastError().message())
            QDBusConnection.disconnectFromBus(self._connection_name)
            return False
        self._bus = bus
        token = new_token()
        self._request = request_path(bus.baseService(), token)
        for service, path, interface, name, slot in SUBSCRIPTIONS:
            bus.connect(service, path, interface, name, self, slot)
        call = QDBusMessage.createMethodCall(PORTAL_NAME, PORTAL_PATH, INHIBIT_IFACE, "CreateMonitor")
        call.setArguments(["", {"handle_token": token, "session_handle_token": new_token("_monitor")}])
        bus.callWithCallback(call, self, SLOT("_on_created(QDBusMessage)"),
                             SLOT("_on_call_failed(QDBusError,QDBusMessage)"), CALL_TIMEOUT_MS)
        return True

    @Slot(QDBusMessage)
    def _on_created(self, reply: QDBusMessage) -> None:
        returned = reply.arguments()[:1]
        if returned and isinstance(returned[0], QDBusObjectPath):
            self._request = returned[0].path()

    @Slot(QDBusError, QDBusMessage)
    def _on_call_failed(self, error: QDBusError, _reply: QDBusMessage) -> None:
        # No portal, or one without Inhibit version 2: the display's end is then the session's end.
        log.info("no session monitor from the portal: %s: %s", error.name(), error.message())

    @Slot("uint", "QVariantMap", QDBusMessage)
    def _on_response(self, code: int, results: dict, message: QDBusMessage) -> None:
        if message.path() != self._request:
            return  # another Request's answer (the bus delivers every Response the match covers)
        handle = results.get("session_handle")
        if code != RESPONSE_SUCCESS or not isinstance(handle, QDBusObjectPath):
            log.info("the portal refused a session monitor (answer %s)", code)
            return
        self.session = handle.path()

    @Slot(QDBusObjectPath, "QVariantMap")
    def _on_state(self, session: QDBusObjectPath, state: dict) -> None:
        if not self.session or session.path() != self.session:
            return
        value = state.get("session-state")
        if value == QUERY_END:
            self._flush()  # on disk before the answer: the session may end right after it
            self._send(INHIBIT_IFACE, PORTAL_PATH, "QueryEndResponse", [QDBusObjectPath(self.session)])
        elif value == ENDING:
            self._quit()

    def _send(self, interface: str, path: str, method: str, arguments: list, timeout_ms: int = 0) -> None:
        """A call whose answer nobody waits for (or, with a timeout, only that long)."""
        call = QDBusMessage.createMethodCall(PORTAL_NAME, path, interface, method)
        call.setArguments(arguments)
        if timeout_ms:
            self._bus.call(call, QDBus.CallMode.Block, timeout_ms)
        else:
            self._bus.send(call)

    def close(self) -> None:
        """On quit: the monitoring session is closed, then the connection; no more of its signals come."""
        if self._bus is None:
            return
        for service, path, interface, name, slot in SUBSCRIPTIONS:
            self._bus.disconnect(service, path, interface, name, self, slot)
        if self.session:
            # Waited for: the connection closes next, and would drop a message still unsent.
            self._send(SESSION_IFACE, self.session, "Close", [], CLOSE_TIMEOUT_MS)
        QDBusConnection.disconnectFromBus(self._connection_name)
        self._bus, self.session = None, ""
