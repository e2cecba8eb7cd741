"""Choose the speech backend: the null one when asked (tests), the real voice otherwise.

If the real voice cannot start, the app still works in silence (the screen reader still gets every
announcement) and announces why, in the plain words carried by SpeechUnavailable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from app.speech.base import NullSpeech, SpeechOutput, is_null_requested, requested_speech_folder
from app.speech.errors import SpeechUnavailable
from app.speech.pyttsx3_speech import Pyttsx3Speech, WavFileSpeech

logger = logging.getLogger("visionpangu.speech")


class SpeechChoice(NamedTuple):
    speech: SpeechOutput
    unavailable_reason: str | None  # plain words for the user when the real voice could not start


def create_speech(
    *,
    driver_name: str | None = None,
    on_error: Callable[[str], None] | None = None,
    on_finished: Callable[[str, Path | None], None] | None = None,
) -> SpeechChoice:
    """`speech, reason = create_speech()`; announce reason if it is not None.

    Blocks until the engine has started (about 50 ms with espeak, up to a second with SAPI5).
    """
    if is_null_requested():
        return SpeechChoice(NullSpeech(), None)
    folder = requested_speech_folder()
    try:
        if folder is not None:
            speech = WavFileSpeech(folder, driver_name=driver_name, on_error=on_error, on_finished=on_finished)
        else:
            speech = Pyttsx3Speech(driver_name=driver_name, on_error=on_error, on_finished=on_finished)
    except SpeechUnavailable as exc:
        logger.warning("speech unavailable: %s (%s)", exc.message, exc.detail)
        return SpeechChoice(NullSpeech(), exc.message)
    return SpeechChoice(speech, None)
