"""The player process behind espeak speech: ended at once on stop, failures reported in plain words."""

from __future__ import annotations

import sys
import time

import pytest

from app.speech.players import StreamPlayer, SubprocessPlayer, find_player
from app.speech.pyttsx3_speech import Pyttsx3Speech

from .conftest import requires_espeak
from .helpers import REAL_TIME_PLAYER

SLEEPING_PLAYER = (sys.executable, "-c", "import time; time.sleep(60)")
FAILING_PLAYER = (sys.executable, "-c", "import sys; sys.exit(3)")
STOP_SANITY_S = 2.0


def wait_until_done(player: SubprocessPlayer, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while player.is_playing() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_stop_ends_a_playing_process_at_once(tmp_path):
    player = SubprocessPlayer(SLEEPING_PLAYER)
    player.start(tmp_path / "any.wav")
    assert player.is_playing()
    started = time.perf_counter()
    player.stop()
    assert time.perf_counter() - started < STOP_SANITY_S
    assert not player.is_playing()
    assert not player.has_failed()  # stopped on purpose is not a failure


def test_a_player_that_exits_with_an_error_has_failed(tmp_path):
    player = SubprocessPlayer(FAILING_PLAYER)
    player.start(tmp_path / "any.wav")
    wait_until_done(player)
    assert player.has_failed()
    ok = SubprocessPlayer(REAL_TIME_PLAYER[:2] + ("pass",))
    ok.start(tmp_path / "any.wav")
    wait_until_done(ok)
    assert not ok.has_failed()


def test_a_player_is_found_on_this_machine():
    player = find_player()  # CI installs sox; desktops have paplay or aplay
    assert player is not None


def test_a_streaming_player_is_preferred_on_linux():
    if sys.platform != "linux":
        pytest.skip("the streaming players are Linux programs")
    assert isinstance(find_player(), StreamPlayer)  # CI installs sox, whose play reads standard input


@requires_espeak
@pytest.mark.parametrize("player_class", [SubprocessPlayer, StreamPlayer])
def test_playback_failure_is_reported_once_in_plain_words(tmp_path, player_class):
    errors = []
    speech = Pyttsx3Speech(driver_name="espeak", player=player_class(FAILING_PLAYER), on_error=errors.append)
    try:
        for n in range(3):
            speech.say(f"Sentence {n}.")
        assert speech.wait_until_idle(30)
    finally:
        speech.shutdown()
    assert errors == ["Speech could not be played. Check that a sound device is connected and not muted."]
