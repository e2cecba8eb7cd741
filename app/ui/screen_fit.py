"""Windows sized to the screen they are on, so nothing starts off screen at 200% scaling on a small display.

A size given in device-independent pixels doubles at 200%: the main window's usual
960x720 needs 1920x1440 pixels, more than a 1920x1080 screen has. Each window asks for
what it would like and gets at most what the screen's free area holds, leaving room for
the frame and title bar the window manager adds.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

FRAME_ALLOWANCE = QSize(16, 48)  # device-independent px for a window manager's borders and title bar


def room_on_screen(window: QWidget) -> QSize:
    """The largest window size (without its frame) that the window's screen has room for."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry().size() - FRAME_ALLOWANCE


def fit_to_screen(window: QWidget, wanted: QSize) -> None:
    """Resize to `wanted`, or to the screen's room if that is smaller (never below the window's minimum)."""
    window.resize(wanted.boundedTo(room_on_screen(window)).expandedTo(window.minimumSizeHint()))
