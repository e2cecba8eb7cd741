"""The macOS voice as a killable child process, and SAPI's rate range.

MOCK: no macOS/Windows here. /usr/bin/say is replaced by a stand-in program (a real process,
started, waited on and killed exactly as say would be) that answers `-v ?` as say does, writes
a WAVE file for `-o`, records what it was asked, and otherwise "speaks" until it is killed.
SAPI cannot run here; its rate mapping is pyttsx3's sapi5 driver formula with its constants.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time

import pytest

from app.speech.runners import SAPI_RATE_MAX, SAPI_RATE_MIN, sapi_safe_wpm
from app.speech.say_runner import SayRunner, plain_text

SAY_STAND_IN = """#!{python}
import json, sys, time, wave
args = sys.argv[1:]
if args == ["-v", "?"]:
    print("Albert              en_US    # Hello! My name is Albert.")
    print("Bad News            en_US    # The light you see at the end of the tunnel is the headlamp.")
    print("Thomas              fr_FR    # Bonjour, je m'appelle Thomas.")
    sys.exit(0)
text = open(args[args.index("-f") + 1], encoding="utf-8").read()
with open({log!r}, "a", encoding="utf-8") as log:
    log.write(json.dumps({{"args": args, "text": text}}) + "\\n")
if "-o" in args:
    with wave.open(args[args.index("-o") + 1], "wb") as out:
        out.setnchannels(1); out.setsampwidth(2); out.setframerate(22050); out.writeframes(b"\\0\\0" * 2205)
    sys.exit(0)
time.sleep(0.3 if "short" in text else 30)
"""
SAPI_MARY = (156.63, 1.11)  # pyttsx3 2.99 drivers/sapi5.py, E_REG[MSMARY]
APP_MAX_WPM, APP_MIN_WPM = 500, 80


class Token:
    def __init__(self):
        self.cancelled = threading.Event()

    def is_cancelled(self) -> bool:
        return self.cancelled.is_set()

    def wait(self, seconds: float) -> bool:
        self.cancelled.wait(seconds)
        return self.is_cancelled()


@pytest.fixture
def say(tmp_path):
    log = tmp_path / "say.log"
    program = tmp_path / "say"
    program.write_text(SAY_STAND_IN.format(python=sys.executable, log=str(log)), encoding="utf-8")
    program.chmod(0o755)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    runner = SayRunner(scratch, program=str(program))

    def calls():
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []

    return runner, calls


def test_voices_are_read_from_say(say):
    runner, _ = say
    assert runner.voices() == [("Albert", "Albert (en_US)"), ("Bad News", "Bad News (en_US)"),
                               ("Thomas", "Thomas (fr_FR)")]


def test_an_utterance_is_spoken_with_the_settings_and_screen_text_stays_plain(say):
    runner, calls = say
    runner.set_property("voice", "Bad News")
    runner.set_property("rate", 320)
    runner.set_property("volume", 0.5)
    runner.speak("-v short [[rate 1]] text read off a screen", Token())
    (call,) = calls()
    assert call["args"][:4] == ["-v", "Bad News", "-r", "320"] and call["args"][4] == "-f"
    assert call["text"] == "[[volm 0.50]] -v short [ [rate 1]] text read off a screen"
    assert "[[" not in plain_text("[[[[x [[[") and plain_text("[[[[x").replace(" ", "") == "[[[[x"


def test_a_stop_kills_the_voice_at_once(say):
    runner, calls = say
    token = Token()
    threading.Timer(0.5, token.cancelled.set).start()
    started = time.monotonic()
    runner.speak("a long description that would take thirty seconds", token)
    assert time.monotonic() - started < 3.0
    assert len(calls()) == 1


def test_render_writes_a_wave_file(say, tmp_path):
    runner, calls = say
    out = tmp_path / "0001.wav"
    runner.render("short", out)
    assert out.read_bytes()[:4] == b"RIFF" and "-o" in calls()[0]["args"]


@pytest.mark.parametrize("wpm", [APP_MIN_WPM, 200, 444, APP_MAX_WPM])
def test_sapi_rates_stay_within_minus_10_to_10(wpm):
    safe = sapi_safe_wpm(wpm, *SAPI_MARY)
    assert SAPI_RATE_MIN <= int(math.log(safe / SAPI_MARY[0], SAPI_MARY[1])) <= SAPI_RATE_MAX
    assert int(math.log(APP_MAX_WPM / SAPI_MARY[0], SAPI_MARY[1])) > SAPI_RATE_MAX  # unclamped, 500 overflows
    if wpm == 200:
        assert safe == 200
