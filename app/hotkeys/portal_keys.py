"""A combination as the XDG shortcuts specification writes it, for the portal's preferred_trigger.

Spec (specifications.freedesktop.org/shortcuts-spec): modifiers SHIFT, CTRL, ALT, NUM, LOGO,
then an XKB keysym name, joined with "+", e.g. "CTRL+ALT+SHIFT+d". Only a preference: the
desktop may ask the user or choose other keys.
"""

from __future__ import annotations

from app.hotkeys.combo import KeyCombo, Mod
from app.hotkeys.keymap import KEYS, X_F1

# X keysym -> XKB keysym name, for the keys whose name is not their character
# (/usr/include/X11/keysymdef.h: XK_<name>).
KEYSYM_NAMES = {
    0x0020: "space", 0xFF0D: "Return", 0xFF1B: "Escape", 0xFF09: "Tab", 0xFF08: "BackSpace",
    0xFFFF: "Delete", 0xFF50: "Home", 0xFF57: "End", 0xFF55: "Prior", 0xFF56: "Next", 0xFF51: "Left",
    0xFF52: "Up", 0xFF53: "Right", 0xFF54: "Down", 0xFF13: "Pause", 0xFF61: "Print", 0x002C: "comma",
    0x002E: "period", 0x002F: "slash", 0x003B: "semicolon", 0x0027: "apostrophe", 0x005B: "bracketleft",
    0x005D: "bracketright", 0x002D: "minus", 0x003D: "equal", 0x0060: "grave", 0x005C: "backslash",
}
FUNCTION_KEYSYMS = range(X_F1, X_F1 + 24)
MODIFIER_NAMES = ((Mod.CTRL, "CTRL"), (Mod.ALT, "ALT"), (Mod.SHIFT, "SHIFT"), (Mod.META, "LOGO"))


def keysym_name(keysym: int) -> str:
    if keysym in KEYSYM_NAMES:
        return KEYSYM_NAMES[keysym]
    if keysym in FUNCTION_KEYSYMS:
        return f"F{keysym - X_F1 + 1}"
    return chr(keysym)  # letters (lower case) and digits are their own names


def preferred_trigger(combo: KeyCombo) -> str:
    names = [name for mod, name in MODIFIER_NAMES if combo.modifiers & mod]
    return "+".join(names + [keysym_name(KEYS[combo.key].x_keysym)])
