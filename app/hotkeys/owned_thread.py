"""The start, register and close of a back end whose native resource one thread owns.

Every platform back end (x11.py, windows.py, portal.py, macos.py) runs its native work on a
thread of its own (one owner per resource, see worker.py). What they share is written here:
- start() starts the thread and waits for its first answer: None once it is ready, or the
  plain reason global shortcuts cannot work (no_answer_message() if it does not answer);
- register() and close() hand their work to the thread through its CommandQueue
  (QueuedBackend; the macOS tap needs no queue and keeps its own);
- a failure is said once: as start()'s answer while start() waits, else through on_failed;
  what the user reads names the kind of error, and its text goes to the log.
"""

from __future__ import annotations

import logging
import threading
from abc import abstractmethod
from concurrent.futures import Future, TimeoutError as FutureTimeout
from typing import Callable, Mapping

from app.hotkeys.backend import HotkeyBackend, Outcome, Status
from app.hotkeys.combo import KeyCombo
from app.hotkeys.texts import connection_lost_message, no_answer_message, unexpected_failure_message
from app.hotkeys.worker import CommandQueue, OwnerGone

log = logging.getLogger(__name__)

START_TIMEOUT_S = COMMAND_TIMEOUT_S = JOIN_TIMEOUT_S = 5.0  # a native connection answers in milliseconds


class OwnedThreadBackend(HotkeyBackend):
    thread_name = "hotkeys"

    def __init__(self):
        self._thread: threading.Thread | None = None
        self._stopping = False

    def start(self, on_activated, on_outcomes, on_failed) -> str | None:
        self._on_activated, self._on_outcomes, self._on_failed = on_activated, on_outcomes, on_failed
        ready: Future = Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name=self.thread_name, daemon=True)
        self._thread.start()
        try:
            return ready.result(timeout=START_TIMEOUT_S)
        except FutureTimeout:
            return no_answer_message()

    @abstractmethod
    def _run(self, ready: Future) -> None:
        """The owning thread: answer `ready` (None or why not), then serve until stopped."""

    def _report(self, ready: Future | None, message: str) -> None:
        """Said once: start()'s answer while it waits, else a failure (none while closing)."""
        if ready is not None and not ready.done():
            ready.set_result(message)
        elif not self._stopping:
            self._on_failed(message)

    def _thread_failed(self, ready: Future | None, error: Exception) -> None:
        """A bug of ours on the owning thread: logged with its traceback, told to the user, never swallowed."""
        log.exception("%s hotkey thread failed", self.name)
        self._report(ready, unexpected_failure_message(type(error).__name__))


class QueuedBackend(OwnedThreadBackend):
    """A back end whose register() and close() run on the owning thread, through its command queue."""

    lost_errors: tuple[type[BaseException], ...] = (OwnerGone,)  # the connection is gone, not a bug

    def __init__(self, commands: CommandQueue | None = None):
        super().__init__()
        self._commands = commands or CommandQueue()

    def register(self, bindings: Mapping[str, KeyCombo]) -> dict[str, Outcome]:
        wanted = dict(bindings)
        try:
            return self._commands.submit(lambda: self._register_owned(wanted)).result(timeout=COMMAND_TIMEOUT_S)
        except FutureTimeout:
            message = no_answer_message()
        except self.lost_errors:
            message = connection_lost_message()
        except Exception as error:  # a bug of ours: said to the user, not raised into the GUI
            log.exception("%s hotkey registration failed", self.name)
            message = unexpected_failure_message(type(error).__name__)
        return {action_id: Outcome(Status.UNSUPPORTED, message) for action_id in wanted}

    @abstractmethod
    def _register_owned(self, bindings: dict[str, KeyCombo]) -> dict[str, Outcome]:
        """register() on the owning thread."""

    def _cannot_start(self, ready: Future, message: str) -> None:
        """The native resource could not be opened: start() answers why, and no work is taken."""
        self._commands.close()
        ready.set_result(message)

    def _serve(self, ready: Future, serve: Callable[[], None], release: Callable[[], None]) -> None:
        """Run `serve` (it answers `ready`, then loops until stopped). However it ends, no more work is
        taken and `release` frees the native resource; a lost connection or a bug is said once."""
        try:
            serve()
        except self.lost_errors as error:  # no traceback: nothing of ours went wrong
            log.warning("%s: the connection was lost (%s)", self.name, error)
            self._report(ready, connection_lost_message())
        except Exception as error:
            self._thread_failed(ready, error)
        finally:
            self._commands.close()
            release()

    def close(self) -> None:
        if self._thread is None:
            return
        self._commands.submit(self._request_stop)
        self._thread.join(JOIN_TIMEOUT_S)
        self._thread = None

    def _request_stop(self) -> None:
        self._stopping = True
