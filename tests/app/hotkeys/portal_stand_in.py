"""What every stand-in portal of the tests shares: the portal's bus name, a command loop, the Request convention.

A stand-in owns org.freedesktop.portal.Desktop on a private session bus (dbus_helpers.PrivateBus),
prints "ready", then one line per event it wants the test to see, and reads one command per line
on stdin until its end. Subclasses answer method calls (`method`) and commands (`command`).
The Request convention (flatpak.github.io/xdg-desktop-portal, org.freedesktop.portal.Request):
a call's reply is the Request's object path, built from the caller's unique name and its
handle_token, and the answer follows as that Request's Response(u code, a{sv} results) signal.
"""

from __future__ import annotations

import os
import select
import sys

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME, PATH = "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop"
REQUEST = "org.freedesktop.portal.Request"
PROPERTIES = "org.freedesktop.DBus.Properties"
SUCCESS = 0
READ_CHUNK = 4096


class PortalStandIn:
    def __init__(self):
        self.conn = open_dbus_connection("SESSION")
        self.conn.send_and_get_reply(message_bus.RequestName(NAME))

    def say(self, line: str) -> None:
        print(line, flush=True)

    def serve(self) -> None:
        self.say("ready")
        pending = b""
        while True:
            readable, _, _ = select.select([self.conn.sock, sys.stdin], [], [])
            if sys.stdin in readable:
                data = os.read(sys.stdin.fileno(), READ_CHUNK)  # not readline(): it would buffer later lines
                if not data:
                    return
                pending += data
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    self.command(*line.decode().split())
            if self.conn.sock in readable:
                while True:
                    try:
                        self.handle(self.conn.receive(timeout=0))
                    except TimeoutError:
                        break

    def handle(self, message) -> None:
        if message.header.message_type != MessageType.method_call:
            return
        fields = message.header.fields
        if not self.method(fields.get(HeaderFields.interface), fields[HeaderFields.member], message):
            self.conn.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod"))

    def method(self, interface: str | None, member: str, message) -> bool:
        """Answer one method call; False for one this stand-in does not implement."""
        raise NotImplementedError

    def command(self, *words: str) -> None:
        raise NotImplementedError

    def signal(self, path: str, interface: str, member: str, signature: str, body: tuple,
               destination: str | None = None) -> None:
        """Broadcast, or sent to `destination` alone (the portal sends a session's signals to its owner)."""
        message = new_signal(DBusAddress(path, interface=interface), member, signature, body)
        if destination is not None:
            message.header.fields[HeaderFields.destination] = destination
        self.conn.send(message)

    def answer(self, message, options: dict, code: int, results: dict) -> None:
        """Return the Request path, then send its Response, as the portal does."""
        request = self.request_path(message, options)
        self.conn.send(new_method_return(message, "o", (request,)))
        self.signal(request, REQUEST, "Response", "ua{sv}", (code, results))

    def request_path(self, message, options: dict) -> str:
        """The Request object a call with this handle_token gets (org.freedesktop.portal.Request)."""
        return f"{PATH}/request/{_sender(message)}/{options['handle_token'][1]}"

    def session_path(self, message, options: dict) -> str:
        """The Session object a call with this session_handle_token creates (org.freedesktop.portal.Session)."""
        return f"{PATH}/session/{_sender(message)}/{options['session_handle_token'][1]}"


def _sender(message) -> str:
    """The caller's unique name as an object path element: ":1.42" -> "1_42"."""
    return message.header.fields[HeaderFields.sender][1:].replace(".", "_")
