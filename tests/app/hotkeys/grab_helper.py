"""Another program that holds a global key grab: `python grab_helper.py DISPLAY ctrl+alt+shift+d`.

Grabs the combination with exactly those modifiers (no lock-key variants, as many programs
do), prints "grabbed" or "busy", and keeps the grab until its standard input closes.
"""

from __future__ import annotations

import sys

from Xlib import X, XK, display as xdisplay, error as xerror

MODIFIERS = {"ctrl": X.ControlMask, "alt": X.Mod1Mask, "shift": X.ShiftMask}


def main(display_name: str, keys: str) -> int:
    *modifier_names, key = keys.lower().split("+")
    mask = 0
    for name in modifier_names:
        mask |= MODIFIERS[name]
    connection = xdisplay.Display(display_name)
    keycode = connection.keysym_to_keycode(XK.string_to_keysym(key))
    catcher = xerror.CatchError(xerror.BadAccess)
    connection.screen().root.grab_key(keycode, mask, False, X.GrabModeAsync, X.GrabModeAsync, onerror=catcher)
    connection.sync()
    print("busy" if catcher.get_error() else "grabbed", flush=True)
    sys.stdin.read()  # hold the grab until the test closes our input
    connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
