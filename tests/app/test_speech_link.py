"""The speech link: sentences are spoken as they complete, Stop silences and forgets, off means silent."""

from __future__ import annotations

from app.speech.base import NullSpeech
from app.speech.earcons import Earcon, NullEarconPlayer
from app.speech_link import SpeechLink


def _link() -> SpeechLink:
    return SpeechLink(NullSpeech(), earcons=NullEarconPlayer())


def test_whole_sentences_are_spoken_while_the_text_streams(qapp):
    link = _link()
    assert link.feed("The window shows a cal") == []
    assert link.feed("endar. It has three") == ["The window shows a calendar."]
    assert link.finish() == ["It has three"]
    assert link.speech.spoken == ["The window shows a calendar.", "It has three"]


def test_stop_silences_and_drops_the_unfinished_sentence(qapp):
    link = _link()
    link.feed("Half a sent")
    link.stop()
    assert link.speech.stops == 1
    assert link.finish() == []
    assert link.speech.spoken == []


def test_turned_off_it_still_returns_sentences_for_the_screen_reader(qapp):
    link = _link()
    link.is_enabled = False
    assert link.feed("One. Two. Three") == ["One.", "Two."]
    link.say("An error.")
    assert link.speech.spoken == []


def test_earcons_mark_start_and_failure(qapp):
    link = _link()
    link.play_started()
    link.play_failed()
    assert link.earcons.played == [Earcon.STARTED, Earcon.FAILED]
