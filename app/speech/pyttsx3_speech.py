"""The real voice: one long-lived thread owns the pyttsx3 engine; callers only queue and signal.

The engine lives on its owner thread (app/speech/engine_thread.py), which speaks what is queued here.
say() and stop() only touch a queue under a lock, so the GUI never waits for the voice.

Every utterance carries the generation it was queued in; stop() starts a new generation, so an
utterance dequeued just before a stop is dropped too, even in the middle of being spoken.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from app.storage.private_files import private_folder, tighten
from app.speech.base import MAX_RATE_WPM, MIN_RATE_WPM, SpeechOutput
from app.speech.engine_thread import EngineThread, log_failure
from app.speech.errors import PLAYBACK_FAILED, SPEAKING_FAILED, UNKNOWN_VOICE, PlaybackFailed, SpeechUnavailable, tr
from app.speech.jobs import Job, Token
from app.speech.players import StreamPlayer, WavPlayer
from app.speech.runners import Runner
from engine.timeline import FIRST_AUDIO_OUT, FIRST_SAMPLE, timeline

logger = logging.getLogger("visionpangu.speech")

SOUND_TIMES_KEPT = 64  # the last phrases' SoundTimes (tests read them)


class Pyttsx3Speech(SpeechOutput):
    """Speaks through pyttsx3's drivers (espeak-ng directly, streamed: app/speech/espeak_runner.py);
    with output_dir, writes each utterance to NNNN.wav there instead.

    on_error(message) gets plain words to announce (each problem once, until speech works again);
    on_finished(text, path_or_None) follows each utterance that was not stopped. Both run on the
    owner thread: a Qt caller should only emit a signal from them. Raises SpeechUnavailable (plain
    words) if no voice starts, RuntimeError if another engine is still running in this process.
    """

    def __init__(
        self,
        *,
        output_dir: str | os.PathLike | None = None,
        driver_name: str | None = None,
        player: StreamPlayer | WavPlayer | None = None,
        on_error: Callable[[str], None] | None = None,
        on_finished: Callable[[str, Path | None], None] | None = None,
    ):
        self._output_dir = Path(output_dir) if output_dir is not None else None
        if self._output_dir is not None:
            private_folder(self._output_dir)  # what is spoken describes the user's screen
        self._on_error = on_error
        self._on_finished = on_finished
        self.last_error: str | None = None
        self._cond = threading.Condition()
        self._queue: deque[Job] = deque()
        self._current: Job | None = None
        self._settings: dict[str, object] = {}
        self._generation = 0
        self._sequence = 0
        self._is_closing = False
        self._interrupt = threading.Event()
        self.sound_times: deque = deque(maxlen=SOUND_TIMES_KEPT)  # (sequence, SoundTimes), owner thread
        self._engine = EngineThread(self._serve, driver_name=driver_name, player=player,
                                    needs_player=self._output_dir is None)
        try:
            self._engine.wait_until_started()
        except SpeechUnavailable:
            self.shutdown()  # an engine that starts late finds the speech closing and is dropped at once
            raise

    # --- called from any thread -------------------------------------------------------------

    def say(self, text: str) -> None:
        text = text.strip()
        if not text:
            return
        with self._cond:
            if self._is_closing:
                return
            self._sequence += 1
            self._queue.append(Job(self._generation, self._sequence, text, time.monotonic()))
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._generation += 1
            self._queue.clear()
            self._interrupt.set()  # wakes a playing utterance at once
            self._cond.notify_all()

    def is_speaking(self) -> bool:
        with self._cond:
            return bool(self._queue) or self._current is not None

    def set_voice(self, rate: int | None = None, volume: float | None = None, voice_id: str | None = None) -> None:
        """Applied before the next utterance; a stop does not discard settings."""
        changes: dict[str, object] = {}
        if rate is not None:
            changes["rate"] = max(MIN_RATE_WPM, min(MAX_RATE_WPM, int(rate)))
        if volume is not None:
            changes["volume"] = max(0.0, min(1.0, float(volume)))
        if voice_id == "":  # the system's default voice, as it was when the engine started
            voice_id = self._engine.default_voice or None
        if voice_id is not None:
            changes["voice"] = voice_id  # checked on the owner thread, which reports problems
        with self._cond:
            self._settings.update(changes)
            self._cond.notify_all()

    def voices(self) -> list[tuple[str, str]]:
        return list(self._engine.voices)  # read once on the owner thread at start

    def wait_until_idle(self, timeout: float) -> bool:
        """Block until everything queued is spoken (tests, and file mode off the GUI thread)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and self._current is None, timeout)

    def shutdown(self) -> None:
        with self._cond:
            self._is_closing = True
            self._generation += 1
            self._queue.clear()
            self._interrupt.set()
            self._cond.notify_all()
        self._engine.join()

    # --- the owner thread -------------------------------------------------------------------

    def _serve(self, runner: Runner) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._settings or self._is_closing)
                if self._is_closing:
                    return
                settings, self._settings = self._settings, {}
                job = self._current = self._queue.popleft() if self._queue else None
                self._interrupt.clear()  # under the lock: a later stop() sets it again
            for name, value in settings.items():
                self._apply(runner, name, value)
            if job is not None:
                self._perform(runner, job)
            with self._cond:
                self._current = None
                self._cond.notify_all()

    def _apply(self, runner: Runner, name: str, value: object) -> None:
        if name == "voice" and value not in {known for known, _name in self._engine.voices}:
            logger.warning("unknown voice id %r", value)  # e.g. settings copied from another machine
            self._report(tr(UNKNOWN_VOICE))
            return
        try:
            runner.set_property(name, value)
        except Exception:
            log_failure("could not set %s=%r", name, value)

    def _perform(self, runner: Runner, job: Job) -> None:
        token = Token(self, job.generation)
        if token.is_cancelled():
            return
        runner.last_times = None
        runner.on_first_sound = lambda times: self._mark_first_sound(times, job)
        try:
            path = self._render(runner, job, token) if self._output_dir else runner.speak(job.text, token)
        except PlaybackFailed as exc:
            logger.warning("playback failed: %s", exc)
            self._report(tr(PLAYBACK_FAILED))
            return
        except Exception:
            log_failure("the voice failed on %r", job.text)
            self._report(tr(SPEAKING_FAILED))
            return
        finally:
            if runner.last_times is not None:  # SAPI and the macOS voice speak directly and cannot tell
                self.sound_times.append((job.sequence, runner.last_times))
        if not token.is_cancelled():
            self.last_error = None
            _call_back(self._on_finished, job.text, path)

    @staticmethod
    def _mark_first_sound(times, job: Job) -> None:
        """The phrase's sound has begun: its moments go to the request's timeline (engine/timeline.py)."""
        timeline.mark(FIRST_SAMPLE, times.first_sample, since=job.queued_at)
        timeline.mark(FIRST_AUDIO_OUT, times.first_out, since=job.queued_at)

    def _render(self, runner: Runner, job: Job, token: Token) -> Path | None:
        """Stream to a scratch file, then publish it only if no stop came in the meantime."""
        final = self._output_dir / f"{job.sequence:04d}.wav"
        scratch = final.with_name(f".{final.name}.part")
        runner.render(job.text, scratch, token)
        tighten(scratch)  # the synthesiser creates it with the umask's mode
        with self._cond:  # stop() holds this lock too: no stop can slip between check and publish
            if token.is_cancelled():
                scratch.unlink(missing_ok=True)
                return None
            os.replace(scratch, final)
        return final

    def _report(self, message: str) -> None:
        if message == self.last_error:
            return  # say it once: a missing device would otherwise be announced every sentence
        self.last_error = message
        _call_back(self._on_error, message)


def _call_back(callback: Callable | None, *args) -> None:
    """A caller's callback must not end the owner thread: its failure is logged and speech goes on."""
    try:
        if callback is not None:
            callback(*args)
    except Exception:
        log_failure("speech callback %r failed", callback)


class WavFileSpeech(Pyttsx3Speech):
    """Writes each utterance to output_dir/NNNN.wav (tests, and "speak to file"); plays nothing.

    With espeak-ng the samples are written as they are synthesised, through the same calls a
    streaming player gets, so the moments it records (sound_times) are those of the real voice."""

    def __init__(self, output_dir: str | os.PathLike, **options):
        super().__init__(output_dir=output_dir, **options)
