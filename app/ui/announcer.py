"""Screen-reader announcements that never move focus, by whatever channel the user's screen reader hears.

- Announcements: Qt 6.8's QAccessibleAnnouncementEvent reaches NVDA, JAWS and Narrator
  (UIA notifications), VoiceOver and Orca 46+ (AT-SPI announcements) as speech and braille.
- Speech Dispatcher, for Orca releases that ignore announcements (app/speech/route.py
  decides; app/speech/speech_dispatcher.py sends). The announcement is sent as well, for
  any other assistive tool that listens.
- On Windows with NVDA running and its controller client shipped, text goes to NVDA's own
  speech queue instead, so Stop can silence it too (`cancel()`).
- Text that cannot go out yet (Qt's accessibility is not active because no assistive tool
  has connected, or the window is not on screen yet) is kept and delivered, in order, as
  soon as it can be heard: startup messages are not lost. Text Speech Dispatcher could not
  take is spoken by the app's own voice instead, so nothing is silently dropped.
`announced` repeats each text when it is handed over; `delivered` says when and how it left.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent

from app.speech.route import CHANNEL_SPEECH_DISPATCHER

PENDING_LIMIT = 20  # startup messages kept while nothing can hear them; the oldest go first
PENDING_POLL_MS = 250
CHANNEL_NVDA, CHANNEL_QT, CHANNEL_VOICE = "nvda", "announcement", "voice"


class Announcer(QObject):
    announced = Signal(str, bool)  # text, is_assertive
    delivered = Signal(str, str)  # text, channel: "nvda", "announcement", "speech_dispatcher" or "voice"
    _undelivered = Signal(str)  # from Speech Dispatcher's thread

    def __init__(self, source: QObject, parent: QObject | None = None, *, link=None, nvda=None,
                 speech_dispatcher=None):
        super().__init__(parent)
        self._source = source  # the widget the announcement appears to come from
        self._link = link  # app.speech.speech_link.SpeechLink: its route says the channel; its voice is the fallback
        if nvda is None:
            from app.speech.screen_reader import NvdaController

            nvda = NvdaController.load()
        self._nvda = nvda  # None where there is no NVDA controller client (not Windows, not shipped)
        self._speech_dispatcher = speech_dispatcher  # made when first needed
        self._pending: deque[tuple[str, bool]] = deque(maxlen=PENDING_LIMIT)
        self._timer = QTimer(self, interval=PENDING_POLL_MS)
        self._timer.timeout.connect(self._flush)
        self._undelivered.connect(self._speak_instead)

    def announce(self, text: str, is_assertive: bool = False) -> None:
        text = text.strip()
        if not text:
            return
        self.announced.emit(text, is_assertive)
        self._deliver(text, is_assertive)

    def _deliver(self, text: str, is_assertive: bool) -> None:
        if self._nvda is not None and self._nvda.is_running():
            if is_assertive:
                self._nvda.cancel()
            if self._nvda.speak(text):
                self.delivered.emit(text, CHANNEL_NVDA)
                return
        if self._channel() == CHANNEL_SPEECH_DISPATCHER:
            channel = self._dispatcher()
            if is_assertive:
                channel.cancel()
            channel.speak(text)
            self._post(text, is_assertive)  # for other assistive tools; the delivery that counts is above
            self.delivered.emit(text, CHANNEL_SPEECH_DISPATCHER)
            return
        if self._pending or not self._can_post():
            self._pending.append((text, is_assertive))
            self._timer.start()
            return
        self._post(text, is_assertive)
        self.delivered.emit(text, CHANNEL_QT)

    def cancel(self) -> None:
        """Silence what the screen reader is saying for us, where that is possible (NVDA, Speech Dispatcher)."""
        self._pending.clear()
        if self._nvda is not None and self._nvda.is_running():
            self._nvda.cancel()
        if self._speech_dispatcher is not None:
            self._speech_dispatcher.cancel()

    def pending(self) -> list[str]:
        return [text for text, _ in self._pending]

    def shutdown(self) -> None:
        self._timer.stop()
        if self._speech_dispatcher is not None:
            self._speech_dispatcher.close()

    def _channel(self) -> str:
        return self._link.route.channel if self._link is not None else ""

    def _dispatcher(self):
        if self._speech_dispatcher is None:
            from app.speech.speech_dispatcher import SpeechDispatcherChannel

            self._speech_dispatcher = SpeechDispatcherChannel(self._undelivered.emit)
        return self._speech_dispatcher

    def _can_post(self) -> bool:
        """Qt drops announcements while no assistive tool is connected, and before the window is on screen."""
        if not QAccessible.isActive():
            return False
        window = self._source.window() if hasattr(self._source, "window") else None
        if window is None or not window.isVisible():
            return True  # started hidden (in the tray): there is no window to wait for
        handle = window.windowHandle()
        return handle is not None and handle.isExposed()

    def _flush(self) -> None:
        if self._channel() == CHANNEL_SPEECH_DISPATCHER or self._can_post():
            self._timer.stop()
            pending, self._pending = list(self._pending), deque(maxlen=PENDING_LIMIT)
            for text, is_assertive in pending:
                self._deliver(text, is_assertive)

    def _post(self, text: str, is_assertive: bool) -> None:
        event = QAccessibleAnnouncementEvent(self._source, text)
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive if is_assertive
                            else QAccessible.AnnouncementPoliteness.Polite)
        QAccessible.updateAccessibility(event)

    def _speak_instead(self, text: str) -> None:
        if self._link is not None:
            self._link.speech.say(text)
            self.delivered.emit(text, CHANNEL_VOICE)
