"""Camera: choose a device, a large live preview for low-vision users, Space takes the picture.

Frames arrive through a QVideoSink; the latest is kept and shown scaled to the
preview, which grows with the dialog. No camera, a busy camera and a refused
permission each get a plain message that is shown in the dialog and announced.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QCameraPermission, QCoreApplication, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtMultimedia import QCamera, QCameraDevice, QMediaCaptureSession, QMediaDevices, QVideoFrame, QVideoSink
from PySide6.QtWidgets import (QComboBox, QDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout,
                               QWidget)

from app.capture.qimage import qimage_to_rgb
from app.ui.announcer import Announcer

PREVIEW_MIN = (320, 240)


def _tr(text: str) -> str:
    return QCoreApplication.translate("CameraDialog", text)


class CameraDialog(QDialog):
    captured = Signal(object)  # RGB array

    def __init__(self, parent: QWidget | None = None, devices: list[QCameraDevice] | None = None,
                 permission: Callable[[], Qt.PermissionStatus] | None = None, link=None):
        super().__init__(parent)
        self.setWindowTitle(_tr("Camera"))
        self.setObjectName("camera_dialog")
        self._devices = list(QMediaDevices.videoInputs() if devices is None else devices)
        self._permission = permission or (lambda: QCoreApplication.instance().checkPermission(QCameraPermission()))
        self._camera: QCamera | None = None
        self._frame: QImage | None = None
        self.announcer = Announcer(self, self, link=link)  # link: the app's SpeechLink, for the channel

        self.device_label = QLabel(_tr("&Camera:"))
        self.device_combo = QComboBox()
        self.device_combo.setObjectName("camera_combo")
        self.device_combo.setAccessibleName(_tr("Camera"))
        self.device_combo.setAccessibleDescription(_tr("Which camera to use"))
        for device in self._devices:
            self.device_combo.addItem(device.description(), device.id())
        self.device_label.setBuddy(self.device_combo)
        self.device_combo.currentIndexChanged.connect(self._start_camera)

        self.preview = QLabel()
        self.preview.setObjectName("camera_preview")
        self.preview.setAccessibleName(_tr("Camera preview"))
        self.preview.setAccessibleDescription(_tr("The live camera picture. Press Space to take the picture."))
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(*PREVIEW_MIN)
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        self.message = QLabel()
        self.message.setObjectName("camera_message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.message.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.message.setAccessibleName(_tr("Camera status"))

        self.capture_button = QPushButton(_tr("&Take picture (Space)"))
        self.capture_button.setObjectName("take_picture_button")
        self.capture_button.setAccessibleName(_tr("Take picture"))
        self.capture_button.setAccessibleDescription(_tr("Describe what the camera sees now"))
        self.capture_button.clicked.connect(self.take_picture)
        self.close_button = QPushButton(_tr("Close"))
        self.close_button.setAccessibleName(_tr("Close"))
        self.close_button.clicked.connect(self.reject)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, self.take_picture)

        top = QHBoxLayout()
        top.addWidget(self.device_label)
        top.addWidget(self.device_combo, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.capture_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

        self.sink = QVideoSink(self)
        self.sink.videoFrameChanged.connect(self._on_frame)
        self._session = QMediaCaptureSession(self)
        self._session.setVideoSink(self.sink)

    def start(self) -> None:
        """Check the permission and the devices, then start the chosen camera."""
        status = self._permission()
        if status == Qt.PermissionStatus.Undetermined:
            QCoreApplication.instance().requestPermission(QCameraPermission(), self, lambda _: self.start())
            self._say(_tr("Waiting for permission to use the camera."))
            return
        if status == Qt.PermissionStatus.Denied:
            self._fail(_tr("This app is not allowed to use the camera. Allow camera access for it in your "
                           "system's privacy settings, then open the camera again."))
            return
        if not self._devices:
            self._fail(_tr("No camera was found. Connect a camera, then open this again."))
            return
        self._start_camera()

    def _start_camera(self) -> None:
        self._stop_camera()
        index = max(0, self.device_combo.currentIndex())
        self._frame = None
        self.capture_button.setEnabled(False)
        self._camera = QCamera(self._devices[index], self)
        self._camera.errorOccurred.connect(self._on_camera_error)
        self._session.setCamera(self._camera)
        self._camera.start()
        self._say(_tr("Camera {0} on. Press Space to take the picture.").format(self._devices[index].description()))

    def _stop_camera(self) -> None:
        if self._camera is not None:
            self._camera.stop()
            self._session.setCamera(None)
            self._camera.deleteLater()
            self._camera = None

    def _on_camera_error(self, error: QCamera.Error, text: str) -> None:
        if error == QCamera.Error.NoError:
            return
        self._stop_camera()
        self._fail(_tr("The camera could not be started. It may be in use by another app, or unplugged: "
                       "close other apps that use it and try again. ({0})").format(text or _tr("no details")))

    def _on_frame(self, frame: QVideoFrame) -> None:
        image = frame.toImage() if frame.isValid() else QImage()
        if image.isNull():
            return
        self._frame = image
        if not self.capture_button.isEnabled():
            self.capture_button.setEnabled(True)
        self.preview.setPixmap(QPixmap.fromImage(image).scaled(
            self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))

    def take_picture(self) -> None:
        if self._frame is None:
            self._say(_tr("No picture from the camera yet. Wait a moment, then try again."), is_assertive=True)
            return
        rgb = qimage_to_rgb(self._frame)
        self._stop_camera()
        self.captured.emit(rgb)
        self.accept()

    def _fail(self, text: str) -> None:
        self.capture_button.setEnabled(False)
        self._say(text, is_assertive=True)
        self.message.setFocus()  # inside our own dialog the user just opened: the message is what matters

    def _say(self, text: str, is_assertive: bool = False) -> None:
        self.message.setText(text)
        self.announcer.announce(text, is_assertive)

    def done(self, result: int) -> None:
        self._stop_camera()
        self.announcer.shutdown()
        super().done(result)
