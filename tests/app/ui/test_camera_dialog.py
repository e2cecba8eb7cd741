"""The camera dialog: no camera, a refused permission, a busy camera, and Space taking a picture.

This machine has no camera, so "no camera" is tested for real. Where a camera is
needed, frames are pushed into the dialog's real QVideoSink (what a QCamera does),
and the device list, permission answer and device error are stand-ins (MOCK: no camera
device, permission prompt or camera driver can exist here); each says so below.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QCamera, QMediaDevices, QVideoFrame

from app.ui.camera_dialog import CameraDialog
from tests.app.helpers import Announcements


def _frame(colour: int) -> QVideoFrame:
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(colour)
    return QVideoFrame(image)


def test_no_camera_is_said_plainly(qtbot):
    assert QMediaDevices.videoInputs() == []  # true on this machine: nothing mocked
    dialog = CameraDialog()
    qtbot.addWidget(dialog)
    heard = Announcements(dialog.announcer)
    dialog.open()
    dialog.start()
    assert dialog.message.text().startswith("No camera was found")
    assert heard.errors() == [dialog.message.text()]
    assert not dialog.capture_button.isEnabled()


def test_a_refused_permission_says_where_to_allow_it(qtbot):
    # MOCK: the permission answer; Linux never asks, macOS and Windows can refuse.
    dialog = CameraDialog(devices=[], permission=lambda: Qt.PermissionStatus.Denied)
    qtbot.addWidget(dialog)
    dialog.start()
    assert "not allowed to use the camera" in dialog.message.text()
    assert "privacy settings" in dialog.message.text()


def test_space_takes_the_latest_frame_from_the_live_preview(qtbot):
    dialog = CameraDialog(devices=[])
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)  # the Space shortcut belongs to the active window
    heard = Announcements(dialog.announcer)
    qtbot.keyClick(dialog, Qt.Key.Key_Space)  # before any frame: a plain message, nothing captured
    assert heard.errors() == ["No picture from the camera yet. Wait a moment, then try again."]
    # MOCK: frames are what a QCamera would deliver to this real sink.
    dialog.sink.setVideoFrame(_frame(0x102030))
    dialog.sink.setVideoFrame(_frame(0x405060))
    assert not dialog.preview.pixmap().isNull() and dialog.capture_button.isEnabled()
    with qtbot.waitSignal(dialog.captured) as blocker:
        qtbot.keyClick(dialog.capture_button, Qt.Key.Key_Space)
    rgb = blocker.args[0]
    assert isinstance(rgb, np.ndarray) and rgb.shape == (48, 64, 3)
    assert rgb[10, 10].tolist() == [0x40, 0x50, 0x60]  # the latest frame
    assert not dialog.isVisible()


def test_a_busy_or_unplugged_camera_is_reported(qtbot):
    dialog = CameraDialog(devices=[])
    qtbot.addWidget(dialog)
    heard = Announcements(dialog.announcer)
    # MOCK: the error a QCamera reports when another app holds the device.
    dialog._on_camera_error(QCamera.Error.CameraError, "Device or resource busy")
    assert "in use by another app" in dialog.message.text() and "Device or resource busy" in dialog.message.text()
    assert heard.errors() and not dialog.capture_button.isEnabled()


def test_the_app_describes_the_camera_picture(make_app, model_dir, qtbot):
    from PySide6.QtWidgets import QApplication

    from tests.app.helpers import start_ready, wait_idle

    application = start_ready(make_app(), qtbot)
    application.actions.camera.trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, CameraDialog) and w.isVisible())
    assert dialog.message.text().startswith("No camera was found")
    # MOCK: a frame as a camera would deliver it.
    noise = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    image = QImage(noise.data, 64, 48, 64 * 3, QImage.Format.Format_RGB888).copy()
    dialog.sink.setVideoFrame(QVideoFrame(image))
    dialog.take_picture()
    wait_idle(application, qtbot)
    assert application.entries[-1].source == "Camera picture" and application.page.text()
