"""Helpers for app tests: images, drops, waiting for the model, recording announcements."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

LOAD_MS = 180000  # generous: CI machines may be busy with other work
REQUEST_MS = 180000


def noise(width: int = 160, height: int = 120, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def png_bytes(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def write_png(path: Path, rgb: np.ndarray | None = None) -> Path:
    path.write_bytes(png_bytes(noise() if rgb is None else rgb))
    return path


def drop(widget, mime: QMimeData) -> bool:
    """A real drag-enter and drop event pair, as the window receives them from a file manager."""
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(QPointF(20, 20), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(QPointF(20, 20), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return True


def file_mime(path: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    return mime


class Announcements:
    """Everything the app announced to screen readers, with politeness."""

    def __init__(self, announcer):
        self.items: list[tuple[str, bool]] = []
        announcer.announced.connect(lambda text, assertive: self.items.append((text, assertive)))

    def texts(self) -> list[str]:
        return [text for text, _ in self.items]

    def errors(self) -> list[str]:
        return [text for text, assertive in self.items if assertive]


def start_ready(application, qtbot, show: bool = True):
    application.start(show=show)
    qtbot.waitUntil(lambda: application.controller.is_model_ready, timeout=LOAD_MS)
    return application


def wait_idle(application, qtbot, timeout: int = REQUEST_MS) -> None:
    qtbot.waitUntil(lambda: application.controller.phase == "idle", timeout=timeout)


def spy_on_second_looks(application) -> list:
    """Records the regions of each second look the app asks the real engine for."""
    engine = application.setup.engine
    looks = []
    refine = engine.refine

    def recording(ticket, conversation, regions):
        looks.append(list(regions))
        refine(ticket, conversation, regions)

    engine.refine = recording
    return looks
