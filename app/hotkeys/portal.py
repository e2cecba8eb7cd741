"""Wayland backend: the xdg-desktop-portal GlobalShortcuts interface over D-Bus.

Protocol (flatpak.github.io/xdg-desktop-portal, org.freedesktop.portal.GlobalShortcuts):
CreateSession and BindShortcuts return a Request object path at once; the answer comes later
as that Request's Response(u code, a{sv} results) signal, possibly after the desktop asked
the user, hence PENDING and on_outcomes. Presses arrive as Activated(o session, s id, t
timestamp, a{sv}). The desktop decides the keys and whether another program has them, so
there is no BUSY here. A changed set of shortcuts closes the session and opens a new one.

The D-Bus client is jeepney, not QtDBus: PySide6's QtDBus cannot marshal BindShortcuts'
a(sa{sv}) argument from Python ("Unregistered type PySide::PyObjectWrapper"). One thread
owns the connection, like every other backend.
"""

from __future__ import annotations

import logging
import select
import time
from collections import deque
from concurrent.futures import Future
from typing import Callable

from app.hotkeys.actions import action
from app.hotkeys.backend import Outcome, Status
from app.hotkeys.combo import KeyCombo
from app.hotkeys.instructions import portal_not_bound_message, portal_refused_message, wayland_unsupported_message
from app.hotkeys.owned_thread import QueuedBackend
from app.hotkeys.portal_keys import preferred_trigger
from app.hotkeys.repeat import MAX_REPEAT_GAP_MS
from app.hotkeys.worker import OwnerGone
from app.platform.portal_requests import (PORTAL_NAME, PORTAL_PATH, RESPONSE_SUCCESS, SESSION_IFACE, new_token,
                                          request_path)

try:
    from jeepney import DBusAddress, HeaderFields, MatchRule, MessageType, new_method_call
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection
except ImportError:  # only Wayland needs it; without it the user gets the desktop-shortcut steps
    open_dbus_connection = None

log = logging.getLogger(__name__)

SHORTCUTS_IFACE = "org.freedesktop.portal.GlobalShortcuts"
CALL_TIMEOUT_S = 5.0
# The first call may start xdg-desktop-portal (D-Bus activation); past this the user gets the
# desktop-shortcut steps rather than a wait, well before start() itself gives up.
PROBE_TIMEOUT_S = 3.0


class PortalBackend(QueuedBackend):
    name = "portal"
    thread_name = "hotkeys-portal"
    lost_errors = (OwnerGone, OSError, ConnectionError)

    def __init__(self, bus: str = "SESSION"):
        super().__init__()
        self._bus = bus
        self._conn = None
        self._incoming: deque = deque()
        self._waiting: dict[str, Callable] = {}  # Request path -> handler of its Response
        self._session: str | None = None
        self._bindings: dict[str, KeyCombo] = {}
        self._held: dict[str, float] = {}  # shortcut id -> when it was last activated, while held

    # --- the owning thread ----------------------------------------------------------------
    def _run(self, ready: Future) -> None:
        try:
            if open_dbus_connection is None:
                raise ImportError("jeepney is not installed")
            self._conn = open_dbus_connection(self._bus)
        except Exception as error:  # no jeepney, no session bus (KeyError for its address, OSError)
            log.info("no D-Bus session bus for the shortcuts portal: %s", error)
            self._cannot_start(ready, wayland_unsupported_message())
            return
        self._serve(ready, lambda: self._start_and_loop(ready), self._close_connection)

    def _start_and_loop(self, ready: Future) -> None:
        self._conn.filter(MatchRule(), queue=self._incoming)  # everything, in arrival order
        self._call(message_bus.AddMatch(MatchRule(type="signal", sender=PORTAL_NAME)))
        if not self._has_portal():
            ready.set_result(wayland_unsupported_message())
            return
        ready.set_result(None)
        self._loop()

    def _close_connection(self) -> None:
        self._close_session()
        self._conn.close()
        self._conn = None

    def _has_portal(self) -> bool:
        """True if a portal answers for GlobalShortcuts (a missing one: ServiceUnknown or UnknownInterface)."""
        properties = DBusAddress(PORTAL_PATH, bus_name=PORTAL_NAME, interface="org.freedesktop.DBus.Properties")
        try:
            reply = self._conn.send_and_get_reply(
                new_method_call(properties, "Get", "ss", (SHORTCUTS_IFACE, "version")), timeout=PROBE_TIMEOUT_S)
        except TimeoutError:
            return False
        return reply.header.message_type == MessageType.method_return

    def _loop(self) -> None:
        wake_fd = self._commands.fileno()
        while not self._stopping:
            # Also what jeepney has read but not parsed yet: a Response that came in the same
            # read as a method reply is in its buffer, and the socket will not wake select().
            self._receive_waiting()
            if self._incoming:
                self._dispatch()  # handlers may make calls that bring more messages: look again
                continue
            readable, _, _ = select.select([self._conn.sock, wake_fd], [], [])
            if wake_fd in readable:
                self._commands.run_pending()

    def _receive_waiting(self) -> None:
        while True:
            try:
                self._conn.recv_messages(timeout=0)
            except TimeoutError:
                return

    def _call(self, message):
        reply = self._conn.send_and_get_reply(message, timeout=CALL_TIMEOUT_S)
        if reply.header.message_type == MessageType.error:
            raise RuntimeError(f"{message.header.fields} failed: {reply.body}")
        return reply.body

    def _dispatch(self) -> None:
        while self._incoming:
            message = self._incoming.popleft()
            if message.header.message_type != MessageType.signal:
                continue
            fields = message.header.fields
            member, path = fields.get(HeaderFields.member), fields.get(HeaderFields.path)
            if member == "Response" and path in self._waiting:
                self._waiting.pop(path)(*message.body)
            elif member == "Activated" and message.body[0] == self._session:
                self._activated(message.body[1])
            elif member == "Deactivated" and message.body[0] == self._session:
                self._held.pop(message.body[1], None)

    def _activated(self, shortcut_id: str) -> None:
        now = time.monotonic()
        last = self._held.get(shortcut_id)
        self._held[shortcut_id] = now
        if last is not None and (now - last) * 1000 <= MAX_REPEAT_GAP_MS:
            return  # still held: some desktops repeat Activated while the keys are down
        if shortcut_id in self._bindings:
            self._on_activated(shortcut_id)

    def _request(self, method: str, signature: str, body: tuple, on_response: Callable) -> None:
        """Call a portal method that answers through a Request's Response signal."""
        token = new_token()
        path = request_path(self._conn.unique_name, token)
        self._waiting[path] = on_response  # before the call: the Response may come at once
        options = body[-1]
        options["handle_token"] = ("s", token)
        (returned,) = self._call(new_method_call(DBusAddress(PORTAL_PATH, bus_name=PORTAL_NAME, interface=SHORTCUTS_IFACE), method, signature, body))
        if returned != path:  # portals older than 0.9 chose their own path
            self._waiting[returned] = self._waiting.pop(path)

    def _register_owned(self, bindings: dict[str, KeyCombo]) -> dict[str, Outcome]:
        self._close_session()
        self._bindings = bindings
        if not bindings:
            return {}
        session_token = new_token("_session")
        self._request("CreateSession", "a{sv}", ({"session_handle_token": ("s", session_token)},),
                      lambda code, results: self._on_session(code, results, bindings))
        return {action_id: Outcome(Status.PENDING) for action_id in bindings}

    def _on_session(self, code: int, results: dict, bindings: dict[str, KeyCombo]) -> None:
        if bindings is not self._bindings:  # settings changed again while the desktop was answering
            if code == RESPONSE_SUCCESS and "session_handle" in results:
                self._close(results["session_handle"][1])
            return
        if code != RESPONSE_SUCCESS or "session_handle" not in results:
            self._refused(bindings, f"CreateSession answered {code}")
            return
        self._session = results["session_handle"][1]
        shortcuts = [(action_id, {"description": ("s", action(action_id).tr_label()),
                                  "preferred_trigger": ("s", preferred_trigger(combo))})
                     for action_id, combo in bindings.items()]
        self._request("BindShortcuts", "oa(sa{sv})sa{sv}", (self._session, shortcuts, "", {}),
                      lambda code, results: self._on_bound(code, results, bindings))

    def _on_bound(self, code: int, results: dict, bindings: dict[str, KeyCombo]) -> None:
        if bindings is not self._bindings:
            return
        if code != RESPONSE_SUCCESS:
            self._refused(bindings, f"BindShortcuts answered {code}")
            return
        bound = {shortcut_id for shortcut_id, _ in results.get("shortcuts", ("", []))[1]}
        self._on_outcomes({action_id: Outcome(Status.OK) if action_id in bound else
                           Outcome(Status.UNSUPPORTED, portal_not_bound_message(action(action_id).tr_label()))
                           for action_id in bindings}, bindings)

    def _refused(self, bindings: dict[str, KeyCombo], detail: str) -> None:
        message = portal_refused_message(detail)
        self._on_outcomes({action_id: Outcome(Status.UNSUPPORTED, message) for action_id in bindings}, bindings)

    def _close_session(self) -> None:
        session, self._session = self._session, None
        self._held.clear()
        if session is not None:
            self._close(session)

    def _close(self, session: str) -> None:
        try:
            self._call(new_method_call(DBusAddress(session, bus_name=PORTAL_NAME, interface=SESSION_IFACE), "Close"))
        except Exception:  # the portal is gone: the session went with it
            log.debug("closing the portal session failed", exc_info=True)
