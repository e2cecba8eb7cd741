"""create_speech(): the null voice on request, the real one otherwise, a plain reason when it fails."""

from __future__ import annotations

from app.speech.base import SPEECH_ENV, NullSpeech
from app.speech.factory import create_speech
from app.speech.pyttsx3_speech import Pyttsx3Speech

from .conftest import requires_espeak


def test_null_is_chosen_by_the_environment(monkeypatch):
    monkeypatch.setenv(SPEECH_ENV, " NULL ")
    speech, reason = create_speech()
    assert isinstance(speech, NullSpeech) and reason is None
    speech.say("Heard by nobody.")
    speech.stop()
    assert speech.spoken == ["Heard by nobody."] and speech.stops == 1


@requires_espeak
def test_the_real_voice_is_chosen_otherwise(monkeypatch):
    monkeypatch.delenv(SPEECH_ENV, raising=False)
    speech, reason = create_speech()
    try:
        assert isinstance(speech, Pyttsx3Speech) and reason is None
        assert speech.voices()
    finally:
        speech.shutdown()


def test_an_engine_that_cannot_start_falls_back_with_a_plain_reason(monkeypatch):
    monkeypatch.delenv(SPEECH_ENV, raising=False)
    speech, reason = create_speech(driver_name="no_such_driver")
    assert isinstance(speech, NullSpeech)
    assert reason == "Speech is not available because the system voice could not be started."
    # The failed start released the one-engine slot, or this second try would raise RuntimeError.
    again, _ = create_speech(driver_name="no_such_driver")
    assert isinstance(again, NullSpeech)
