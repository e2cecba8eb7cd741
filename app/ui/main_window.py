"""The main window: menus, the two pages (setup, main), the status line, drag and drop.

The window shows and forwards; app/describe/controller.py decides. The status line is a
focusable, selectable label so the last status or error can be reached with Tab and
read again; every status is also announced by the controller. Long statuses wrap, so
nothing is cut off at 200% scaling. While the setup page shows, the actions that would
move the focus into the (hidden) main page are off. F10 opens the menu bar, as on
Windows and in GNOME and KDE applications.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (QFrame, QLabel, QLayout, QMainWindow, QMenu, QScrollArea, QSizePolicy,
                               QStackedWidget, QWidget)

from app.capture.errors import CaptureError
from app.capture.mime import ImageSource, can_accept, source_from_mime
from app.ui.actions import Actions
from app.ui.first_run_page import FirstRunPage
from app.ui.main_page import MainPage
from app.ui.screen_fit import fit_to_screen
from app.ui.tray import app_icon
from resources import APP_NAME

DEFAULT_SIZE = QSize(960, 720)
MENU_BAR_KEY = "F10"


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


class MainWindow(QMainWindow):
    image_dropped = Signal(object)  # ImageSource
    drop_failed = Signal(str)
    close_finished = Signal()  # the window closed for good: quit

    def __init__(self, actions: Actions, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("main_window")
        self.setWindowTitle(_tr(APP_NAME))
        self.setWindowIcon(app_icon())
        self.setAccessibleName(_tr(APP_NAME))
        self.setAcceptDrops(True)
        self.actions = actions
        self.should_hide_on_close: Callable[[], bool] = lambda: False

        self.pages = QStackedWidget()
        self.first_run = FirstRunPage()
        self.main_page = MainPage(actions)
        self.pages.addWidget(self.main_page)
        self.first_run_scroll = QScrollArea()  # its instructions are long: at 200% they need to scroll
        self.first_run_scroll.setObjectName("first_run_scroll")
        self.first_run_scroll.setWidgetResizable(True)
        self.first_run_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.first_run_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.first_run_scroll.setWidget(self.first_run)
        self.pages.addWidget(self.first_run_scroll)
        self.setCentralWidget(self.pages)

        self.status_label = QLabel()
        self.status_label.setObjectName("status_label")
        # No accessible name: a label's name is its text, so screen readers read the status itself
        # (a fixed name "Status" replaced it), and each change sends a name-changed event.
        self.status_label.setAccessibleDescription(_tr("Status"))
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                                  | Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.status_label.setWordWrap(True)
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().setSizeGripEnabled(False)
        # A fixed-height status bar takes the wrapped label's size hint, sized for a narrow guess at its
        # width (five lines for two lines' worth); preferred lets it take the height its width needs.
        self.statusBar().setSizePolicy(self.statusBar().sizePolicy().horizontalPolicy(),
                                       QSizePolicy.Policy.Preferred)
        QWidget.setTabOrder(self.main_page.history, self.status_label)
        self._build_menus()
        menu_key = QShortcut(QKeySequence(MENU_BAR_KEY), self)
        menu_key.activated.connect(self.open_menu_bar)
        fit_to_screen(self, DEFAULT_SIZE)

    def _build_menus(self) -> None:
        a = self.actions
        describe = self.menuBar().addMenu(_tr("&Describe"))
        for action in (a.describe_screen, a.describe_window, a.describe_clipboard, a.open_image, a.camera,
                       a.describe_again, None, a.stop, None, a.quit):
            describe.addSeparator() if action is None else describe.addAction(action)
        read = self.menuBar().addMenu(_tr("&Text"))
        for action in (a.read_screen, a.read_window, a.read_clipboard, a.read_file, a.read_camera):
            read.addAction(action)
        edit = self.menuBar().addMenu(_tr("&Edit"))
        for action in (a.copy, a.ask, None, a.clear_history, None, a.setup_model, a.settings):
            edit.addSeparator() if action is None else edit.addAction(action)
        view = self.menuBar().addMenu(_tr("&View"))
        detail: QMenu = view.addMenu(_tr("Detail &level"))
        for action in a.detail.values():
            detail.addAction(action)
        view.addAction(a.show_description)
        view.addAction(a.show_history)
        help_menu = self.menuBar().addMenu(_tr("&Help"))
        help_menu.addAction(a.shortcuts_help)
        # Menus hidden by a global menu bar must still have working shortcuts.
        for action in a.all():
            self.addAction(action)

    # --- pages and status ---------------------------------------------------------------
    def open_menu_bar(self) -> None:
        """F10: the first menu opens, as Alt does on Windows (a global menu bar is the desktop's)."""
        bar = self.menuBar()
        if not bar.isNativeMenuBar() and bar.actions():
            bar.setActiveAction(bar.actions()[0])

    def show_setup(self) -> None:
        self.pages.setCurrentWidget(self.first_run_scroll)
        self._enable_main_page_actions(False)

    def show_main(self) -> None:
        self.pages.setCurrentWidget(self.main_page)
        self._enable_main_page_actions(True)

    def is_setup_shown(self) -> bool:
        return self.pages.currentWidget() is self.first_run_scroll

    def _enable_main_page_actions(self, is_enabled: bool) -> None:
        for action in self.actions.into_main_page():
            action.setEnabled(is_enabled)

    def focus_main_page(self, widget: QWidget) -> bool:
        """Move the focus to a control of the main page, only while that page shows (never into a hidden one)."""
        if self.is_setup_shown():
            return False
        widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return True

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)
        # QStatusBar's inner layouts keep the height they computed for the old text, so a status that
        # wraps to more lines would stay one line high (cut off) until the next resize.
        for layout in self.statusBar().findChildren(QLayout):
            layout.invalidate()
        self._fit_status()

    def _fit_status(self) -> None:
        """The status line's wrapped height is part of the window's minimum: the page above never gets squeezed."""
        bar = self.statusBar()
        bar.setMinimumHeight(max(0, bar.heightForWidth(self.width())))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_status()

    def own_handles(self) -> set[int]:
        """Native ids of our top-level windows, to tell them from the user's."""
        from PySide6.QtWidgets import QApplication

        return {int(w.winId()) for w in QApplication.topLevelWidgets() if w.isWindow() and w.testAttribute(
            Qt.WidgetAttribute.WA_WState_Created)}

    # --- drag and drop -------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if can_accept(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if can_accept(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        try:
            source: ImageSource = source_from_mime(event.mimeData(), "drop")
        except CaptureError as exc:
            event.ignore()
            self.drop_failed.emit(str(exc))
            return
        event.acceptProposedAction()
        self.image_dropped.emit(source)

    # --- closing -------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.should_hide_on_close():
            event.ignore()
            self.hide()
            return
        event.accept()
        self.close_finished.emit()
