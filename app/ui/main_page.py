"""The main page: action buttons, detail level, the description, the question box, the history.

Tab order follows reading order: buttons, detail level, description, question, Ask,
history. The description is read-only but focusable and selectable by keyboard, and
Tab leaves it (no trap). Fonts come from the system, scaled, never fixed sizes, and no
colours are set, so high-contrast themes apply unchanged.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QAction, QTextCursor
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QPlainTextEdit,
                               QPushButton, QSplitter, QToolButton, QVBoxLayout, QWidget)

from app.settings import DETAIL_CHOICES
from app.ui.actions import DETAIL_LABELS, Actions

DESCRIPTION_FONT_SCALE = 1.3  # relative to the system font, so the user's text scaling still applies


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainPage", text)


def action_button(action: QAction, name: str, description: str) -> QToolButton:
    button = QToolButton()
    button.setDefaultAction(action)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    button.setAccessibleName(name)
    button.setAccessibleDescription(description)
    button.setObjectName(action.objectName() + "_button")
    return button


class MainPage(QWidget):
    question_asked = Signal(str)
    detail_chosen = Signal(str)

    def __init__(self, actions: Actions, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("main_page")
        layout = QVBoxLayout(self)
        self.buttons = []
        row = QHBoxLayout()
        for action in (actions.describe_screen, actions.describe_window, actions.describe_clipboard,
                       actions.open_image, actions.camera, actions.stop, actions.copy):
            button = action_button(action, action.text().replace("&", ""), action.toolTip())
            self.buttons.append(button)
            row.addWidget(button)
        row.addStretch(1)
        self.detail_label = QLabel(_tr("Detail &level:"))
        self.detail_combo = QComboBox()
        self.detail_combo.setObjectName("detail_combo")
        for level in DETAIL_CHOICES:
            self.detail_combo.addItem(_tr(DETAIL_LABELS[level].replace("&", "")), level)
        self.detail_combo.setAccessibleName(_tr("Detail level"))
        self.detail_combo.setAccessibleDescription(_tr("Brief is fastest; detailed reads all visible text"))
        self.detail_label.setBuddy(self.detail_combo)
        self.detail_combo.activated.connect(lambda i: self.detail_chosen.emit(self.detail_combo.itemData(i)))
        row.addWidget(self.detail_label)
        row.addWidget(self.detail_combo)
        layout.addLayout(row)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        self.description_label = QLabel(_tr("Des&cription:"))
        self.description = QPlainTextEdit()
        self.description.setObjectName("description_view")
        self.description.setReadOnly(True)
        self.description.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                                 | Qt.TextInteractionFlag.TextSelectableByMouse)
        self.description.setTabChangesFocus(True)
        self.description.setAccessibleName(_tr("Description"))
        self.description.setAccessibleDescription(_tr("The description of the current image, and answers to "
                                                      "your questions. Read-only; select and copy freely."))
        self.description.setPlaceholderText(_tr("Descriptions appear here. Describe the screen, a window, "
                                                "the clipboard, a camera picture, or drop an image here."))
        font = self.description.font()
        font.setPointSizeF(font.pointSizeF() * DESCRIPTION_FONT_SCALE)
        self.description.setFont(font)
        self.description_label.setBuddy(self.description)
        top_layout.addWidget(self.description_label)
        top_layout.addWidget(self.description, 1)

        ask_row = QHBoxLayout()
        self.question_label = QLabel(_tr("&Question about this image:"))
        self.question = QLineEdit()
        self.question.setObjectName("question_box")
        self.question.setAccessibleName(_tr("Question about this image"))
        self.question.setAccessibleDescription(_tr("Type a follow-up question and press Enter"))
        self.question.setClearButtonEnabled(True)
        self.question_label.setBuddy(self.question)
        self.ask_button = QPushButton(_tr("As&k"))
        self.ask_button.setObjectName("ask_button")
        self.ask_button.setAccessibleName(_tr("Ask"))
        self.ask_button.setAccessibleDescription(_tr("Ask the question about the current image"))
        self.question.returnPressed.connect(self._ask)
        self.ask_button.clicked.connect(self._ask)
        ask_row.addWidget(self.question_label)
        ask_row.addWidget(self.question, 1)
        ask_row.addWidget(self.ask_button)
        top_layout.addLayout(ask_row)

        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        self.history_label = QLabel(_tr("&History (Enter reopens):"))
        self.history = QListWidget()
        self.history.setObjectName("history_list")
        self.history.setAccessibleName(_tr("History"))
        self.history.setAccessibleDescription(_tr("This session's images and descriptions, newest last. "
                                                  "Press Enter to reopen one."))
        self.history_label.setBuddy(self.history)
        bottom_layout.addWidget(self.history_label)
        bottom_layout.addWidget(self.history, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)

        chain = [*self.buttons, self.detail_combo, self.description, self.question, self.ask_button, self.history]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def _ask(self) -> None:
        text = self.question.text().strip()
        self.question_asked.emit(text)

    def set_detail(self, level: str) -> None:
        index = self.detail_combo.findData(level)
        if index >= 0:
            self.detail_combo.setCurrentIndex(index)

    # --- the description text: written without moving the reader's cursor ----------------
    def set_text(self, text: str) -> None:
        self.description.setPlainText(text)

    def append_text(self, text: str) -> None:
        cursor = QTextCursor(self.description.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)

    def text(self) -> str:
        return self.description.toPlainText()
