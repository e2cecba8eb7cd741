"""A stand-in for xdg-desktop-portal's Inhibit interface and a desktop's session manager behind it.

A test double: the real chain (xdg-desktop-portal, its desktop back end, and the session
manager that ends the session: gnome-session, ksmserver) needs a running desktop session,
which cannot run here. It implements only what the app uses, as documented for
org.freedesktop.portal.Inhibit version 3 (flatpak.github.io/xdg-desktop-portal): CreateMonitor
(answered by a Request's Response with the session_handle), the StateChanged(o session, a{sv}
state) signal with "session-state" 1 running, 2 query-end, 3 ending, sent to the session's
owner alone as the portal does, QueryEndResponse(o session), and Session.Close.

`python -m tests.app.launch.session_portal`: prints "ready", then one line per event
("monitor PATH", "query-end answered PATH", "closed PATH"). Commands on stdin: "state N"
sends StateChanged with session-state N to every monitor; end of input quits.
"""

from __future__ import annotations

from jeepney import HeaderFields, new_method_return

from tests.app.hotkeys.portal_stand_in import PATH, PROPERTIES, SUCCESS, PortalStandIn

INHIBIT, SESSION = "org.freedesktop.portal.Inhibit", "org.freedesktop.portal.Session"
VERSION = 3  # the version that added session-state and QueryEndResponse
RUNNING, QUERY_END, ENDING = 1, 2, 3  # "session-state"


class SessionPortal(PortalStandIn):
    def __init__(self):
        super().__init__()
        self.monitors: dict[str, str] = {}  # session path -> its owner's unique name

    def command(self, verb: str, state: str) -> None:
        assert verb == "state", verb
        for session, owner in sorted(self.monitors.items()):
            self.signal(PATH, INHIBIT, "StateChanged", "oa{sv}",
                        (session, {"screensaver-active": ("b", False), "session-state": ("u", int(state))}), owner)

    def method(self, interface: str | None, member: str, message) -> bool:
        fields = message.header.fields
        if (interface, member) == (PROPERTIES, "Get") and message.body == (INHIBIT, "version"):
            self.conn.send(new_method_return(message, "v", (("u", VERSION),)))
        elif (interface, member) == (INHIBIT, "CreateMonitor"):
            _window, options = message.body
            session = self.session_path(message, options)
            self.monitors[session] = fields[HeaderFields.sender]
            self.answer(message, options, SUCCESS, {"session_handle": ("o", session)})
            self.say(f"monitor {session}")
        elif (interface, member) == (INHIBIT, "QueryEndResponse"):
            self.conn.send(new_method_return(message))
            self.say(f"query-end answered {message.body[0]}")
        elif (interface, member) == (SESSION, "Close"):
            self.monitors.pop(fields[HeaderFields.path], None)
            self.conn.send(new_method_return(message))
            self.say(f"closed {fields[HeaderFields.path]}")
        else:
            return False
        return True


if __name__ == "__main__":
    SessionPortal().serve()
