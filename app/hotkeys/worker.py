"""Hands work to the thread that owns a native connection, and waits for the answer.

Each backend has one thread that alone touches its native resource (an X display
connection, a Windows message queue, a D-Bus connection, a macOS run loop): one owner per resource.
Other threads submit a function; the owner runs it between events and the submitter gets
the result through a Future. The owner is woken through a pipe it can select() on, or
through a wake function the backend provides (Windows posts a thread message).
"""

from __future__ import annotations

import os
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable

WAKE_BYTE = b"w"
DRAIN_CHUNK = 4096


class OwnerGone(RuntimeError):
    """The owning thread has stopped, so the work was not done."""


class CommandQueue:
    def __init__(self, wake: Callable[[], None] | None = None):
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Future]] = queue.SimpleQueue()
        self._read_fd = self._write_fd = -1
        if wake is None:
            self._read_fd, self._write_fd = os.pipe()
            os.set_blocking(self._read_fd, False)
            os.set_blocking(self._write_fd, False)
        self._wake = wake or self._wake_pipe
        self._closed = False
        self._lock = threading.Lock()  # close() and submit() never interleave

    def fileno(self) -> int:
        """Readable when work is waiting (pipe mode only)."""
        return self._read_fd

    def set_wake(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def submit(self, work: Callable[[], Any]) -> Future:
        future: Future = Future()
        with self._lock:
            if self._closed:
                future.set_exception(OwnerGone("the hotkey thread has stopped"))
                return future
            self._queue.put((work, future))
            self._wake()
        return future

    def run_pending(self) -> None:
        """Called by the owner: run every waiting function, in order."""
        if self._read_fd >= 0:
            try:
                while os.read(self._read_fd, DRAIN_CHUNK):
                    pass
            except BlockingIOError:
                pass
        while True:
            try:
                work, future = self._queue.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(work())
            except BaseException as error:  # handed to the submitter, who reports it
                future.set_exception(error)

    def close(self) -> None:
        """Called by the owner as it stops: later and still-waiting work fails with OwnerGone."""
        with self._lock:
            self._closed = True
        while True:
            try:
                _, future = self._queue.get_nowait()
            except queue.Empty:
                break
            if future.set_running_or_notify_cancel():
                future.set_exception(OwnerGone("the hotkey thread has stopped"))
        for fd in (self._read_fd, self._write_fd):
            if fd >= 0:
                os.close(fd)
        self._read_fd = self._write_fd = -1

    def _wake_pipe(self) -> None:
        try:
            os.write(self._write_fd, WAKE_BYTE)
        except BlockingIOError:
            pass  # the pipe is full, so the owner is already due to wake
