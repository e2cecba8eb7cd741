"""A minimal system tray for tests: `python tray_host.py DISPLAY`, as a desktop panel's tray would be.

It owns the `_NET_SYSTEM_TRAY_S<screen>` selection and announces it (freedesktop System Tray
Protocol 0.3, "Locating the system tray"), so Qt finds a tray and shows the app's real
QSystemTrayIcon; each icon that asks to dock (SYSTEM_TRAY_REQUEST_DOCK) is reparented into
the tray's own window and mapped ("Docking a tray icon"), where a test can right-click it.
Prints "ready", then "docked WINDOW" for each icon; ends at end of input or when the
display goes away.
"""

from __future__ import annotations

import select
import sys

from Xlib import X, display as xdisplay, error as xerror
from Xlib.protocol import event

SYSTEM_TRAY_REQUEST_DOCK = 0  # the opcode's value in the protocol
ICON_SIZE = 24
TRAY_GEOMETRY = (0, 0, 8 * ICON_SIZE, ICON_SIZE)  # a strip at the top-left corner, as a panel's tray


def _announce(connection, tray) -> None:
    screen_number = connection.get_default_screen()
    root = connection.screen().root
    selection = connection.intern_atom(f"_NET_SYSTEM_TRAY_S{screen_number}")
    tray.set_selection_owner(selection, X.CurrentTime)
    manager = event.ClientMessage(window=root, client_type=connection.intern_atom("MANAGER"),
                                  data=(32, [X.CurrentTime, selection, tray.id, 0, 0]))
    root.send_event(manager, event_mask=X.StructureNotifyMask)
    connection.sync()


def _dock(connection, tray, icon_id: int, slot: int) -> None:
    icon = connection.create_resource_object("window", icon_id)
    icon.reparent(tray, slot * ICON_SIZE, 0)
    icon.configure(width=ICON_SIZE, height=ICON_SIZE)
    icon.map()
    connection.sync()


def main(display_name: str) -> int:
    connection = xdisplay.Display(display_name)
    screen = connection.screen()
    left, top, width, height = TRAY_GEOMETRY
    # override_redirect: the tray is part of the desktop, not a window for the window manager to frame.
    tray = screen.root.create_window(left, top, width, height, 0, screen.root_depth,
                                     background_pixel=screen.white_pixel, override_redirect=True,
                                     event_mask=X.StructureNotifyMask)
    tray.map()
    opcode = connection.intern_atom("_NET_SYSTEM_TRAY_OPCODE")
    _announce(connection, tray)
    print("ready", flush=True)
    docked = 0
    try:
        while True:
            while connection.pending_events():
                message = connection.next_event()
                if (message.type == X.ClientMessage and message.client_type == opcode
                        and message.data[1][1] == SYSTEM_TRAY_REQUEST_DOCK):
                    _dock(connection, tray, message.data[1][2], docked)
                    docked += 1
                    print(f"docked {message.data[1][2]}", flush=True)
            readable, _, _ = select.select([connection.fileno(), sys.stdin], [], [])
            if sys.stdin in readable and not sys.stdin.readline():
                return 0
    except xerror.ConnectionClosedError:
        return 0  # the X server ended: so does the desktop's tray


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
