"""The speech interface the app talks to, and the silent implementation (for tests and for no voice).

`VISIONPANGU_SPEECH=null` selects NullSpeech everywhere (tests use it unless they ask
for the real engine); `VISIONPANGU_SPEECH=file:DIR` renders each utterance with the real
voice to DIR/NNNN.wav and plays nothing (end-to-end tests, and recording what the app
says; espeak-ng's samples are written as they are made, as a player is fed them);
anything else, or unset, selects the platform's real voice.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod

SPEECH_ENV = "VISIONPANGU_SPEECH"
NULL_BACKEND = "null"
FILE_PREFIX = "file:"
# The speaking rates every voice takes, in words per minute (the Settings dialog offers this range).
MIN_RATE_WPM, MAX_RATE_WPM = 80, 500
DEFAULT_RATE_WPM = 200  # espeak-ng's own default, and what the rate setting starts at


class SpeechOutput(ABC):
    """Owned by the GUI; implementations do their work off the GUI thread and never block it."""

    @abstractmethod
    def say(self, text: str) -> None:
        """Queue one sentence or phrase; speaking starts as soon as possible."""

    @abstractmethod
    def stop(self) -> None:
        """Silence now and drop everything queued. Nothing queued before this is spoken later."""

    @abstractmethod
    def is_speaking(self) -> bool:
        ...

    def set_voice(self, rate: int | None = None, volume: float | None = None, voice_id: str | None = None) -> None:
        """Speech settings; a backend without them ignores this."""

    def voices(self) -> list[tuple[str, str]]:
        """(id, human-readable name) of the voices on this machine."""
        return []

    def shutdown(self) -> None:
        """Release the engine; called once when the app quits."""


class NullSpeech(SpeechOutput):
    """Speaks nothing; remembers what it was asked to say, so tests can read it."""

    def __init__(self):
        self._lock = threading.Lock()
        self.spoken: list[str] = []
        self.stops = 0

    def say(self, text: str) -> None:
        with self._lock:
            self.spoken.append(text)

    def stop(self) -> None:
        with self._lock:
            self.stops += 1

    def is_speaking(self) -> bool:
        return False


def is_null_requested() -> bool:
    return os.environ.get(SPEECH_ENV, "").strip().lower() == NULL_BACKEND


def requested_speech_folder() -> str | None:
    """DIR from `VISIONPANGU_SPEECH=file:DIR`, else None."""
    value = os.environ.get(SPEECH_ENV, "").strip()
    return value[len(FILE_PREFIX):] or None if value.lower().startswith(FILE_PREFIX) else None
