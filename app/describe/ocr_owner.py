"""The app's one owner of the text reader's process (engine/ocr/process.py's OcrClient).

Both Read text (app/describe/reader.py) and the second look's planner (app/describe/close_up_planner.py)
read through it. The client lives on one thread of its own and nothing else touches it: its
`next_event` blocks, and loading the OCR models takes about a second, either of which would hold
back the window and the screen reader. Jobs run on that thread one at a time; a new job or
`cancel` stops the one in progress at once (each polls its stop event every POLL_S seconds and
then cancels its read in the OCR process), so Stop never waits for a read.

The process is started on the first job and kept (the next read needs no second load). It always
runs below the model worker's CPU priority (`is_background`): a niceness once raised cannot be
lowered again without privileges, and in the app a description can start at any moment beside it.
A crash in it ends only that process: the job in progress gets one plain message
(engine.ocr.process.DIED_MESSAGE) and the next job starts a new one.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from PySide6.QtCore import QCoreApplication

from engine.ocr.process import OcrClient

log = logging.getLogger(__name__)
POLL_S = 0.1  # how often a job looks at its stop event while waiting for the OCR process
FAILED_MESSAGE = "The text reader could not be started ({0})."

# A job: (the client, its stop event) -> None; it reports through Qt signals (queued to the GUI thread).
Job = Callable[[OcrClient, threading.Event], None]


def tr(text: str) -> str:
    """The text reader's messages, the engine's included (engine/ocr/process.py, engine/ocr/messages.py)."""
    return QCoreApplication.translate("TextReader", text)


class OcrOwner:
    def __init__(self, client_factory: Callable[[], OcrClient] | None = None):
        self._client_factory = client_factory or (lambda: OcrClient(is_background=True))
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="text-reader")
        self._client: OcrClient | None = None  # only ever touched on the pool's thread (and after it ended)
        self._stop = threading.Event()
        self._is_shut_down = False

    def submit(self, job: Job, on_error: Callable[[str], None]) -> threading.Event:
        """(GUI thread) Stop the job in progress and run `job` next; its stop event. An unexpected
        exception in the job is logged and handed to `on_error` as one plain sentence."""
        self.cancel()
        stop = self._stop = threading.Event()
        if self._is_shut_down:
            stop.set()
            return stop

        def run() -> None:
            if stop.is_set():
                return
            try:
                if self._client is None:
                    self._client = self._client_factory()
                job(self._client, stop)
            except Exception as exc:  # a bug or a process that cannot be spawned: one plain message
                log.exception("text reader job failed")
                if not stop.is_set():
                    on_error(tr(FAILED_MESSAGE).format(type(exc).__name__))

        self._pool.submit(run)
        return stop

    def cancel(self) -> None:
        """(GUI thread) The job in progress ends at once, and nothing more of it is reported."""
        self._stop.set()

    @property
    def pid(self) -> int | None:
        """The OCR process's id, if it runs (for diagnostics and tests)."""
        client = self._client
        return client.pid if client is not None else None

    def shutdown(self) -> None:
        """On quit: the job ends, then the OCR process is ended at once (it holds nothing to save)."""
        self._is_shut_down = True
        self.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._client is not None:
            self._client.kill()
            self._client = None
