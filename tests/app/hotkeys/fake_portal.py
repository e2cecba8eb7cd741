"""A stand-in for xdg-desktop-portal's GlobalShortcuts interface, on a private D-Bus session bus.

A test double, and the only one in the Linux tests: the real portal needs a running Wayland
compositor with a GlobalShortcuts backend (KDE, Hyprland, GNOME 48+), which cannot run here.
It speaks the documented protocol over real D-Bus (CreateSession/BindShortcuts answered by
Request.Response signals, Activated/Deactivated signals, Session.Close).

`python fake_portal.py accept|refuse`: prints "ready", then one line per event
("session PATH", "bound id=TRIGGER;...", "closed PATH"). Reads commands from stdin:
"activate ID" and "deactivate ID" (sent for every open session); end of input quits.
"""

from __future__ import annotations

import os
import select
import sys

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

NAME, PATH = "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop"
SHORTCUTS, REQUEST, SESSION = ("org.freedesktop.portal.GlobalShortcuts", "org.freedesktop.portal.Request",
                               "org.freedesktop.portal.Session")
SUCCESS, OTHER_ERROR = 0, 2
VERSION = 1
READ_CHUNK = 4096


class FakePortal:
    def __init__(self, mode: str):
        self.mode = mode
        self.conn = open_dbus_connection("SESSION")
        self.conn.send_and_get_reply(message_bus.RequestName(NAME))
        self.sessions: set[str] = set()

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

    def command(self, verb: str, shortcut_id: str) -> None:
        member = "Activated" if verb == "activate" else "Deactivated"
        for session in sorted(self.sessions):
            self.signal(PATH, SHORTCUTS, member, "osta{sv}", (session, shortcut_id, 0, {}))

    def signal(self, path: str, interface: str, member: str, signature: str, body: tuple) -> None:
        self.conn.send(new_signal(DBusAddress(path, interface=interface), member, signature, body))

    def handle(self, message) -> None:
        if message.header.message_type != MessageType.method_call:
            return
        fields = message.header.fields
        interface, member = fields.get(HeaderFields.interface), fields[HeaderFields.member]
        sender = fields[HeaderFields.sender][1:].replace(".", "_")
        if (interface, member) == ("org.freedesktop.DBus.Properties", "Get") and message.body == (SHORTCUTS, "version"):
            self.conn.send(new_method_return(message, "v", (("u", VERSION),)))
        elif (interface, member) == (SHORTCUTS, "CreateSession"):
            options = message.body[0]
            session = f"{PATH}/session/{sender}/{options['session_handle_token'][1]}"
            self.sessions.add(session)
            self.answer(message, sender, options, SUCCESS, {"session_handle": ("o", session)})
            self.say(f"session {session}")
        elif (interface, member) == (SHORTCUTS, "BindShortcuts"):
            session, shortcuts, _parent, options = message.body
            self.say("bound " + ";".join(f"{sid}={props['preferred_trigger'][1]}" for sid, props in shortcuts))
            if self.mode == "refuse":
                self.answer(message, sender, options, OTHER_ERROR, {})
                return
            bound = [(sid, {"description": props["description"], "trigger_description": props["preferred_trigger"]})
                     for sid, props in shortcuts]
            self.answer(message, sender, options, SUCCESS, {"shortcuts": ("a(sa{sv})", bound)})
        elif (interface, member) == (SESSION, "Close"):
            self.sessions.discard(fields[HeaderFields.path])
            self.conn.send(new_method_return(message))
            self.say(f"closed {fields[HeaderFields.path]}")
        else:
            self.conn.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod"))

    def answer(self, message, sender: str, options: dict, code: int, results: dict) -> None:
        """Return the Request path, then send its Response, as the portal does."""
        request = f"{PATH}/request/{sender}/{options['handle_token'][1]}"
        self.conn.send(new_method_return(message, "o", (request,)))
        self.signal(request, REQUEST, "Response", "ua{sv}", (code, results))


if __name__ == "__main__":
    FakePortal(sys.argv[1]).serve()
