"""Streamed text -> whole sentences -> the speech output, through app/speech's interfaces.

app/speech/ is built separately; this is the app's only door to it. The sentences are also
handed back to the caller, which announces them to screen readers when the output setting
says so. Earcons (short tones for "started" and "failed") are played through the same door.

Output modes (app.storage.settings.OUTPUT): the app's own voice, the screen reader, both, or
automatic: the screen reader when one is running, else our voice; where that cannot be
known (macOS), both. How results reach the screen reader (announcements, or Speech
Dispatcher for an Orca that ignores announcements) is part of the same decision
(app/speech/route.py). It is made again at the start of each request, so starting or
quitting a screen reader is followed without a restart.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal

from app.speech.base import SpeechOutput
from app.speech.route import Route, choose_route
from app.speech.screen_reader import ScreenReaderInfo
from app.storage.settings import OUTPUT_AUTO, READER_AUTO
from engine.timeline import FIRST_PHRASE, timeline


def create_speech(on_error: Callable[[str], None]) -> tuple[SpeechOutput, str | None]:
    """The real voice (or NullSpeech when asked for), and why the real one is missing, if it is."""
    from app.speech.factory import create_speech as factory

    choice = factory(on_error=on_error)
    return choice.speech, choice.unavailable_reason


def create_earcons():
    from app.speech.base import is_null_requested, requested_speech_folder
    from app.speech.earcons import NullEarconPlayer, QtEarconPlayer

    quiet = is_null_requested() or requested_speech_folder() is not None  # tests and recordings: no sound
    return NullEarconPlayer() if quiet else QtEarconPlayer()


def create_splitter():
    from engine.sentences import SentenceSplitter

    return SentenceSplitter()


def _as_list(result: list[str]) -> list[str]:
    return [s for s in result if s and s.strip()]


class SpeechLink(QObject):
    """Owned by the GUI thread. `error` carries the voice's own run-time failures, in plain words."""

    error = Signal(str)

    def __init__(self, speech: SpeechOutput | None = None, splitter=None, earcons=None,
                 detect_screen_reader: Callable[[], ScreenReaderInfo] | None = None,
                 has_speech_dispatcher: Callable[[], bool] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        if detect_screen_reader is None:
            from app.speech.screen_reader import detect_screen_reader
        if has_speech_dispatcher is None:
            from app.speech.speech_dispatcher import is_reachable as has_speech_dispatcher
        self._detect_screen_reader = detect_screen_reader
        self._has_speech_dispatcher = has_speech_dispatcher
        self.mode = OUTPUT_AUTO
        self.reader_channel_setting = READER_AUTO
        self.reader = ScreenReaderInfo(None)  # what was known of the screen reader at the last decision
        self.route = Route(True, True, "")
        self.is_enabled = True  # our own voice speaks results (decided by resolve())
        self.announces_results = True  # results are announced to the screen reader
        self.has_earcons = True
        self.unavailable_reason: str | None = None
        if speech is None:
            # on_error runs on the voice's own thread: only a Qt signal may cross to the GUI thread
            speech, self.unavailable_reason = create_speech(self.error.emit)
        self.speech = speech
        self.splitter = splitter if splitter is not None else create_splitter()
        self.earcons = earcons if earcons is not None else create_earcons()
        self.resolve()

    def set_mode(self, mode: str, reader_channel: str | None = None) -> None:
        self.mode = mode
        if reader_channel is not None:
            self.reader_channel_setting = reader_channel
        self.resolve()

    def resolve(self) -> None:
        """Decide who reads results for the next request (the screen reader may have started or quit)."""
        self.reader, self.route = self.look()
        self.is_enabled, self.announces_results = self.route.is_voice_on, self.route.is_reader_on

    def look(self) -> tuple[ScreenReaderInfo, Route]:
        """What the decision would be now, without changing the one in force (Settings shows it)."""
        reader = self._detect_screen_reader()
        return reader, choose_route(self.mode, self.reader_channel_setting, reader, self._has_speech_dispatcher())

    def set_voice(self, rate: int, volume_percent: int, voice_id: str) -> None:
        """The voice settings; "" is the system's default voice."""
        self.speech.set_voice(rate=rate, volume=volume_percent / 100.0, voice_id=voice_id)

    def voices(self) -> list[tuple[str, str]]:
        return self.speech.voices()

    def test_voice(self, text: str) -> None:
        """Say a sample now, whatever the output mode (the user asked to hear the voice)."""
        self.stop()
        if text.strip():
            self.speech.say(text)

    def play_started(self) -> None:
        """The rising tone: work has started (heard before any sentence)."""
        from app.speech.earcons import Earcon

        if self.has_earcons:
            self.earcons.play(Earcon.STARTED)

    def play_failed(self) -> None:
        from app.speech.earcons import Earcon

        if self.has_earcons:
            self.earcons.play(Earcon.FAILED)

    def feed(self, text: str) -> list[str]:
        """Complete sentences in `text` (and what came before it); speaks them if enabled."""
        return self._speak(_as_list(self.splitter.feed(text)))

    def finish(self) -> list[str]:
        """The rest of the text, at the end of an answer."""
        return self._speak(_as_list(self.splitter.flush()))

    def say(self, text: str) -> None:
        """A whole message (an error, an honest note about a blank image)."""
        if self.is_enabled and text.strip():
            self.speech.say(text)

    def say_text(self, text: str) -> None:
        """A whole text, spoken sentence by sentence (so Stop can cut in between)."""
        self.splitter.reset()
        self._speak(_as_list(self.splitter.feed(text)) + _as_list(self.splitter.flush()))

    def stop(self) -> None:
        """Silence now; nothing from before is spoken later."""
        self.speech.stop()
        self.splitter.reset()

    def shutdown(self) -> None:
        self.speech.stop()
        self.speech.shutdown()
        self.earcons.close()

    def _speak(self, sentences: list[str]) -> list[str]:
        if sentences:
            timeline.mark(FIRST_PHRASE)
        if self.is_enabled:
            for sentence in sentences:
                self.speech.say(sentence)
        return sentences
