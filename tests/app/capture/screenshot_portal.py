"""A stand-in for xdg-desktop-portal's Screenshot interface and the desktop behind it.

A test double: the real chain (xdg-desktop-portal and its desktop's part, which asks GNOME Shell,
KWin or a wlroots compositor for the picture) needs a running desktop session, which cannot run
here. It implements what the app uses, as documented for org.freedesktop.portal.Screenshot
version 2 (flatpak.github.io/xdg-desktop-portal): Screenshot(s parent_window, a{sv} options)
answered by a Request's Response(u code, a{sv} results) with results["uri"], and the interface's
version property.

`python -m tests.app.capture.screenshot_portal MODE PICTURE FOLDER`: prints "ready", then
"screenshot interactive=BOOL" for each call. MODE says how each call is answered:
- accept: PICTURE is copied into FOLDER as a new file (as a desktop saves a screenshot) and its
  file:// URI is the answer;
- refuse: code 1 (the user said no); fail: code 2; silent: no Response at all;
- fifo: the answer names a named pipe in FOLDER, as a broken or hostile portal might;
- impostor-first: before the portal's own answer, another connection sends a Response on the same
  Request path naming a different picture (FOLDER/impostor.png, plain red, written here).
End of input quits.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

from jeepney import DBusAddress, new_method_return, new_signal
from jeepney.io.blocking import open_dbus_connection

from tests.app.hotkeys.portal_stand_in import PROPERTIES, REQUEST, SUCCESS, PortalStandIn

SCREENSHOT = "org.freedesktop.portal.Screenshot"
VERSION = 2
REFUSED, FAILED = 1, 2
IMPOSTOR_COLOUR = (255, 0, 0)


class ScreenshotPortal(PortalStandIn):
    def __init__(self, mode: str, picture: Path, folder: Path):
        super().__init__()
        self.mode, self.picture, self.folder = mode, picture, folder
        self.calls = 0

    def command(self, *words: str) -> None:
        raise AssertionError(f"no commands: {words}")

    def method(self, interface: str | None, member: str, message) -> bool:
        if (interface, member) == (PROPERTIES, "Get") and message.body == (SCREENSHOT, "version"):
            self.conn.send(new_method_return(message, "v", (("u", VERSION),)))
        elif (interface, member) == (SCREENSHOT, "Screenshot"):
            _parent, options = message.body
            self.say(f"screenshot interactive={options.get('interactive', ('b', True))[1]}")
            self._answer(message, options)
        else:
            return False
        return True

    def _answer(self, message, options: dict) -> None:
        self.calls += 1
        if self.mode == "refuse":
            return self.answer(message, options, REFUSED, {})
        if self.mode == "fail":
            return self.answer(message, options, FAILED, {})
        if self.mode == "silent":
            return self.conn.send(new_method_return(message, "o", (self.request_path(message, options),)))
        saved = self.folder / f"Screenshot {self.calls}.png"
        if self.mode == "fifo":
            os.mkfifo(saved)
        else:
            shutil.copyfile(self.picture, saved)
        if self.mode == "impostor-first":
            self._impostor_answers(message, options)
        self.answer(message, options, SUCCESS, {"uri": ("s", "file://" + quote(str(saved)))})

    def _impostor_answers(self, message, options: dict) -> None:
        """Another program on the bus: a Response on the app's Request path, sent before the portal's."""
        from PIL import Image

        impostor = self.folder / "impostor.png"
        Image.new("RGB", (64, 48), IMPOSTOR_COLOUR).save(impostor)
        request = DBusAddress(self.request_path(message, options), interface=REQUEST)
        with open_dbus_connection("SESSION") as other:
            other.send(new_signal(request, "Response", "ua{sv}",
                                  (SUCCESS, {"uri": ("s", "file://" + quote(str(impostor)))})))


if __name__ == "__main__":
    ScreenshotPortal(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])).serve()
