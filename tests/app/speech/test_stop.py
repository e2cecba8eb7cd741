"""stop() drops everything queued before it, cuts a playing sentence short, and say() never blocks."""

from __future__ import annotations

import random
import threading
import time

import pytest

from app.speech.pyttsx3_speech import Pyttsx3Speech, WavFileSpeech

from .conftest import requires_espeak
from .helpers import RecordingPlayer, read_wav

pytestmark = requires_espeak

SENTENCES = [f"This is sentence number {n}, which is long enough to take a moment to say." for n in range(1, 9)]
IDLE_TIMEOUT_S = 30
# Sanity bounds only (the speed targets live in the benchmark): a queued say() takes microseconds,
# and a stop reaches a playing sentence within one wake-up of the owner thread.
SAY_SANITY_S = 0.5
STOP_SANITY_S = 2.0


def rendered(folder) -> set[str]:
    return {path.name for path in folder.glob("*.wav")}


def test_stop_after_the_first_sentence_drops_the_rest(make_speech, tmp_path):
    stopped_after = []

    def on_finished(text, path):
        if not stopped_after:  # runs on the owner thread, before it takes the next sentence
            stopped_after.append(path.name)
            speech.stop()

    speech = make_speech(WavFileSpeech, tmp_path / "out", on_finished=on_finished)
    for sentence in SENTENCES:
        speech.say(sentence)
    assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    assert stopped_after == ["0001.wav"]
    assert rendered(tmp_path / "out") == {"0001.wav"}
    assert not speech.is_speaking()

    speech.say("A new answer after the stop.")  # a new generation is spoken as usual
    assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    assert rendered(tmp_path / "out") == {"0001.wav", f"{len(SENTENCES) + 1:04d}.wav"}


def test_nothing_queued_before_a_stop_appears_after_it(make_speech, tmp_path):
    """Stops land at random moments, often while a sentence is already dequeued and rendering."""
    rng = random.Random(3)
    out = tmp_path / "out"
    speech = make_speech(WavFileSpeech, out)
    for _ in range(15):
        for sentence in SENTENCES:
            speech.say(sentence)
        time.sleep(rng.uniform(0, 0.05))
        speech.stop()
        at_stop = rendered(out)
        assert speech.wait_until_idle(IDLE_TIMEOUT_S)
        assert rendered(out) == at_stop
    assert not list(out.glob(".*.part"))  # abandoned renders are cleaned up


def test_say_returns_at_once_and_everything_is_rendered_in_order(make_speech, tmp_path):
    speech = make_speech(WavFileSpeech, tmp_path / "out")
    started = time.perf_counter()
    for sentence in SENTENCES:
        speech.say(sentence)
    assert time.perf_counter() - started < SAY_SANITY_S
    assert speech.is_speaking()
    assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    assert rendered(tmp_path / "out") == {f"{n:04d}.wav" for n in range(1, len(SENTENCES) + 1)}
    speech.say("   ")  # blank text is not an utterance
    assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    assert len(rendered(tmp_path / "out")) == len(SENTENCES)


def test_stop_cuts_the_playing_sentence_short_and_drops_the_queue(make_speech, tmp_path):
    player = RecordingPlayer(tmp_path)
    speech = make_speech(Pyttsx3Speech, player=player)
    for sentence in SENTENCES:
        speech.say(sentence)
    assert player.first_started.wait(IDLE_TIMEOUT_S)
    stop_called = time.perf_counter()
    speech.stop()
    assert player.interrupted.wait(STOP_SANITY_S)
    assert time.perf_counter() - stop_called < STOP_SANITY_S
    assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    assert len(player.started) == 1
    samples, rate = read_wav(player.started[0])
    assert len(samples) / rate > 2.0  # it really was stopped mid-sentence, not after it ended


def test_playback_in_order_then_shutdown_ends_the_thread(make_speech, tmp_path):
    player = RecordingPlayer(tmp_path)
    finished = []
    speech = make_speech(Pyttsx3Speech, player=player, on_finished=lambda text, path: finished.append(text))
    speech.say("One.")
    speech.say("Two.")
    assert speech.wait_until_idle(IDLE_TIMEOUT_S)
    assert finished == ["One.", "Two."]
    assert len(player.started) == 2
    speech.shutdown()
    assert not any(thread.name == "speech-owner" for thread in threading.enumerate())
    speech.say("After shutdown.")  # ignored, never raises
    assert not speech.is_speaking()


def test_one_engine_per_process(make_speech, tmp_path):
    first = make_speech(WavFileSpeech, tmp_path / "a")
    with pytest.raises(RuntimeError, match="already running"):
        make_speech(WavFileSpeech, tmp_path / "b")
    first.shutdown()
    second = make_speech(WavFileSpeech, tmp_path / "b")
    second.say("The second engine works.")
    assert second.wait_until_idle(IDLE_TIMEOUT_S)
    assert rendered(tmp_path / "b") == {"0001.wav"}
