"""The main page: action buttons, detail level, the description, the question box, the history.

Tab order follows reading order: buttons, detail level, description, question, Ask,
history. The description is read-only but focusable and selectable by keyboard, and
Tab leaves it (no trap). Fonts come from the system, scaled by the user's text-size
setting, never fixed sizes, and no colours are set, so high-contrast themes apply unchanged.
The buttons wrap into more rows when the window is narrow (200% scaling on a small
screen), and the description and history shrink to a few lines before anything is cut off.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
from PySide6.QtGui import QAction, QFont, QTextCursor
from PySide6.QtWidgets import (QBoxLayout, QComboBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QPlainTextEdit,
                               QPushButton, QSplitter, QToolButton, QVBoxLayout, QWidget)

from app.storage.settings import DESCRIPTION_TEXT_SIZE, DETAIL_CHOICES
from app.ui.actions import Actions
from app.ui.flow_layout import FlowLayout
from engine.prompts import detail_label

MIN_VIEW_LINES = 2  # the description and the history shrink to this many lines, no further
# About 480 px with the usual 9 pt font: within the 683 px a 1366 px screen has at 200%,
# and wide enough that the buttons take three rows, not seven.
MIN_PAGE_WIDTH_CHARS = 80
VIEW_PADDING = 8  # px: QPlainTextEdit's document margin (4) above and below the lines


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


def _pane(layout_type: type[QBoxLayout]) -> tuple[QWidget, QBoxLayout]:
    """A widget with a layout of no margins of its own: a row or a column inside the page."""
    widget = QWidget()
    layout = layout_type(widget)
    layout.setContentsMargins(0, 0, 0, 0)
    return widget, layout

class MainPage(QWidget):
    question_asked = Signal(str)
    detail_chosen = Signal(str)

    def __init__(self, actions: Actions, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("main_page")
        layout = QVBoxLayout(self)
        self.buttons = []
        row = self._button_rows = FlowLayout()
        for action in (actions.describe_screen, actions.describe_window, actions.describe_clipboard,
                       actions.open_image, actions.camera, actions.read_screen, actions.stop, actions.copy):
            button = action_button(action, action.text().replace("&", ""), action.toolTip())
            self.buttons.append(button)
            row.addWidget(button)
        self.detail_label = QLabel(_tr("Detail &level:"))
        self.detail_combo = QComboBox()
        self.detail_combo.setObjectName("detail_combo")
        for level in DETAIL_CHOICES:
            self.detail_combo.addItem(_tr(detail_label(level)), level)
        self.detail_combo.setAccessibleName(_tr("Detail level"))
        self.detail_combo.setAccessibleDescription(_tr("Brief is fastest; detailed reads all visible text"))
        self.detail_label.setBuddy(self.detail_combo)
        self.detail_combo.activated.connect(lambda i: self.detail_chosen.emit(self.detail_combo.itemData(i)))
        detail, detail_row = _pane(QHBoxLayout)  # the label stays beside its combo box when the row wraps
        detail_row.addWidget(self.detail_label)
        detail_row.addWidget(self.detail_combo)
        row.addWidget(detail)
        layout.addLayout(row)

        top, top_layout = _pane(QVBoxLayout)
        self.description_label = QLabel(_tr("Desc&ription:"))
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
        self._system_font = QFont(self.description.font())
        self.set_text_size(DESCRIPTION_TEXT_SIZE.default)
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
        for clear in self.question.findChildren(QToolButton):  # Qt's clear button has no name of its own
            clear.setAccessibleName(_tr("Clear the question"))
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

        bottom, bottom_layout = _pane(QVBoxLayout)
        self.history_label = QLabel(_tr("H&istory (Enter reopens):"))
        self.history = QListWidget()
        self.history.setObjectName("history_list")
        self.history.setAccessibleName(_tr("History"))
        self.history.setAccessibleDescription(_tr("This session's images and descriptions, newest last. "
                                                  "Press Enter to reopen one."))
        self.history_label.setBuddy(self.history)
        bottom_layout.addWidget(self.history_label)
        bottom_layout.addWidget(self.history, 1)

        for view in (self.description, self.history):
            # in system-font lines, so a large description text size does not make the window taller
            view.setMinimumHeight(self.fontMetrics().lineSpacing() * MIN_VIEW_LINES + 2 * view.frameWidth()
                                  + VIEW_PADDING)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("description_history_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        # QSplitter lists each widget it adds before the earlier ones among its children, and screen readers
        # read the children in that order (history before description); raising them in order restores it.
        for index in range(self.splitter.count()):
            self.splitter.widget(index).raise_()
        for index in range(self.splitter.count()):
            self.splitter.handle(index).raise_()
            self.splitter.handle(index).setAccessibleName(_tr("Divider between the description and the history"))
        layout.addWidget(self.splitter, 1)

        chain = [*self.buttons, self.detail_combo, self.description, self.question, self.ask_button, self.history]
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    def minimumSizeHint(self) -> QSize:
        """The narrowest the page may be, and the height it needs at that width, button rows included.

        A window's minimum height does not follow height-for-width on its own (Qt applies it
        to layouts, not to top-level windows), so the page states it.
        """
        layout = self.layout()
        margins = layout.contentsMargins()
        width = max(self.fontMetrics().averageCharWidth() * MIN_PAGE_WIDTH_CHARS, layout.minimumSize().width())
        rows = self._button_rows.heightForWidth(width - margins.left() - margins.right())
        return QSize(width, layout.minimumSize().height() - self._button_rows.minimumSize().height() + rows)

    def _ask(self) -> None:
        text = self.question.text().strip()
        self.question_asked.emit(text)

    def set_text_size(self, percent: int) -> None:
        """The description's text at `percent` of the system font; applied at once."""
        font = QFont(self._system_font)
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * percent / 100)
        else:  # a font given in pixels
            font.setPixelSize(max(1, round(font.pixelSize() * percent / 100)))
        self.description.setFont(font)

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

    def clear_question(self) -> None:
        self.question.clear()
