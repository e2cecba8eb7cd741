"""Platform knowledge the capture actions need: where the pointer is, and what a black capture means."""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QCursor, QGuiApplication


def _tr(text: str) -> str:
    return QCoreApplication.translate("Capture", text)


def black_capture_advice() -> str:
    if sys.platform == "darwin":
        return _tr("If this is unexpected: allow Screen Recording for this app in System Settings, Privacy and "
                   "Security, then restart the app. A screen curtain or a locked screen also gives a black picture.")
    return _tr("If this is unexpected: turn off your screen reader's screen curtain, unlock the screen, or wake "
               "the display, then try again.")


def pointer_position() -> tuple[int, int]:
    """The mouse pointer in the pixels mss uses (physical pixels; points on macOS)."""
    pos = QCursor.pos()
    screen = QGuiApplication.screenAt(pos) or QGuiApplication.primaryScreen()
    if screen is None or sys.platform == "darwin":
        return pos.x(), pos.y()
    origin, ratio = screen.geometry().topLeft(), screen.devicePixelRatio()
    return (round(origin.x() + (pos.x() - origin.x()) * ratio), round(origin.y() + (pos.y() - origin.y()) * ratio))
