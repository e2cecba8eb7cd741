"""F1: every keyboard shortcut, in words a screen reader reads well ("Control + O: Open image").

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
from app.hotkeys.combo import ComboError, KeyCombo, parse
from app.hotkeys.manager import RegistrationResult
from app.hotkeys.texts import off_message
from app.ui.actions import Actions
from app.ui.screen_fit import fit_to_screen

WANTED_SIZE = QSize(640, 560)


def _tr(text: str) -> str:
    return QCoreApplication.translate("ShortcutsHelp", text)


def spoken_keys(sequence: QKeySequence) -> str:
    return KeyCombo.from_qt(sequence[0]).spoken()


def window_lines(actions: Actions, menu_bar_key: str) -> list[str]:
    """One line per action with a shortcut: its keys in words, then what it does."""
    detail_actions = set(actions.detail.values())
    lines = [f"{spoken_keys(QKeySequence(menu_bar_key))}: {_tr('Open the menu bar')}"]
    for item in actions.all():
        if not item.shortcuts():
            continue
        name = item.text().replace("&", "").removesuffix("...")
        if item in detail_actions:
            name = _tr("Detail level {0}").format(name)
        keys = _tr(" or ").join(spoken_keys(sequence) for sequence in item.shortcuts())
        lines.append(f"{keys}: {name}")
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
