"""The main window: menus, the two pages (setup, main), the status line, drag and drop.

The window shows and forwards; app/controller.py decides. The status line is a
focusable, selectable label so the last status or error can be reached with Tab and
read again; every status is also announced by the controller.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QStackedWidget, QWidget

from app.capture.errors import CaptureError
from app.capture.mime import ImageSource, can_accept, source_from_mime
from app.ui.actions import Actions
from app.ui.first_run_page import FirstRunPage
from app.ui.main_page import MainPage
from app.ui.tray import app_icon

DEFAULT_SIZE = (960, 720)


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


class MainWindow(QMainWindow):
    image_dropped = Signal(object)  # ImageSource
    drop_failed = Signal(str)
    close_finished = Signal()  # the window closed for good: quit

    def __init__(self, actions: Actions, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("main_window")
        self.setWindowTitle(_tr("VisionPangu Assistant"))
        self.setWindowIcon(app_icon())
        self.setAccessibleName(_tr("VisionPangu Assistant"))
        self.resize(*DEFAULT_SIZE)
        self.setAcceptDrops(True)
        self.actions = actions
        self.should_hide_on_close: Callable[[], bool] = lambda: False

        self.pages = QStackedWidget()
        self.first_run = FirstRunPage()
        self.main_page = MainPage(actions)
        self.pages.addWidget(self.main_page)
        self.pages.addWidget(self.first_run)
        self.setCentralWidget(self.pages)

        self.status_label = QLabel()
        self.status_label.setObjectName("status_label")
        # No accessible name: a label's name is its text, so screen readers read the status itself
        # (a fixed name "Status" replaced it), and each change sends a name-changed event.
        self.status_label.setAccessibleDescription(_tr("Status"))
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                                  | Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().setSizeGripEnabled(False)
        QWidget.setTabOrder(self.main_page.history, self.status_label)
        self._build_menus()

    def _build_menus(self) -> None:
        a = self.actions
        describe = self.menuBar().addMenu(_tr("&Describe"))
        for action in (a.describe_screen, a.describe_window, a.describe_clipboard, a.open_image, a.camera,
                       a.describe_again, None, a.stop, None, a.quit):
            describe.addSeparator() if action is None else describe.addAction(action)
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
    def show_setup(self) -> None:
        self.pages.setCurrentWidget(self.first_run)

    def show_main(self) -> None:
        self.pages.setCurrentWidget(self.main_page)

    def is_setup_shown(self) -> bool:
        return self.pages.currentWidget() is self.first_run

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

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
