"""Every command of the app as one QAction, shared by buttons, menus and the tray: the rows of
app/commands.py's table that have a window action, and one per detail level.

Shortcuts work while any of our windows has focus. Desktop-wide shortcuts are the
desktop's job: bind keys to `main.py --describe screen` and the like (see README).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from app.commands import COMMANDS, StandardKey
from app.storage.settings import DETAIL_CHOICES
from engine.prompts import detail_label
MENU_ROLES = {"quit": QAction.MenuRole.QuitRole, "settings": QAction.MenuRole.PreferencesRole}


def _tr(text: str) -> str:
    return QCoreApplication.translate("Actions", text)


class Actions(QObject):
    """Each command's QAction is the attribute named by its id (`actions.describe_screen`)."""

    def __init__(self, parent: QObject):
        super().__init__(parent)
        self.by_id: dict[str, QAction] = {}
        for command in COMMANDS:
            if command.window:
                item = self._make(command.id, _tr(command.window.label), command.window.keys,
                                  _tr(command.window.tip))
                if command.id in MENU_ROLES:
                    item.setMenuRole(MENU_ROLES[command.id])
                self.by_id[command.id] = item
                setattr(self, command.id, item)
        self.detail_group = QActionGroup(self)
        self.detail: dict[str, QAction] = {}
        for index, level in enumerate(DETAIL_CHOICES, start=1):
            # Not Ctrl+Alt+digit: that is AltGr+digit on Windows, which types '#', '@', '~' on many layouts.
            action = self._make(f"detail_{level}", _tr("&" + detail_label(level)), [f"Ctrl+Shift+{index}"],
                                _tr("Detail level for new descriptions"))
            action.setCheckable(True)
            self.detail_group.addAction(action)
            self.detail[level] = action

    def _make(self, name: str, text: str, keys, tip: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        sequences = []
        for key in keys:
            sequences.extend(QKeySequence.keyBindings(QKeySequence.StandardKey[key.name])
                             if isinstance(key, StandardKey) else [QKeySequence(key)])
        unique = []
        for sequence in sequences:
            if not sequence.isEmpty() and sequence not in unique:
                unique.append(sequence)
        action.setShortcuts(unique)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        shortcut = unique[0].toString(QKeySequence.SequenceFormat.NativeText) if unique else ""
        action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        action.setStatusTip(tip)
        return action

    def into_main_page(self) -> tuple[QAction, ...]:
        """The actions that move the focus into the main page (off while the setup page shows)."""
        return self.ask, self.show_history, self.show_description

    def all(self) -> list[QAction]:
        return [a for a in self.findChildren(QAction)]
