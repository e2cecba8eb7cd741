"""One way to tell the user something: the status line, the screen reader, and for errors a tone and speech.

Nothing here moves focus or raises a window: a desktop shortcut may have triggered the
work while the user is in another app.
"""

from __future__ import annotations

from typing import Callable

from app.speech.speech_link import SpeechLink
from app.ui.announcer import Announcer


class Reporter:
    def __init__(self, set_status: Callable[[str], None], announcer: Announcer, speech: SpeechLink):
        self._set_status = set_status
        self._announcer = announcer
        self._speech = speech
        self.status_text = ""

    def report(self, text: str, is_error: bool = False, should_speak: bool = True) -> None:
        """Shown and announced; an error is announced assertively, gets the failure tone and is spoken."""
        self.show(text)
        self._announcer.announce(text, is_assertive=is_error)
        if is_error:
            self._speech.play_failed()
            if should_speak:
                self._speech.say(text)

    def show(self, text: str) -> None:
        """Status line only (a step the next announcement follows within moments)."""
        self.status_text = text
        self._set_status(text)
