"""How each pyttsx3 driver speaks one utterance so that a stop cuts it short. Owner thread only.

pyttsx3 2.99's `engine.stop()` differs per driver (read from its drivers/*.py), so one strategy per
driver, each interrupting the way that driver allows:
- espeak (Linux; optional elsewhere): not through pyttsx3 at all. libespeak-ng is called directly and
  each phrase is streamed to a player process as it is synthesised (app/speech/espeak_runner.py).
- sapi5 (Windows): speaking is asynchronous and `stop()` purges it (`Speak("", 3)`), but the
  engine's COM events need pumping on its own thread. `startLoop(False)` + `iterate()` lets this
  thread pump and watch for a stop every few milliseconds, then call `engine.stop()` itself.
- nsss (macOS): /usr/bin/say instead, a child process killed on stop (app/speech/say_runner.py).
- any other driver (and nsss without say): `iterate()` does not pump the Cocoa run loop that delivers
  the synthesizer's callbacks, so each utterance runs in `runAndWait()`, and a `started-word`
  callback calls `engine.stop()` when a stop was asked (pyttsx3's documented way to interrupt an
  utterance). The voice then stops at the next word boundary.
"""

from __future__ import annotations

import logging
import math
import subprocess
import time
from pathlib import Path

import pyttsx3

from app.speech.errors import ENGINE_FAILED, ESPEAK_MISSING, NO_PLAYER, SpeechUnavailable, tr
from app.speech.players import CancelToken, StreamPlayer, WavPlayer, find_player

logger = logging.getLogger("visionpangu.speech")

# How often a playing utterance checks for a stop when no wake-up arrives (the wait is woken at
# once by stop(), so this only bounds the cost of polling the player).
POLL_S = 0.02
# How long a stopped SAPI5 voice may take to confirm it is silent before we move on.
SETTLE_TIMEOUT_S = 1.0
ESPEAK = "espeak"
SAPI5 = "sapi5"
NSSS = "nsss"
SAY_PROGRAM = "/usr/bin/say"
# SAPI's ISpVoice::Rate is -10..10 (learn.microsoft.com, ISpVoice::SetRate); pyttsx3's sapi5 driver
# turns words per minute into it as int(log(wpm / a, b)) with a voice's (a, b), at most 10.
SAPI_RATE_MIN, SAPI_RATE_MAX = -10, 10


class Runner:
    """Base: properties, voices and file rendering through pyttsx3's own run loop."""

    last_times = None  # the last phrase's SoundTimes, from runners that can tell (espeak)
    on_first_sound = None  # called with those SoundTimes as the phrase's first sample leaves

    def __init__(self, engine: pyttsx3.Engine | None):
        self.engine = engine

    def speak(self, text: str, token: CancelToken) -> None:
        raise NotImplementedError

    def render(self, text: str, path: Path, token: CancelToken | None = None) -> None:
        """Write one utterance to an audio file (WAV; nsss writes AIFF whatever the name)."""
        self.engine.save_to_file(text, str(path))
        self.engine.runAndWait()

    def set_property(self, name: str, value: object) -> None:
        self.engine.setProperty(name, value)

    def voices(self) -> list[tuple[str, str]]:
        return [(str(voice.id), str(voice.name or voice.id)) for voice in self.engine.getProperty("voices")]

    def default_voice(self) -> str:
        """The engine's voice at start: what an empty voice setting means."""
        return str(self.engine.getProperty("voice") or "")

    def close(self) -> None:
        """Leave the engine idle; the owner thread then drops the last reference to it."""


class ExternalLoopRunner(Runner):
    def __init__(self, engine: pyttsx3.Engine):
        super().__init__(engine)
        engine.startLoop(False)
        engine.iterate()  # the first step marks the driver idle, so commands run when given

    def speak(self, text: str, token: CancelToken) -> None:
        self.engine.say(text)
        while self.engine.isBusy():
            if token.wait(POLL_S):
                self.engine.stop()
                break
            self.engine.iterate()
        self._settle()

    def render(self, text: str, path: Path, token: CancelToken | None = None) -> None:
        self.engine.save_to_file(text, str(path))  # synchronous on SAPI5
        self._settle()

    def set_property(self, name: str, value: object) -> None:
        if name == "rate":
            value = sapi_safe_wpm(int(value), *_sapi_rate_curve(str(self.engine.getProperty("voice"))))
        self.engine.setProperty(name, value)

    def _settle(self) -> None:
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while self.engine.isBusy() and time.monotonic() < deadline:
            self.engine.iterate()
            time.sleep(POLL_S)

    def close(self) -> None:
        self.engine.stop()
        self.engine.endLoop()


class DriverLoopRunner(Runner):
    def __init__(self, engine: pyttsx3.Engine):
        super().__init__(engine)
        self._token: CancelToken | None = None
        self._subscriptions = [
            engine.connect("started-utterance", self._stop_if_cancelled),
            engine.connect("started-word", self._stop_if_cancelled),
        ]

    def _stop_if_cancelled(self, **_event) -> None:
        if self._token is not None and self._token.is_cancelled():
            self.engine.stop()

    def speak(self, text: str, token: CancelToken) -> None:
        self._token = token
        try:
            self.engine.say(text)
            self.engine.runAndWait()
        finally:
            self._token = None

    def close(self) -> None:
        for subscription in self._subscriptions:  # break the engine -> callback -> runner cycle
            self.engine.disconnect(subscription)


def create_runner(driver_name: str | None, scratch: Path, player: StreamPlayer | WavPlayer | None,
                  needs_player: bool) -> Runner:
    """Start the engine on the calling (owner) thread; SpeechUnavailable in plain words if it cannot."""
    name = driver_name or pyttsx3.engine.default_engine_by_sys_platform()
    if name == NSSS and Path(SAY_PROGRAM).is_file():
        return _say_runner(scratch)
    if name == ESPEAK:
        return _espeak_runner(scratch, player, needs_player)
    if name == SAPI5:
        _initialise_com()
    try:
        engine = pyttsx3.Engine(name)
    except Exception as exc:  # ImportError, OSError, RuntimeError: the driver's own words vary
        logger.warning("pyttsx3 driver %r could not start: %r", name, exc)
        raise SpeechUnavailable(tr(ENGINE_FAILED), detail=repr(exc)) from None
    if name == SAPI5:
        return ExternalLoopRunner(engine)
    return DriverLoopRunner(engine)


def sapi_safe_wpm(wpm: int, base_wpm: float, step: float) -> int:
    """The nearest rate to `wpm` that pyttsx3's int(log(wpm / base_wpm, step)) keeps within -10..10."""
    low = math.ceil(base_wpm * step ** SAPI_RATE_MIN)
    high = math.floor(base_wpm * step ** SAPI_RATE_MAX)
    return max(low, min(high, wpm))


def _sapi_rate_curve(voice_id: str) -> tuple[float, float]:
    from pyttsx3.drivers.sapi5 import E_REG, MSMARY  # the driver's own (a, b) per voice; Windows only

    return E_REG.get(voice_id, E_REG[MSMARY])


def _espeak_runner(scratch: Path, player: StreamPlayer | WavPlayer | None, needs_player: bool) -> Runner:
    from app.speech.espeak_library import EspeakLibrary
    from app.speech.espeak_runner import EspeakRunner

    player = player or find_player()
    if player is None and needs_player:  # checked first: no engine is left half-made
        raise SpeechUnavailable(tr(NO_PLAYER), detail="no paplay, aplay, play, pw-play or afplay")
    try:
        return EspeakRunner(EspeakLibrary(), player, scratch)
    except (OSError, RuntimeError) as exc:
        logger.warning("espeak-ng could not start: %r", exc)
        raise SpeechUnavailable(tr(ESPEAK_MISSING), detail=repr(exc)) from None


def _say_runner(scratch: Path) -> Runner:
    from app.speech.say_runner import SayRunner

    try:
        return SayRunner(scratch)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SpeechUnavailable(tr(ENGINE_FAILED), detail=repr(exc)) from None


def _initialise_com() -> None:
    # SAPI5 is a COM object; COM must be initialised on each thread that creates one.
    try:
        import pythoncom
    except ImportError:
        return  # the driver import will fail and be reported as ENGINE_FAILED
    pythoncom.CoInitialize()
