"""The dialogs the window opens on request, and what their answers do: an image file or a camera
picture to describe or read, the settings (a change to how the engine runs restarts it), the
shortcuts' help. Each opens without blocking the event loop and is deleted when it closes.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QFileDialog

from app.describe.controller import Controller
from app.hotkeys import HotkeyManager
from app.model.model_setup import ModelSetup
from app.speech.speech_link import SpeechLink
from app.storage.settings import ENGINE_SETTINGS, Settings
from app.ui.actions import Actions
from app.ui.main_window import MENU_BAR_KEY, MainWindow
from app.ui.reporter import Reporter
from app.ui.shortcuts_help import ShortcutsDialog, help_text

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff);;All files (*)"


def _tr(text: str) -> str:
    return QCoreApplication.translate("Application", text)


class Dialogs:
    def __init__(self, window: MainWindow, actions: Actions, settings: Settings, speech: SpeechLink,
                 controller: Controller, setup: ModelSetup, reporter: Reporter, hotkeys: HotkeyManager,
                 run_command: Callable[[dict], None]):
        self.window, self.actions, self.settings, self.speech = window, actions, settings, speech
        self.controller, self.setup, self.reporter, self.hotkeys = controller, setup, reporter, hotkeys
        self._run_command = run_command  # a chosen file goes the way a forwarded one does

    def open_image(self, is_read: bool = False) -> None:
        """Choose an image file to describe, or with `is_read` to read its text."""
        dialog = QFileDialog(self.window, _tr("Open an image to read") if is_read else _tr("Open an image to describe"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(_tr(IMAGE_FILTER))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        command = "read-file" if is_read else "describe-file"
        dialog.fileSelected.connect(lambda path: self._run_command({"command": command, "path": path}))
        dialog.open()

    def open_camera(self, is_read: bool = False) -> None:
        from app.ui.camera_dialog import CameraDialog

        dialog = CameraDialog(self.window, link=self.speech)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.captured.connect(lambda rgb: self._from_camera(rgb, is_read))
        dialog.open()
        dialog.start()

    def _from_camera(self, rgb, is_read: bool) -> None:
        describe = lambda: self.controller.describe_image(rgb, _tr("Camera picture"))  # noqa: E731
        self.controller.read_text(describe) if is_read else describe()

    def open_settings(self) -> None:
        from app.ui.settings_dialog import SettingsDialog

        before = tuple(self.settings.get(s) for s in ENGINE_SETTINGS)
        dialog = SettingsDialog(self.settings, self.window, speech=self.speech)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._after_settings(before))
        dialog.open()

    def _after_settings(self, before: tuple) -> None:
        if tuple(self.settings.get(s) for s in ENGINE_SETTINGS) != before:
            self.setup.restart()
        self.reporter.report(_tr("Settings saved."))

    def show_shortcuts(self) -> None:
        dialog = ShortcutsDialog(help_text(self.actions, MENU_BAR_KEY, self.hotkeys.results()), self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
