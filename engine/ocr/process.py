"""The OCR process: the text reader in a process of its own, and the caller's side of its pipe.

Its own process, so that a crash inside onnxruntime or OpenCV never takes down the window or the
model worker, and so that it can run at a lower CPU priority: on a 2-core machine the model
worker's glance must keep both cores, and a read at nice 10 gets the cycles llama.cpp leaves
(the figures are in the README, "Reading text"). It is also the one process that refuses every
network connection (engine/ocr/offline.py). Spawned, never forked (a forked Qt or llama.cpp
process is not safe), deaf to Ctrl+C (the caller owns it), and gone when the caller goes.
"""

from __future__ import annotations

import itertools
import os
import sys
import time

from engine import child_process
from engine.ocr.messages import CancelRead, LineRead, OcrEvent, Read, ReadDone, ReadFailed, Ready, Shutdown

# CPU priority of the OCR process: below the model worker (POSIX nice 10; Windows' below normal).
NICE = 10
LOAD_TIMEOUT_S = 60.0
JOIN_TIMEOUT_S = 2.0
DIED_MESSAGE = "The text reader stopped unexpectedly and will restart. Please try again."
PIPE_ERRORS = (OSError, EOFError)


def peak_rss_bytes() -> int:
    """This process's peak resident memory: VmHWM on Linux, peak working set on Windows, ru_maxrss on
    macOS. Not ru_maxrss on Linux: it starts from the parent's resident memory at the fork that
    spawned this process and is kept across exec (getrusage(2)), so a reader spawned by a process
    holding a model would report that model's memory as its own."""
    if sys.platform == "darwin":
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # bytes on macOS
    from engine.process_memory import peak_rss_bytes as peak_of

    return peak_of(os.getpid())


def _lower_priority() -> None:
    import psutil

    psutil.Process().nice(psutil.BELOW_NORMAL_PRIORITY_CLASS if sys.platform == "win32" else NICE)


def ocr_main(conn, n_threads: int, is_background: bool) -> None:
    """(OCR process) Load the reader, then read one image at a time until told to stop."""
    from engine.ocr.models import OcrUnavailable
    from engine.ocr.offline import NetworkForbidden, forbid_network
    from engine.worker import _ignore_ctrl_c

    _ignore_ctrl_c()
    forbid_network()
    if is_background:
        _lower_priority()
    start = time.perf_counter()
    try:
        from engine.ocr.reader import TextReader

        reader = TextReader(n_threads)
    except (OcrUnavailable, NetworkForbidden) as exc:
        conn.send(ReadFailed(None, str(exc)))
        return
    conn.send(Ready(time.perf_counter() - start, n_threads))
    pending = None
    while True:
        try:
            message, pending = (pending or conn.recv()), None
        except PIPE_ERRORS:  # the caller has gone
            return
        if isinstance(message, Shutdown):
            return
        if not isinstance(message, Read):
            continue  # a cancel for a read already done

        def should_stop() -> bool:  # any message stops this read: a cancel, a newer read, shutdown
            nonlocal pending
            if pending is None and conn.poll():
                pending = conn.recv()
            return pending is not None

        count = 0
        try:
            for line in reader.lines(message.image, should_stop):
                conn.send(LineRead(message.ticket, line))
                count += 1
        except PIPE_ERRORS:
            return
        except Exception as exc:  # a bug or an unexpected image: this read fails, the process goes on
            conn.send(ReadFailed(message.ticket, f"The text could not be read ({type(exc).__name__})."))
            continue
        conn.send(ReadDone(message.ticket, count, should_stop(), peak_rss_bytes()))


class OcrClient(child_process.ChildOwner):
    """The caller's side: start the OCR process, send reads, receive their lines."""

    def __init__(self, n_threads: int | None = None, is_background: bool = False):
        """`is_background`: below the model worker's CPU priority (beside a description); `read`
        alone runs at normal priority."""
        from engine.client import physical_cores

        self.n_threads = n_threads or physical_cores()
        self.is_background = is_background
        self._tickets = itertools.count(1)
        self._proc = self._conn = None
        self._active: int | None = None
        self._cancelled: set[int] = set()

    def start(self) -> None:
        self._proc, self._conn = child_process.spawn(ocr_main, (self.n_threads, self.is_background), "visionpangu-ocr")

    def wait_ready(self, timeout: float = LOAD_TIMEOUT_S) -> Ready | ReadFailed:
        event = self.next_event(timeout)
        if isinstance(event, (Ready, ReadFailed)):
            return event
        self.close()
        return ReadFailed(None, "The text reader took too long to start.")

    def read(self, image) -> int:
        """Start reading `image` (stopping any read in progress); its ticket."""
        if not self.is_alive():
            self._discard()
            self.start()
        ticket = next(self._tickets)
        if self._active is not None:
            self._cancelled.add(self._active)
        self._active = ticket
        try:
            self._conn.send(Read(ticket, image))
        except PIPE_ERRORS:
            self._discard()  # next_event reports it
        return ticket

    def cancel(self) -> None:
        """Stop the read in progress at once: nothing more of it is handed out."""
        if self._active is None:
            return
        ticket, self._active = self._active, None
        self._cancelled.add(ticket)
        try:
            self._conn.send(CancelRead(ticket))
        except PIPE_ERRORS:
            pass

    def next_event(self, timeout: float) -> OcrEvent | None:
        """The next event of the current read (or of the start), or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while self._conn is not None:
            try:
                ready = self._conn.poll(max(0.0, min(deadline - time.monotonic(), 0.25)))
                message = self._conn.recv() if ready else None
            except PIPE_ERRORS:
                message = None
            if message is None:
                if not self.is_alive():
                    return self._lost()
                if time.monotonic() >= deadline:
                    return None
                continue
            if isinstance(message, (Ready,)) or getattr(message, "ticket", 0) is None:
                return message
            if message.ticket in self._cancelled or message.ticket != self._active:
                if isinstance(message, (ReadDone, ReadFailed)):
                    self._cancelled.discard(message.ticket)
                continue
            if isinstance(message, (ReadDone, ReadFailed)):
                self._active = None
            return message
        return None

    def _lost(self) -> ReadFailed:
        ticket, self._active = self._active, None
        self._discard()
        return ReadFailed(ticket, DIED_MESSAGE)

    def _discard(self) -> None:
        if self._proc is not None:
            if self._proc.is_alive():
                self._proc.kill()
            self._proc.join(JOIN_TIMEOUT_S)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        if self.is_alive():
            try:
                self._conn.send(Shutdown())
                self._proc.join(JOIN_TIMEOUT_S)
            except PIPE_ERRORS:
                pass
        self._discard()

    def kill(self) -> None:
        """At once (Ctrl+C, quitting): the OCR process holds nothing worth waiting for."""
        self._active = None
        self._discard()
