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
- Waiting costs little and ends: PySide6 has no signal for Qt's accessibility coming on
  (QAccessible::installActivationObserver is not bound), so the announcer looks again after
  0.25 s, then twice as long each time up to 8 s, and stops after 10 minutes. A machine with
  no assistive technology is then not woken again. Kept text is still delivered at the next
  chance, each of which starts the looking again: on Linux the desktop turning assistive
  technologies on (app/platform/accessibility_status.py), everywhere the next announcement
  or the window being shown or activated (how a user comes to the app once a screen reader runs).
`announced` repeats each text when it is handed over; `delivered` says when and how it left.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent

from app.speech.route import CHANNEL_SPEECH_DISPATCHER

PENDING_LIMIT = 20  # startup messages kept while nothing can hear them; the oldest go first
PENDING_FIRST_LOOK_MS = 250  # the first wait before looking again whether kept text can be heard
PENDING_LONGEST_LOOK_MS = 8_000  # each wait doubles up to this
PENDING_LOOK_FOR_MS = 600_000  # then the looking stops until something new happens (see the docstring)
WAKE_EVENTS = (QEvent.Type.Show, QEvent.Type.WindowActivate)  # the window appears or the user comes to it
CHANNEL_NVDA, CHANNEL_QT, CHANNEL_VOICE = "nvda", "announcement", "voice"


class Announcer(QObject):
    announced = Signal(str, bool)  # text, is_assertive
    delivered = Signal(str, str)  # text, channel: "nvda", "announcement", "speech_dispatcher" or "voice"
    _undelivered = Signal(str)  # from Speech Dispatcher's thread

    def __init__(self, source: QObject, parent: QObject | None = None, *, link=None, nvda=None,
                 speech_dispatcher=None, status_watch=None):
        super().__init__(parent)
        self._source = source  # the widget the announcement appears to come from
        self._link = link  # app.speech.speech_link.SpeechLink: its route says the channel; its voice is the fallback
        if nvda is None:
            from app.speech.nvda import NvdaController

            nvda = NvdaController.load()
        self._nvda = nvda  # None where there is no NVDA controller client (not Windows, not shipped)
        self._speech_dispatcher = speech_dispatcher  # made when first needed
        self._pending: deque[tuple[str, bool]] = deque(maxlen=PENDING_LIMIT)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._look_again)
        self._waited_ms = 0  # how long kept text has waited since the looking last started
        self._watched = None  # the window whose Show and WindowActivate start the looking again
        self._undelivered.connect(self._speak_instead)
        if status_watch is None:
            from app.platform.accessibility_status import watch_accessibility_status

            status_watch = watch_accessibility_status(self)
        self._status_watch = status_watch  # kept: a watch made without a parent lives as long as the announcer
        if status_watch is not None:  # Linux: the desktop turned assistive technologies on (or off)
            status_watch.changed.connect(self._wake_if_keeping)

    def announce(self, text: str, is_assertive: bool = False) -> None:
        text = text.strip()
        if not text:
            return
        self.announced.emit(text, is_assertive)
        if self._pending:  # kept text goes first, in order
            self._keep(text, is_assertive)
            self._flush()
            return
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
        if not self._can_post():
            self._keep(text, is_assertive)
            return
        self._post(text, is_assertive)
        self.delivered.emit(text, CHANNEL_QT)

    def cancel(self) -> None:
        """Silence what the screen reader is saying for us, where that is possible (NVDA, Speech Dispatcher)."""
        self._pending.clear()
        self._stop_looking()
        if self._nvda is not None and self._nvda.is_running():
            self._nvda.cancel()
        if self._speech_dispatcher is not None:
            self._speech_dispatcher.cancel()

    def pending(self) -> list[str]:
        return [text for text, _ in self._pending]

    def is_looking(self) -> bool:
        """Whether a look at kept text is scheduled (False once the looking has stopped or nothing is kept)."""
        return self._timer.isActive()

    def shutdown(self) -> None:
        self._stop_looking()
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

    def _keep(self, text: str, is_assertive: bool) -> None:
        self._pending.append((text, is_assertive))
        if not self._timer.isActive():
            self._wake()

    def _wake(self) -> None:
        """Start looking again from the shortest wait: something happened that may mean kept text can be heard."""
        self._waited_ms = 0
        self._timer.start(PENDING_FIRST_LOOK_MS)
        window = self._source.window() if hasattr(self._source, "window") else None
        if window is not self._watched:
            self._unwatch()
            if window is not None:
                window.installEventFilter(self)
            self._watched = window

    def _look_again(self) -> None:
        self._flush()
        if not self._pending:
            return
        self._waited_ms += self._timer.interval()
        if self._waited_ms < PENDING_LOOK_FOR_MS:
            self._timer.start(min(self._timer.interval() * 2, PENDING_LONGEST_LOOK_MS))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self._watched and event.type() in WAKE_EVENTS:
            self._wake_if_keeping()
        return False

    def _wake_if_keeping(self) -> None:
        if self._pending:
            self._wake()

    def _flush(self) -> None:
        if not (self._channel() == CHANNEL_SPEECH_DISPATCHER or self._can_post()):
            return
        self._stop_looking()
        pending, self._pending = list(self._pending), deque(maxlen=PENDING_LIMIT)
        for text, is_assertive in pending:
            self._deliver(text, is_assertive)

    def _stop_looking(self) -> None:
        self._timer.stop()
        self._unwatch()

    def _unwatch(self) -> None:
        if self._watched is not None:
            self._watched.removeEventFilter(self)
            self._watched = None

    def _post(self, text: str, is_assertive: bool) -> None:
        event = QAccessibleAnnouncementEvent(self._source, text)
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive if is_assertive
                            else QAccessible.AnnouncementPoliteness.Polite)
        QAccessible.updateAccessibility(event)

    def _speak_instead(self, text: str) -> None:
        if self._link is not None:
            self._link.speech.say(text)
            self.delivered.emit(text, CHANNEL_VOICE)
