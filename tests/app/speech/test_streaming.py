"""espeak-ng's sound streamed to the player as it is made: real speech, early, in order, and cut by a stop."""

from __future__ import annotations

import json
import time

from app.speech.pyttsx3_speech import Pyttsx3Speech, WavFileSpeech
from engine.timeline import FIRST_AUDIO_OUT, FIRST_SAMPLE, Timeline

from .conftest import requires_espeak
from .helpers import StreamRecordingPlayer, first_arrival, read_pcm, read_wav
from .test_real_speech import PARAGRAPH, assert_is_speech

pytestmark = requires_espeak

IDLE_TIMEOUT_S = 60
STOP_SANITY_S = 2.0  # sanity bounds only: the latency targets are the benchmark's
FIRST_SOUND_SANITY_S = 1.0
LONG_TEXT = " ".join([PARAGRAPH] * 4)  # about 50 s of speech: many clauses, synthesised one by one
# Three phrases of clearly different lengths, so their order shows in what the player received.
PHRASES = ["One.", "This sentence is a good deal longer than the one before it, and it says so.", "Two words."]


def test_a_streamed_phrase_reaches_the_player_long_before_its_synthesis_ends(make_speech, tmp_path):
    player = StreamRecordingPlayer(tmp_path)
    speech = make_speech(Pyttsx3Speech, player=player)
    said_at = time.monotonic()
    speech.say(PARAGRAPH)
    assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    (sequence, times), = speech.sound_times
    samples = read_pcm(player.received[0])
    assert_is_speech(samples, 22050)
    heard_at = first_arrival(player.received[0])
    print(f"phrase handed to speech -> first sample {times.first_sample - said_at:.3f} s, "
          f"-> in the player {heard_at - said_at:.3f} s; whole phrase synthesised after "
          f"{times.synthesised - said_at:.2f} s ({len(samples) / 22050:.1f} s of speech)")
    assert heard_at - said_at < FIRST_SOUND_SANITY_S
    # The player plays in real time, so the synthesiser waited for it: the whole phrase was made
    # seconds after its first sound was already with the player.
    assert times.first_out <= heard_at + 0.05 and heard_at < times.synthesised - 2.0


def test_the_first_buffer_comes_long_before_a_long_text_is_synthesised(make_speech, tmp_path):
    """File mode streams through the same calls, without a player's real-time pace: pure synthesis."""
    speech = make_speech(WavFileSpeech, tmp_path / "out")
    speech.say(LONG_TEXT)
    assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    (_, times), = speech.sound_times
    first, whole = times.first_sample - times.started, times.synthesised - times.started
    print(f"first buffer after {first * 1000:.1f} ms, whole text after {whole * 1000:.1f} ms")
    assert first < 0.2 * whole
    assert times.first_out >= times.first_sample
    assert_is_speech(*read_wav(tmp_path / "out" / "0001.wav"))


def test_phrases_are_streamed_in_order_as_file_mode_writes_them(make_speech, tmp_path):
    files = make_speech(WavFileSpeech, tmp_path / "out")
    for phrase in PHRASES:
        files.say(phrase)
    assert files.wait_until_idle(IDLE_TIMEOUT_S)
    files.shutdown()  # one engine per process
    player = StreamRecordingPlayer(tmp_path)
    speech = make_speech(Pyttsx3Speech, player=player)
    for phrase in PHRASES:
        speech.say(phrase)
    assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    assert len(player.received) == len(PHRASES)
    for index, streamed in enumerate(player.received, start=1):
        # espeak-ng's voice source carries state from phrase to phrase, so the samples differ a
        # little between two runs; the lengths match (the long phrase is the second one).
        written, rate = read_wav(tmp_path / "out" / f"{index:04d}.wav")
        samples = read_pcm(streamed)
        assert abs(len(samples) - len(written)) < 0.05 * len(written), f"phrase {index} differs"
        assert_is_speech(samples, rate)
    firsts = [first_arrival(path) for path in player.received]
    assert firsts == sorted(firsts)


def test_stop_during_a_streamed_phrase_silences_it_and_nothing_of_it_plays_later(make_speech, tmp_path):
    player = StreamRecordingPlayer(tmp_path)
    speech = make_speech(Pyttsx3Speech, player=player)
    speech.say(PARAGRAPH)
    speech.say("A second phrase of the same answer.")
    assert player.first_started.wait(IDLE_TIMEOUT_S)
    deadline = time.monotonic() + IDLE_TIMEOUT_S
    while first_arrival(player.received[0]) is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)  # well inside the paragraph's 13 s
    stop_called = time.monotonic()
    speech.stop()
    assert player.interrupted.wait(STOP_SANITY_S)
    assert time.monotonic() - stop_called < STOP_SANITY_S
    assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    received = player.received[0].stat().st_size
    time.sleep(1.0)
    assert player.received[0].stat().st_size == received, "the stopped phrase went on playing"
    assert len(player.received) == 1, "the rest of the stopped answer was spoken"
    # Cut short: the recorder had taken in little more than what the pipe holds, far from 13 s.
    assert received / 2 / 22050 < 5.0
    speech.say("After the stop.")  # the next answer plays as usual
    assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    assert len(player.received) == 2
    assert_is_speech(read_pcm(player.received[1]), 22050)


def test_the_voice_marks_the_first_phrases_first_sample(make_speech, tmp_path, monkeypatch):
    from app.speech import pyttsx3_speech

    path = tmp_path / "timeline.jsonl"
    timeline = Timeline(str(path))
    monkeypatch.setattr(pyttsx3_speech, "timeline", timeline)
    timeline.begin()
    speech = make_speech(WavFileSpeech, tmp_path / "out")
    speech.say("The first phrase of the answer.")
    speech.say("The second one.")
    assert speech.wait_until_idle(30)
    (_, first), (_, second) = speech.sound_times
    written = {line["mark"]: line["t"] for line in map(json.loads, path.read_text().splitlines())}
    assert written[FIRST_SAMPLE] == first.first_sample < second.first_sample
    assert written[FIRST_AUDIO_OUT] == first.first_out >= first.first_sample
