"""The tray icon: the same actions as the window, and the way back to it.

Where the desktop has no system tray (many Wayland and bare X11 sessions), there is
no icon, and closing the window quits instead of hiding it, so the app is never left
running where the user cannot reach it.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.ui.actions import Actions
from resources import APP_NAME

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def app_icon() -> QIcon:
    """An eye on a dark disc: readable on light and dark panels, drawn so no file is needed."""
    icon = QIcon()
    for size in ICON_SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(QColor(20, 60, 110)))
        painter.drawEllipse(QRectF(0, 0, size, size))
        painter.setBrush(QBrush(Qt.GlobalColor.white))
        painter.drawEllipse(QRectF(size * 0.14, size * 0.3, size * 0.72, size * 0.4))
        painter.setBrush(QBrush(QColor(20, 60, 110)))
        painter.setPen(QPen(Qt.GlobalColor.white, max(1.0, size / 32)))
        painter.drawEllipse(QPointF(size / 2, size / 2), size * 0.16, size * 0.16)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


class Tray(QObject):
    def __init__(self, actions: Actions, parent: QObject | None = None):
        super().__init__(parent)
        self.icon: QSystemTrayIcon | None = None
        self.menu = QMenu()
        self.menu.setObjectName("tray_menu")
        for action in (actions.show_window, None, actions.describe_screen, actions.describe_window,
                       actions.describe_clipboard, actions.open_image, actions.camera, actions.read_screen,
                       actions.read_window, actions.read_clipboard, actions.stop,
                       actions.copy, None, actions.settings, actions.quit):
            if action is None:
                self.menu.addSeparator()
            else:
                self.menu.addAction(action)
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon = QSystemTrayIcon(app_icon(), self)
            self.icon.setToolTip(QCoreApplication.translate("Tray", APP_NAME))
            self.icon.setContextMenu(self.menu)
            self.icon.activated.connect(self._on_activated)
            self._show_window = actions.show_window
            self.icon.show()

    def is_available(self) -> bool:
        return self.icon is not None and self.icon.isVisible()

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self._show_window.trigger()

    def notify(self, title: str, text: str) -> None:
        if self.icon is not None:
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information)

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()
