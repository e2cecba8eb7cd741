"""Streamed text -> whole sentences -> the speech output, through app/speech's interfaces.

app/speech/ is built separately; this is the app's only door to it. The sentences are also
handed back to the caller, which announces them to screen readers. Earcons (short
tones for "started" and "failed") are played through the same door.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal

from app.speech.base import SpeechOutput


def create_speech(on_error: Callable[[str], None]) -> tuple[SpeechOutput, str | None]:
    """The real voice (or NullSpeech when asked for), and why the real one is missing, if it is."""
    from app.speech.factory import create_speech as factory

    choice = factory(on_error=on_error)
    return choice.speech, choice.unavailable_reason


def create_earcons():
    from app.speech.base import is_null_requested
    from app.speech.earcons import NullEarconPlayer, QtEarconPlayer

    return NullEarconPlayer() if is_null_requested() else QtEarconPlayer()


def create_splitter():
    from app.speech.splitter import SentenceSplitter

    return SentenceSplitter()


def _as_list(result: list[str]) -> list[str]:
    return [s for s in result if s and s.strip()]


class SpeechLink(QObject):
    """Owned by the GUI thread. `error` carries the voice's own run-time failures, in plain words."""

    error = Signal(str)

    def __init__(self, speech: SpeechOutput | None = None, splitter=None, earcons=None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.unavailable_reason: str | None = None
        if speech is None:
            # on_error runs on the voice's own thread: only a signal may cross (STYLE.md #3)
            speech, self.unavailable_reason = create_speech(self.error.emit)
        self.speech = speech
        self.splitter = splitter if splitter is not None else create_splitter()
        self.earcons = earcons if earcons is not None else create_earcons()
        self.is_enabled = True

    def play_started(self) -> None:
        """The rising tone: work has started (heard before any sentence)."""
        from app.speech.earcons import Earcon

        self.earcons.play(Earcon.STARTED)

    def play_failed(self) -> None:
        from app.speech.earcons import Earcon

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
        if self.is_enabled:
            for sentence in sentences:
                self.speech.say(sentence)
        return sentences
