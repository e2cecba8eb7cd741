"""Screen-reader announcements that never move focus.

Qt 6.8's QAccessibleAnnouncementEvent reaches NVDA/JAWS (UIA notifications), VoiceOver
and Orca (AT-SPI announcements) as speech and braille without touching the focus.
On Windows with NVDA running and its controller client shipped, text goes to NVDA's
own speech queue instead, so Stop can silence it too (`cancel()`).
`announced` repeats each one for logs and tests.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent


class Announcer(QObject):
    announced = Signal(str, bool)  # text, is_assertive

    def __init__(self, source: QObject, parent: QObject | None = None, nvda=None):
        super().__init__(parent)
        self._source = source  # the object the announcement appears to come from
        if nvda is None:
            from app.speech.screen_reader import NvdaController

            nvda = NvdaController.load()
        self._nvda = nvda  # None where there is no NVDA controller client (not Windows, not shipped)

    def announce(self, text: str, is_assertive: bool = False) -> None:
        text = text.strip()
        if not text:
            return
        if self._nvda is not None and self._nvda.is_running():
            if is_assertive:
                self._nvda.cancel()
            if self._nvda.speak(text):
                self.announced.emit(text, is_assertive)
                return
        event = QAccessibleAnnouncementEvent(self._source, text)
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive if is_assertive
                            else QAccessible.AnnouncementPoliteness.Polite)
        QAccessible.updateAccessibility(event)
        self.announced.emit(text, is_assertive)

    def cancel(self) -> None:
        """Silence what the screen reader is saying for us, where that is possible (NVDA)."""
        if self._nvda is not None and self._nvda.is_running():
            self._nvda.cancel()
