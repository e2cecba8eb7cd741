"""A stand-in for xdg-desktop-portal's GlobalShortcuts interface, on a private D-Bus session bus.

A test double, and the only one in the Linux tests: the real portal needs a running Wayland
compositor with a GlobalShortcuts backend (KDE, Hyprland, GNOME 48+), which cannot run here.
It speaks the documented protocol over real D-Bus (CreateSession/BindShortcuts answered by
Request.Response signals, Activated/Deactivated signals, Session.Close).

`python -m tests.app.hotkeys.fake_portal accept|refuse`: prints "ready", then one line per event
("session PATH", "bound id=TRIGGER;...", "closed PATH"). Reads commands from stdin:
"activate ID" and "deactivate ID" (sent for every open session); end of input quits.
"""

from __future__ import annotations

import sys

from jeepney import HeaderFields, new_method_return

from tests.app.hotkeys.portal_stand_in import PATH, PROPERTIES, SUCCESS, PortalStandIn

SHORTCUTS, SESSION = "org.freedesktop.portal.GlobalShortcuts", "org.freedesktop.portal.Session"
OTHER_ERROR = 2
VERSION = 1


class FakePortal(PortalStandIn):
    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode
        self.sessions: set[str] = set()

    def command(self, verb: str, shortcut_id: str) -> None:
        member = "Activated" if verb == "activate" else "Deactivated"
        for session in sorted(self.sessions):
            self.signal(PATH, SHORTCUTS, member, "osta{sv}", (session, shortcut_id, 0, {}))

    def method(self, interface: str | None, member: str, message) -> bool:
        if (interface, member) == (PROPERTIES, "Get") and message.body == (SHORTCUTS, "version"):
            self.conn.send(new_method_return(message, "v", (("u", VERSION),)))
        elif (interface, member) == (SHORTCUTS, "CreateSession"):
            options = message.body[0]
            session = self.session_path(message, options)
            self.sessions.add(session)
            self.answer(message, options, SUCCESS, {"session_handle": ("o", session)})
            self.say(f"session {session}")
        elif (interface, member) == (SHORTCUTS, "BindShortcuts"):
            session, shortcuts, _parent, options = message.body
            self.say("bound " + ";".join(f"{sid}={props['preferred_trigger'][1]}" for sid, props in shortcuts))
            if self.mode == "refuse":
                self.answer(message, options, OTHER_ERROR, {})
                return True
            bound = [(sid, {"description": props["description"], "trigger_description": props["preferred_trigger"]})
                     for sid, props in shortcuts]
            self.answer(message, options, SUCCESS, {"shortcuts": ("a(sa{sv})", bound)})
        elif (interface, member) == (SESSION, "Close"):
            self.sessions.discard(message.header.fields[HeaderFields.path])
            self.conn.send(new_method_return(message))
            self.say(f"closed {message.header.fields[HeaderFields.path]}")
        else:
            return False
        return True


if __name__ == "__main__":
    FakePortal(sys.argv[1]).serve()
