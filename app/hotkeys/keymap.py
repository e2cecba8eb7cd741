"""Which keys a global shortcut may end in, and each key's code on every platform.

One row per key: Qt key, X11 keysym, Windows virtual-key code, macOS virtual keycode and
the spoken name. Sources:
- X11 keysyms: /usr/include/X11/keysymdef.h (letters use the lower-case keysym).
- Windows: "Virtual-Key Codes" (learn.microsoft.com, winuser.h VK_*); the OEM punctuation
  codes are those of the US layout.
- macOS: HIToolbox/Events.h kVK_* (positions on an ANSI keyboard, so on other layouts a
  letter is the key at the US position).

Punctuation is limited to keys that are unshifted on a US keyboard: a shifted symbol such
as "!" names a different key on every layout, so it is refused rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt

from app.ui.marked import noop


@dataclass(frozen=True)
class KeyInfo:
    qt_key: int
    x_keysym: int
    win_vk: int
    mac_keycode: int
    spoken: str  # plain name, translated when shown ("Page Up", not "PgUp")


K = Qt.Key

# Letters: Qt key = upper-case ASCII, X keysym = lower-case ASCII, VK = upper-case ASCII.
_MAC_LETTERS = {"A": 0x00, "B": 0x0B, "C": 0x08, "D": 0x02, "E": 0x0E, "F": 0x03, "G": 0x05,
                "H": 0x04, "I": 0x22, "J": 0x26, "K": 0x28, "L": 0x25, "M": 0x2E, "N": 0x2D,
                "O": 0x1F, "P": 0x23, "Q": 0x0C, "R": 0x0F, "S": 0x01, "T": 0x11, "U": 0x20,
                "V": 0x09, "W": 0x0D, "X": 0x07, "Y": 0x10, "Z": 0x06}
_MAC_DIGITS = {"0": 0x1D, "1": 0x12, "2": 0x13, "3": 0x14, "4": 0x15, "5": 0x17, "6": 0x16,
               "7": 0x1A, "8": 0x1C, "9": 0x19}
# F1..F20 (macOS has no kVK for F21-F24, so those are unsupported there: -1).
_MAC_FKEYS = (0x7A, 0x78, 0x63, 0x76, 0x60, 0x61, 0x62, 0x64, 0x65, 0x6D, 0x67, 0x6F, 0x69,
              0x6B, 0x71, 0x6A, 0x40, 0x4F, 0x50, 0x5A)
X_F1, VK_F1, FUNCTION_KEY_COUNT = 0xFFBE, 0x70, 24
NO_MAC_KEY = -1

_ROWS: list[KeyInfo] = []
_ROWS += [KeyInfo(ord(c), ord(c.lower()), ord(c), code, c) for c, code in _MAC_LETTERS.items()]
_ROWS += [KeyInfo(ord(c), ord(c), ord(c), code, c) for c, code in _MAC_DIGITS.items()]
_ROWS += [KeyInfo(int(K.Key_F1.value) + i, X_F1 + i, VK_F1 + i,
                  _MAC_FKEYS[i] if i < len(_MAC_FKEYS) else NO_MAC_KEY, f"F{i + 1}")
          for i in range(FUNCTION_KEY_COUNT)]
_ROWS += [
    #        Qt key              X keysym  VK    mac   spoken name
    KeyInfo(int(K.Key_Space.value), 0x0020, 0x20, 0x31, noop("Space")),
    KeyInfo(int(K.Key_Return.value), 0xFF0D, 0x0D, 0x24, noop("Enter")),
    KeyInfo(int(K.Key_Escape.value), 0xFF1B, 0x1B, 0x35, noop("Escape")),
    KeyInfo(int(K.Key_Tab.value), 0xFF09, 0x09, 0x30, noop("Tab")),
    KeyInfo(int(K.Key_Backspace.value), 0xFF08, 0x08, 0x33, noop("Backspace")),
    KeyInfo(int(K.Key_Delete.value), 0xFFFF, 0x2E, 0x75, noop("Delete")),
    KeyInfo(int(K.Key_Home.value), 0xFF50, 0x24, 0x73, noop("Home")),
    KeyInfo(int(K.Key_End.value), 0xFF57, 0x23, 0x77, noop("End")),
    KeyInfo(int(K.Key_PageUp.value), 0xFF55, 0x21, 0x74, noop("Page Up")),
    KeyInfo(int(K.Key_PageDown.value), 0xFF56, 0x22, 0x79, noop("Page Down")),
    KeyInfo(int(K.Key_Left.value), 0xFF51, 0x25, 0x7B, noop("Left Arrow")),
    KeyInfo(int(K.Key_Up.value), 0xFF52, 0x26, 0x7E, noop("Up Arrow")),
    KeyInfo(int(K.Key_Right.value), 0xFF53, 0x27, 0x7C, noop("Right Arrow")),
    KeyInfo(int(K.Key_Down.value), 0xFF54, 0x28, 0x7D, noop("Down Arrow")),
    KeyInfo(int(K.Key_Pause.value), 0xFF13, 0x13, NO_MAC_KEY, noop("Pause")),
    KeyInfo(int(K.Key_Print.value), 0xFF61, 0x2C, NO_MAC_KEY, noop("Print Screen")),
    KeyInfo(ord(","), 0x002C, 0xBC, 0x2B, noop("Comma")),
    KeyInfo(ord("."), 0x002E, 0xBE, 0x2F, noop("Period")),
    KeyInfo(ord("/"), 0x002F, 0xBF, 0x2C, noop("Slash")),
    KeyInfo(ord(";"), 0x003B, 0xBA, 0x29, noop("Semicolon")),
    KeyInfo(ord("'"), 0x0027, 0xDE, 0x27, noop("Apostrophe")),
    KeyInfo(ord("["), 0x005B, 0xDB, 0x21, noop("Left Bracket")),
    KeyInfo(ord("]"), 0x005D, 0xDD, 0x1E, noop("Right Bracket")),
    KeyInfo(ord("-"), 0x002D, 0xBD, 0x1B, noop("Minus")),
    KeyInfo(ord("="), 0x003D, 0xBB, 0x18, noop("Equals")),
    KeyInfo(ord("`"), 0x0060, 0xC0, 0x32, noop("Grave Accent")),
    KeyInfo(ord("\\"), 0x005C, 0xDC, 0x2A, noop("Backslash")),
]

KEYS: dict[int, KeyInfo] = {row.qt_key: row for row in _ROWS}


def layout_character(info: KeyInfo) -> str | None:
    """The character a letter or punctuation key types unshifted ("z" for Z), by which it is found on the
    user's layout; None for the keys found by their key code (digits, Space, function and editing keys)."""
    character = chr(info.qt_key) if info.qt_key < 0x7F else ""
    if character.isprintable() and not character.isspace() and not character.isdigit():
        return character.lower()
    return None

# Keys that screen readers use as their own modifier (NVDA and JAWS: Insert, Caps Lock in
# laptop layout; Orca: Insert on the number pad, Caps Lock in laptop layout; VoiceOver may
# use Caps Lock). A shortcut ending in one of these would fight the screen reader.
SCREEN_READER_KEYS = frozenset({int(K.Key_Insert.value), int(K.Key_CapsLock.value)})
# Lock keys and bare modifiers are never the key of a shortcut.
LOCK_AND_MODIFIER_KEYS = frozenset(int(k.value) for k in (
    K.Key_NumLock, K.Key_ScrollLock, K.Key_Shift, K.Key_Control, K.Key_Alt, K.Key_Meta,
    K.Key_AltGr, K.Key_Super_L, K.Key_Super_R, K.Key_Hyper_L, K.Key_Hyper_R))
