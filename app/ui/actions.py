"""Every command of the app as one QAction, shared by buttons, menus and the tray.

Shortcuts work while any of our windows has focus. Desktop-wide shortcuts are the
desktop's job: bind keys to `main.py --describe screen` and the like (see README).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from app.storage.settings import DETAIL_CHOICES

DETAIL_LABELS = {"brief": "&Brief", "standard": "&Standard", "detailed": "&Detailed"}


def _tr(text: str) -> str:
    return QCoreApplication.translate("Actions", text)


class Actions(QObject):
    def __init__(self, parent: QObject):
        super().__init__(parent)
        self.describe_screen = self._make("describe_screen", _tr("Describe &screen"), ["Ctrl+1"],
                                          _tr("Capture the screen and describe it"))
        self.describe_window = self._make("describe_window", _tr("Describe active &window"), ["Ctrl+2"],
                                          _tr("Describe the window you were using before this one"))
        self.describe_clipboard = self._make("describe_clipboard", _tr("Describe &clipboard image"),
                                             ["Ctrl+3", "Ctrl+V"],
                                             _tr("Describe the image, or image file, on the clipboard"))
        self.open_image = self._make("open_image", _tr("&Open image..."), [QKeySequence.StandardKey.Open],
                                     _tr("Choose an image file to describe"))
        self.camera = self._make("camera", _tr("C&amera..."), ["Ctrl+4"],
                                 _tr("Take a picture with a camera and describe it"))
        self.describe_again = self._make("describe_again", _tr("Describe a&gain"), ["Ctrl+R"],
                                         _tr("Describe the current image again, with the current detail level"))
        self.stop = self._make("stop", _tr("S&top"), ["Escape"], _tr("Stop describing and speaking"))
        self.copy = self._make("copy", _tr("Co&py description"), ["Ctrl+Shift+C"],
                               _tr("Copy the description and answers to the clipboard"))
        self.ask = self._make("ask", _tr("As&k a question"), ["Ctrl+L"],
                              _tr("Move to the question box to ask about the current image"))
        self.show_history = self._make("show_history", _tr("&History"), ["Ctrl+H"],
                                       _tr("Move to the list of this session's images and descriptions"))
        self.show_description = self._make("show_description", _tr("&Description"), ["Ctrl+D"],
                                           _tr("Move to the description text"))
        self.clear_history = self._make("clear_history", _tr("C&lear history"), [],
                                        _tr("Forget all images and descriptions, including saved ones"))
        self.settings = self._make("settings", _tr("S&ettings..."), [QKeySequence.StandardKey.Preferences, "Ctrl+,"],
                                   _tr("Change the model folder, detail level, language and other settings"))
        self.setup_model = self._make("setup_model", _tr("Set up &model..."), [],
                                      _tr("Choose or convert the model files"))
        self.shortcuts_help = self._make("shortcuts_help", _tr("&Keyboard shortcuts"), ["F1"],
                                         _tr("List the keyboard shortcuts"))
        self.show_window = self._make("show_window", _tr("Show &window"), [], _tr("Show the main window"))
        self.quit = self._make("quit", _tr("&Quit"), [QKeySequence.StandardKey.Quit, "Ctrl+Q"],
                               _tr("Quit the app and stop the model"))
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.settings.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.detail_group = QActionGroup(self)
        self.detail: dict[str, QAction] = {}
        for index, level in enumerate(DETAIL_CHOICES, start=1):
            # Not Ctrl+Alt+digit: that is AltGr+digit on Windows, which types '#', '@', '~' on many layouts.
            action = self._make(f"detail_{level}", _tr(DETAIL_LABELS[level]), [f"Ctrl+Shift+{index}"],
                                _tr("Detail level for new descriptions"))
            action.setCheckable(True)
            self.detail_group.addAction(action)
            self.detail[level] = action

    def _make(self, name: str, text: str, keys: list, tip: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        sequences = []
        for key in keys:
            sequences.extend(QKeySequence.keyBindings(key) if isinstance(key, QKeySequence.StandardKey)
                             else [QKeySequence(key)])
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
