"""The voice's owner thread: the process's one pyttsx3 engine is created, used and dropped on it.

pyttsx3 engines are not thread-safe (its tracker reports hangs and "run loop already started" when
two threads touch one engine), and the espeak driver keeps one process-wide synthesis callback, so
exactly one engine exists per process, created, used and dropped on its owner thread.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

from app.speech.errors import ENGINE_FAILED, ENGINE_TIMEOUT, SpeechUnavailable, tr
from app.speech.players import StreamPlayer, WavPlayer
from app.speech.runners import Runner, create_runner

logger = logging.getLogger("visionpangu.speech")

# Starting espeak takes ~50 ms and SAPI5 about a second; past this the voice is called unavailable.
ENGINE_START_TIMEOUT_S = 10.0
# join() waits this long for the owner thread; it is a daemon, so a hung driver cannot block exit.
SHUTDOWN_TIMEOUT_S = 5.0

# One engine per process (see the module docstring); held from start until the owner thread ends.
_engine_slot = threading.Lock()


class EngineThread:
    """Starts the engine on a thread of its own and runs serve(runner) there until serve returns.

    Raises RuntimeError if another engine is still running in this process. voices and
    default_voice are read once at start; wait_until_started() raises SpeechUnavailable (plain
    words) if no voice starts.
    """

    def __init__(self, serve: Callable[[Runner], None], *, driver_name: str | None,
                 player: StreamPlayer | WavPlayer | None, needs_player: bool):
        if not _engine_slot.acquire(blocking=False):
            raise RuntimeError("a pyttsx3 engine is already running in this process; shut it down first")
        self._serve = serve
        self._driver_name = driver_name
        self._player = player
        self._needs_player = needs_player
        self._ready = threading.Event()
        self._start_error: SpeechUnavailable | None = None
        self.voices: list[tuple[str, str]] = []
        self.default_voice = ""  # the engine's voice at start: what an empty voice setting means
        self._thread = threading.Thread(target=self._run, name="speech-owner", daemon=True)
        self._thread.start()

    def wait_until_started(self) -> None:
        """The caller must still make serve return and join() when this raises."""
        if not self._ready.wait(ENGINE_START_TIMEOUT_S):
            raise SpeechUnavailable(tr(ENGINE_TIMEOUT), detail="engine start timed out")
        if self._start_error is not None:
            raise self._start_error

    def join(self) -> None:
        """Waits for the thread once serve was told to return; on the thread itself, returns at once."""
        if threading.current_thread() is not self._thread:
            self._thread.join(SHUTDOWN_TIMEOUT_S)
            if self._thread.is_alive():
                logger.warning("the speech thread did not end within %s s", SHUTDOWN_TIMEOUT_S)

    def _run(self) -> None:
        scratch = tempfile.TemporaryDirectory(prefix="visionpangu-speech-")
        runner = None
        try:
            runner = self._start_engine(Path(scratch.name))
            if runner is not None:
                self._serve(runner)
        finally:
            if runner is not None:
                runner.close()
            del runner  # drop the engine here, on its own thread, before the next one may start
            scratch.cleanup()
            _engine_slot.release()
            self._ready.set()

    def _start_engine(self, scratch: Path) -> Runner | None:
        try:
            runner = create_runner(self._driver_name, scratch, self._player, needs_player=self._needs_player)
            self.voices = runner.voices()
            try:
                self.default_voice = runner.default_voice()
            except Exception:  # a driver without a current voice: "" then means "leave it"
                self.default_voice = ""
            return runner
        except SpeechUnavailable as exc:
            self._start_error = exc
        except Exception as exc:  # a driver failing in a way create_runner did not foresee
            log_failure("speech engine failed to start")
            self._start_error = SpeechUnavailable(tr(ENGINE_FAILED), detail=repr(exc))
        finally:
            self._ready.set()
        return None


def log_failure(message: str, *args) -> None:
    # The traceback is logged as text, not as exc_info: a log record holding it would keep the
    # engine alive in its frames, and an espeak engine destroyed late unhooks the synthesis callback
    # of whichever engine came after it (the driver's destroy() sets espeak's one callback to None).
    logger.error(message + "\n%s", *args, traceback.format_exc())
