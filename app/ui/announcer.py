"""Screen-reader announcements that never move focus.

Qt 6.8's QAccessibleAnnouncementEvent reaches NVDA/JAWS (UIA notifications), VoiceOver
and Orca (AT-SPI announcements) as speech and braille without touching the focus.
`announced` repeats each one for logs and tests.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent


class Announcer(QObject):
    announced = Signal(str, bool)  # text, is_assertive

    def __init__(self, source: QObject, parent: QObject | None = None):
        super().__init__(parent)
        self._source = source  # the object the announcement appears to come from

    def announce(self, text: str, is_assertive: bool = False) -> None:
        text = text.strip()
        if not text:
            return
        event = QAccessibleAnnouncementEvent(self._source, text)
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive if is_assertive
                            else QAccessible.AnnouncementPoliteness.Polite)
        QAccessible.updateAccessibility(event)
        self.announced.emit(text, is_assertive)
