"""Runs captures and image decoding off the GUI thread, one at a time, newest wins.

A job is a plain function taking an abort event and returning an RGB array. Results come
back as signals with the job's ticket; the caller ignores tickets it no longer waits for.
A job's event is set as soon as a newer job is submitted or the jobs close, so a job that
waits (a file read that stalled: engine.image_file) gives up at once and never holds the
one capture thread from the next request, or the app from quitting. Every failure
becomes a plain message: CaptureError and ImageError carry their own, anything else
is logged and reported without a traceback.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.capture.errors import CaptureError

log = logging.getLogger(__name__)


class CaptureJobs(QObject):
    finished = Signal(int, object)  # ticket, RGB array
    failed = Signal(int, str)  # ticket, plain message

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="capture")
        self._abort = threading.Event()  # the newest job's

    def abandon(self) -> None:
        """The job in flight is no longer waited for (a new request, Stop): it gives up if it waits."""
        self._abort.set()

    def run(self, ticket: int, job: Callable[[threading.Event], np.ndarray]) -> Future:
        self.abandon()  # newest wins
        self._abort = threading.Event()
        return self._pool.submit(self._run, ticket, job, self._abort)

    def _run(self, ticket: int, job: Callable[[threading.Event], np.ndarray], abort: threading.Event) -> None:
        from engine.images import ImageError

        try:
            rgb = job(abort)
        except (CaptureError, ImageError) as exc:
            self.failed.emit(ticket, str(exc))
            return
        except Exception as exc:  # a capture library failing in a way we did not foresee
            log.exception("capture failed")
            self.failed.emit(ticket, QCoreApplication.translate(
                "Capture", "The image could not be captured ({0}). Please try again.").format(type(exc).__name__))
            return
        self.finished.emit(ticket, np.ascontiguousarray(rgb, dtype=np.uint8))

    def close(self) -> None:
        self.abandon()
        self._pool.shutdown(wait=True, cancel_futures=True)
