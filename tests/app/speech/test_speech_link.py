"""The speech link: sentences are spoken as they complete, Stop silences and forgets, output modes decide who reads."""

from __future__ import annotations

import pytest

from app.speech.base import NullSpeech
from app.speech.earcons import Earcon, NullEarconPlayer
from app.speech.screen_reader import ScreenReaderInfo
from app.speech.speech_link import SpeechLink
from app.storage.settings import OUTPUT_AUTO, OUTPUT_BOTH, OUTPUT_SCREEN_READER, OUTPUT_VOICE


def _link(detect=lambda: None) -> SpeechLink:
    """`detect` answers "is a screen reader running?" (None: cannot tell) for one that reads announcements."""
    return SpeechLink(NullSpeech(), earcons=NullEarconPlayer(), detect_screen_reader=lambda: ScreenReaderInfo(detect()),
                      has_speech_dispatcher=lambda: False)


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


class _VoiceRecorder(NullSpeech):
    """NullSpeech that also remembers the voice settings it was given."""

    def __init__(self):
        super().__init__()
        self.voice_calls = []

    def set_voice(self, rate=None, volume=None, voice_id=None):
        self.voice_calls.append((rate, volume, voice_id))


@pytest.mark.parametrize("mode, detected, speaks, announces", [
    (OUTPUT_VOICE, True, True, False),
    (OUTPUT_SCREEN_READER, False, False, True),
    (OUTPUT_BOTH, False, True, True),
    (OUTPUT_AUTO, True, False, True),  # a screen reader runs: it reads, our voice keeps quiet
    (OUTPUT_AUTO, False, True, False),  # none runs: our voice reads
    (OUTPUT_AUTO, None, True, True),  # cannot tell (macOS): both, so nobody is left in silence
])
def test_output_modes_decide_who_reads_results(qapp, mode, detected, speaks, announces):
    link = _link(lambda: detected)
    link.set_mode(mode)
    assert (link.is_enabled, link.announces_results) == (speaks, announces)
    assert link.feed("One. Two") == ["One."]  # sentences always come back for the caller to announce or not
    assert link.speech.spoken == (["One."] if speaks else [])


def test_automatic_mode_follows_a_screen_reader_started_later(qapp):
    running = {"value": False}
    link = _link(lambda: running["value"])
    link.set_mode(OUTPUT_AUTO)
    assert link.is_enabled and not link.announces_results
    running["value"] = True
    link.resolve()  # the controller does this at the start of every request
    assert not link.is_enabled and link.announces_results


def test_voice_settings_reach_the_voice_and_test_voice_speaks_in_any_mode(qapp):
    link = SpeechLink(_VoiceRecorder(), earcons=NullEarconPlayer(), detect_screen_reader=lambda: ScreenReaderInfo(True),
                      has_speech_dispatcher=lambda: False)
    link.set_mode(OUTPUT_SCREEN_READER)
    link.set_voice(320, 50, "english-us")
    assert link.speech.voice_calls == [(320, 0.5, "english-us")]
    link.say("An error.")
    link.test_voice("A sample.")
    assert link.speech.spoken == ["A sample."] and link.speech.stops == 1


def test_earcons_can_be_turned_off(qapp):
    link = _link()
    link.has_earcons = False
    link.play_started()
    link.play_failed()
    assert link.earcons.played == []
