"""Key combinations: parse "Ctrl+Alt+Shift+D", format it back, and say it in plain words.

Text is Qt's portable form (QKeySequence.PortableText), the same on every platform and the
form stored in settings. On macOS Qt reads "Ctrl" as the Command key and "Meta" as the
Control key (Qt docs, "QKeySequence: Platform-specific key mappings"), so the spoken and
native names follow the platform while the stored text does not change.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import IntFlag

from PySide6.QtCore import QKeyCombination, Qt
from PySide6.QtGui import QKeySequence

from app.hotkeys.keymap import KEYS
from app.hotkeys.texts import tr

PORTABLE = QKeySequence.SequenceFormat.PortableText
MODIFIER_SEPARATOR = "+"

# Words a user may type for a screen reader's own modifier key or for the Windows/Super
# key. QKeySequence has no such modifiers: it would read "Insert+D" as one unknown key,
# so these are recognised first to explain the refusal instead of "cannot read".
SCREEN_READER_WORDS = frozenset({"insert", "ins", "capslock", "caps lock", "caps", "nvda", "jaws",
                                 "orca", "kp_insert", "numpad insert"})
SUPER_WORDS = frozenset({"win", "windows", "super", "logo", "hyper", "start"})


class Mod(IntFlag):
    """Modifiers in Qt's sense (META is Windows/Super on Windows and Linux, Control on macOS)."""
    NONE = 0
    SHIFT = 1
    CTRL = 2
    ALT = 4
    META = 8


_QT_MODS = ((Mod.CTRL, Qt.KeyboardModifier.ControlModifier), (Mod.ALT, Qt.KeyboardModifier.AltModifier),
            (Mod.SHIFT, Qt.KeyboardModifier.ShiftModifier), (Mod.META, Qt.KeyboardModifier.MetaModifier))


class ComboError(ValueError):
    """A combination that cannot be read or used; `message` is plain, translated text."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class KeyCombo:
    modifiers: Mod
    key: int  # a Qt.Key value

    @classmethod
    def from_qt(cls, combination: QKeyCombination) -> "KeyCombo":
        """From a QKeySequenceEdit's keySequence()[0], for example."""
        qt_mods = combination.keyboardModifiers()
        mods = Mod.NONE
        for mod, qt_mod in _QT_MODS:
            if qt_mods & qt_mod:
                mods |= mod
        return cls(mods, int(combination.key().value))

    def to_qt(self) -> QKeyCombination:
        qt_mods = Qt.KeyboardModifier.NoModifier
        for mod, qt_mod in _QT_MODS:
            if self.modifiers & mod:
                qt_mods |= qt_mod
        return QKeyCombination(qt_mods, Qt.Key(self.key))

    def to_text(self) -> str:
        """Portable text, as stored in settings: "Ctrl+Alt+Shift+D"."""
        return QKeySequence(self.to_qt()).toString(PORTABLE)

    def spoken(self, platform: str = sys.platform) -> str:
        """Plain words for messages and speech: "Control + Alt + Shift + D"."""
        names = [modifier_name(mod, platform) for mod in (Mod.CTRL, Mod.META, Mod.ALT, Mod.SHIFT)
                 if self.modifiers & mod]
        return " + ".join(names + [key_name(self.key)])

    def __str__(self) -> str:
        return self.to_text()


def modifier_name(mod: Mod, platform: str = sys.platform) -> str:
    if platform == "darwin":
        names = {Mod.CTRL: tr("Command"), Mod.META: tr("Control"), Mod.ALT: tr("Option"), Mod.SHIFT: tr("Shift")}
    else:
        names = {Mod.CTRL: tr("Control"), Mod.META: tr("Windows key"), Mod.ALT: tr("Alt"), Mod.SHIFT: tr("Shift")}
    return names[mod]


def key_name(key: int) -> str:
    info = KEYS.get(key)
    if info is not None:
        return tr(info.spoken)
    text = QKeySequence(QKeyCombination(Qt.Key(key))).toString(QKeySequence.SequenceFormat.NativeText)
    return text or tr("an unknown key")


def parse(text: str, platform: str = sys.platform) -> KeyCombo:
    """Read one combination; raises ComboError with a plain explanation if it cannot be read.

    Only reading happens here: whether the combination may be used is validation.validate().
    """
    stripped = text.strip()
    if not stripped:
        raise ComboError(tr("No key combination was given. Write one like Ctrl+Alt+Shift+D."))
    parts = [part.strip().lower() for part in stripped.split(MODIFIER_SEPARATOR)]
    for word in parts[:-1]:
        if word in SCREEN_READER_WORDS:
            raise ComboError(screen_reader_key_message())
        if word in SUPER_WORDS or (word == "meta" and platform != "darwin"):
            raise ComboError(super_key_message())
    sequence = QKeySequence.fromString(stripped, PORTABLE)
    if sequence.count() != 1:
        raise ComboError(tr("\"{text}\" is more than one key combination. A shortcut is one "
                            "combination, like Ctrl+Alt+Shift+D.").format(text=stripped))
    combo = KeyCombo.from_qt(sequence[0])
    if combo.key == int(Qt.Key.Key_unknown.value):
        raise ComboError(tr("\"{text}\" could not be read as a key combination. Write it like "
                            "Ctrl+Alt+Shift+D.").format(text=stripped))
    return combo


def screen_reader_key_message() -> str:
    return tr("Insert and Caps Lock cannot be part of a shortcut: screen readers such as NVDA, JAWS "
              "and Orca use them as their own command keys, so the shortcut would clash with your "
              "screen reader. Use Control, Alt and Shift with a letter instead.")


def super_key_message() -> str:
    return tr("The Windows key (also called Super or Logo key) cannot be part of a shortcut: the "
              "system and many desktops keep it for their own commands. Use Control, Alt and Shift "
              "with a letter instead.")
