"""F1: every keyboard shortcut, in words a screen reader reads well ("Control + O: Choose an image file...").

The window's shortcuts come from the actions themselves and the global ones from the
hotkey manager's current results, so the list always shows the combinations in use now,
and says which are turned off or not working. The list is a read-only text the user can
move through line by line, in a dialog that fits the screen and scrolls.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget

from app.hotkeys.actions import action as hotkey_action
from app.hotkeys.combo import ComboError, KeyCombo, Mod, parse
from app.hotkeys.keymap import KEYS
from app.hotkeys.manager import RegistrationResult
from app.hotkeys.texts import off_message
from app.ui.actions import Actions
from app.ui.screen_fit import fit_to_screen

WANTED_SIZE = QSize(640, 560)


def _tr(text: str) -> str:
    return QCoreApplication.translate("ShortcutsHelp", text)


def _combo(sequence: QKeySequence) -> KeyCombo:
    return KeyCombo.from_qt(sequence[0])


def _is_typed(combo: KeyCombo) -> bool:
    """Left out: keys only some keyboards have, which Qt's standard bindings add (the "Open" media key)."""
    return combo.modifiers != Mod.NONE or combo.key in KEYS


def window_lines(actions: Actions, menu_bar_key: str) -> list[str]:
    """One line per action with a shortcut: its keys in words, then what it does."""
    lines = [f"{_combo(QKeySequence(menu_bar_key)).spoken()}: {_tr('Open the menu bar')}"]
    detail_names = {item: level for level, item in actions.detail.items()}
    for item in actions.all():
        combos = [combo for combo in map(_combo, item.shortcuts()) if _is_typed(combo)]
        if not combos:
            continue
        what = item.statusTip()
        if item in detail_names:  # the three share one tip
            what = _tr("{0} detail level for new descriptions").format(item.text().replace("&", ""))
        lines.append(f"{_tr(' or ').join(combo.spoken() for combo in combos)}: {what}")
    return lines


def global_line(result: RegistrationResult) -> str:
    label = hotkey_action(result.action_id).tr_label()
    if not result.keys:
        return off_message(label)
    try:
        keys = parse(result.keys).spoken()
    except ComboError:
        keys = result.keys
    line = f"{keys}: {label}"
    return line + " " + _tr("(not working now)") if result.is_problem else line


def help_text(actions: Actions, menu_bar_key: str, global_results: dict[str, RegistrationResult]) -> str:
    parts = [_tr("In this window:"), *window_lines(actions, menu_bar_key), "",
             _tr("Global shortcuts, in every app:")]
    parts += [global_line(result) for result in global_results.values()] or [
        _tr("Global shortcuts are not set up in this session.")]
    return "\n".join(parts)


class ShortcutsDialog(QDialog):
    def __init__(self, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("shortcuts_dialog")
        self.setWindowTitle(_tr("Keyboard shortcuts"))
        self.text = QPlainTextEdit(text)
        self.text.setObjectName("shortcuts_text")
        self.text.setReadOnly(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                          | Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setTabChangesFocus(True)
        self.text.setAccessibleName(_tr("Keyboard shortcuts"))
        self.text.setAccessibleDescription(_tr("One shortcut per line. Read it with the arrow keys."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.text.setFocus(Qt.FocusReason.OtherFocusReason)
        fit_to_screen(self, WANTED_SIZE)
