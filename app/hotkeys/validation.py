"""Whether a combination may be a global shortcut, with a plain explanation when it may not.

Refused: the screen readers' own keys (Insert, Caps Lock), the Windows/Super key, VoiceOver's
Control + Option on macOS, combinations without Control or Alt (they would fire while
typing), keys that have no code on this platform, a few combinations the system or a
screen reader keeps for itself, and one combination given to two actions.
"""

from __future__ import annotations

import sys
from typing import Mapping

from PySide6.QtCore import Qt

from app.hotkeys.actions import action
from app.hotkeys.combo import KeyCombo, Mod, screen_reader_key_message, super_key_message
from app.hotkeys.keymap import KEYS, LOCK_AND_MODIFIER_KEYS, NO_MAC_KEY, SCREEN_READER_KEYS
from app.hotkeys.texts import tr
from app.ui.marked import noop

K = Qt.Key
ALL_PLATFORMS = ""
_F_KEYS = [int(K.Key_F1.value) + i for i in range(12)]
WINDOWS_DEBUGGER_KEY = int(K.Key_F12.value)

# (platform or ALL_PLATFORMS, modifiers, key, why the system keeps it).
RESERVED: tuple[tuple[str, Mod, int, str], ...] = (
    (ALL_PLATFORMS, Mod.CTRL | Mod.ALT, int(K.Key_Delete.value), noop("the system uses it for its security screen")),
    (ALL_PLATFORMS, Mod.ALT, int(K.Key_Tab.value), noop("it switches between windows")),
    (ALL_PLATFORMS, Mod.ALT | Mod.SHIFT, int(K.Key_Tab.value), noop("it switches between windows")),
    (ALL_PLATFORMS, Mod.ALT, int(K.Key_F4.value), noop("it closes the active window")),
    (ALL_PLATFORMS, Mod.ALT, int(K.Key_Space.value), noop("it opens the window menu")),
    # NVDA user guide, "Starting NVDA": Control+Alt+N starts NVDA from the desktop shortcut.
    (ALL_PLATFORMS, Mod.CTRL | Mod.ALT, ord("N"), noop("it starts the NVDA screen reader")),
    ("win32", Mod.CTRL, int(K.Key_Escape.value), noop("it opens the Start menu")),
    # RegisterHotKey (learn.microsoft.com): "The F12 key is reserved for use by the debugger at all
    # times, so it should not be registered as a hot key", whatever the modifiers (validate refuses it).
    ("linux", Mod.CTRL | Mod.ALT, int(K.Key_Backspace.value), noop("it can end the desktop session")),
    # Qt's Ctrl is the Command key on macOS: Command+Tab, Command+Space, Command+F5 (VoiceOver).
    ("darwin", Mod.CTRL, int(K.Key_Tab.value), noop("it switches between apps")),
    ("darwin", Mod.CTRL, int(K.Key_Space.value), noop("it opens Spotlight")),
    ("darwin", Mod.CTRL, int(K.Key_F5.value), noop("it turns VoiceOver on and off")),
) + tuple(("linux", Mod.CTRL | Mod.ALT, key, noop("it switches to a text console")) for key in _F_KEYS)


def _platform_key(platform: str) -> str:
    return "linux" if platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) else platform


def validate(combo: KeyCombo, platform: str = sys.platform) -> str | None:
    """None if the combination may be a global shortcut here, else why not (translated)."""
    keys = combo.spoken(platform)
    if combo.key in SCREEN_READER_KEYS:
        return screen_reader_key_message()
    if combo.key in LOCK_AND_MODIFIER_KEYS:
        return tr("{keys} has no main key. Add a letter or a function key, like Ctrl+Alt+Shift+D.").format(keys=keys)
    if platform != "darwin" and combo.modifiers & Mod.META:
        return super_key_message()
    if platform == "darwin" and combo.modifiers & Mod.META and combo.modifiers & Mod.ALT:
        return tr("Control + Option cannot be part of a shortcut: VoiceOver uses them for its own "
                  "commands. Use Command, Option and Shift with a letter instead.")
    info = KEYS.get(combo.key)
    if info is None or (platform == "darwin" and info.mac_keycode == NO_MAC_KEY):
        return tr("{keys} cannot be a global shortcut: use a letter, a digit, a function key, an arrow "
                  "or a navigation key as its last key.").format(keys=keys)
    if not combo.modifiers & (Mod.CTRL | Mod.ALT | Mod.META):
        if platform == "darwin":
            return tr("{keys} needs Command, Option or Control too; otherwise it would fire every "
                      "time you type that key.").format(keys=keys)
        return tr("{keys} needs Control or Alt too; otherwise it would fire every time you type "
                  "that key.").format(keys=keys)
    if platform == "win32" and combo.key == WINDOWS_DEBUGGER_KEY:
        return tr("{keys} cannot be a shortcut on Windows because F12 is kept for debuggers.").format(keys=keys)
    wanted = _platform_key(platform)
    for where, mods, key, why in RESERVED:
        if where in (ALL_PLATFORMS, wanted) and mods == combo.modifiers and key == combo.key:
            return tr("{keys} cannot be a shortcut here because {why}.").format(keys=keys, why=tr(why))
    return None


def validate_bindings(bindings: Mapping[str, KeyCombo | None], platform: str = sys.platform) -> dict[str, str]:
    """Problems by action id, including one combination given to two actions (the later one)."""
    problems: dict[str, str] = {}
    owners: dict[KeyCombo, str] = {}
    for action_id, combo in bindings.items():
        if combo is None:
            continue
        problem = validate(combo, platform)
        if problem is None and combo in owners:
            problem = tr("{keys} is already the shortcut for \"{other}\". Each shortcut needs its own "
                         "combination.").format(keys=combo.spoken(platform), other=action(owners[combo]).tr_label())
        if problem is not None:
            problems[action_id] = problem
        else:
            owners[combo] = action_id
    return problems
