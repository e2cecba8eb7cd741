"""Fixtures for the real voice: every engine made here is shut down, so the next test can start one."""

from __future__ import annotations

import sys

import pytest

from app.speech.pyttsx3_speech import Pyttsx3Speech

# The real-engine tests drive pyttsx3's espeak driver, as the app does on Linux (CI installs espeak-ng).
requires_espeak = pytest.mark.skipif(sys.platform != "linux", reason="these tests drive the espeak driver")


@pytest.fixture
def make_speech():
    made: list[Pyttsx3Speech] = []

    def make(cls=Pyttsx3Speech, *args, **options) -> Pyttsx3Speech:
        options.setdefault("driver_name", "espeak")
        speech = cls(*args, **options)
        made.append(speech)
        return speech

    yield make
    for speech in made:
        speech.shutdown()
