"""The worker process: owns the model, answers one request at a time over a pipe.

Messages are the dataclasses of engine/protocol.py. The worker reads new messages between chunks and
between tokens: a cancel for the current request, or any new request, stops the
current one within a token. A heartbeat thread lets the client tell a hung worker
from a busy one.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import traceback
from collections import deque

from engine.protocol import (Cancel, Cancelled, Describe, ErrorKind, Event, Failed, Heartbeat, Load, Loaded,
                             Request, Shutdown, StopReason)

HEARTBEAT_S = 0.5
LOAD_FAILED_MESSAGE = ("The model could not be loaded: llama.cpp refused the model files. Convert the checkpoint "
                       "again, or choose another model folder.")
NOT_LOADED_MESSAGE = "The model is not loaded."
REQUEST_FAILED_MESSAGE = "The description failed inside the engine. Please try again."


class _ParentGone(BaseException):
    """The client's end of the pipe is closed (the caller exited or was killed): the worker ends quietly.

    A BaseException, like SystemExit, so that no `except Exception` on the way (a failed request's
    report, for one) takes it for a request's failure and tries to report it down the dead pipe.
    """


class _Link:
    """The worker's end of the pipe, safe to send on from two threads."""

    def __init__(self, conn):
        self.conn = conn
        self._lock = threading.Lock()
        self.pending: deque = deque()

    def send(self, event: Event) -> None:
        with self._lock:
            try:
                self.conn.send(event)
            except (OSError, EOFError) as exc:
                raise _ParentGone() from exc

    def receive_waiting(self) -> Request | None:
        """The next message if one is already waiting, else None."""
        try:
            return self.conn.recv() if self.conn.poll() else None
        except (OSError, EOFError) as exc:
            raise _ParentGone() from exc

    def next(self) -> Request:
        if self.pending:
            return self.pending.popleft()
        try:
            return self.conn.recv()
        except (OSError, EOFError) as exc:
            raise _ParentGone() from exc


def _heartbeat(link: _Link, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_S):
        try:
            link.send(Heartbeat())
        except _ParentGone:
            return


@contextlib.contextmanager
def sigint_blocked():
    """(Caller side) Ctrl+C held back while a worker is spawned, and delivered once it has started.

    The caller owns Ctrl+C (the terminal sends it to the whole process group, the worker
    included). A blocked signal stays blocked in the child across fork and exec (POSIX
    sigprocmask(2), execve(2)), so one that arrives while the worker's Python starts and imports
    waits, and is dropped once worker_main ignores SIGINT. Windows has no signal masks.

    The mask covers this thread only: a SIGINT the kernel hands to another thread (numpy's
    OpenBLAS threads do not block it) still makes Python raise KeyboardInterrupt in the main
    thread, which would cut the spawn short between starting the child and writing its start-up
    data (the child then dies of "EOFError: Ran out of input", with a traceback on the shared
    stderr). So in the main thread Python's own handler is also swapped for one that only notes
    the signal, which is handed to the previous handler once the child has started.
    """
    # only the main thread can set Python's handlers, and only one that Python itself set can be put back
    is_main = threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGINT) is not None
    noted: list = []
    previous_handler = signal.signal(signal.SIGINT, lambda _signum, frame: noted.append(frame)) if is_main else None
    previous_mask = (signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
                     if hasattr(signal, "pthread_sigmask") else None)
    try:
        yield
    finally:
        if previous_mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        if is_main:
            signal.signal(signal.SIGINT, previous_handler)
            if noted and callable(previous_handler):
                previous_handler(signal.SIGINT, noted[-1])  # Python's default raises KeyboardInterrupt now
            elif noted and previous_handler == signal.SIG_DFL:
                signal.raise_signal(signal.SIGINT)


def _ignore_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # a pending one is now dropped


M_MMAP_THRESHOLD = -3  # mallopt parameter (malloc.h)
MMAP_THRESHOLD_BYTES = 4 << 20


def _glibc_keeping_memory_low():
    """glibc, set to give big buffers back to the system as soon as they are freed; None
    elsewhere (macOS, Windows, musl).

    glibc raises its mmap threshold after each large free, so a request's 16 MB image and
    mtmd's tile buffers end up on the heap and stay in the worker's RSS after the request
    (about 20 MB over a handful of requests, measured). A fixed threshold keeps them mapped
    and unmapped; the caller's malloc_trim after each request returns the heap's free pages.
    """
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    if not (hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt")):
        return None
    libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    return libc


def worker_main(conn) -> None:
    _ignore_ctrl_c()
    libc = _glibc_keeping_memory_low()
    link = _Link(conn)
    stop = threading.Event()
    threading.Thread(target=_heartbeat, args=(link, stop), daemon=True, name="heartbeat").start()
    session = None
    load_error: str | None = None
    try:
        while True:
            request = link.next()
            if isinstance(request, Shutdown):
                return
            if isinstance(request, Load):
                session, load_error = _load(link, request)
                if libc is not None:
                    libc.malloc_trim(0)  # what loading and compiling the encoder freed
            elif isinstance(request, Describe):
                if session is None:
                    link.send(Failed(request.id, ErrorKind.MODEL, load_error or NOT_LOADED_MESSAGE))
                    continue
                _serve(link, session, request)
                if libc is not None:
                    libc.malloc_trim(0)
    except _ParentGone:
        return  # nobody is left to answer: end without a word (a traceback would land in the caller's terminal)
    finally:
        stop.set()
        if session is not None:
            session.close()


def _load(link: _Link, load: Load):
    from engine import native_log

    native_log.configure(load.is_debug)
    try:
        session = _new_session(load)
    except Exception:  # llama.cpp reports load failures as plain exceptions: their text goes to the log only
        link.send(Failed(None, ErrorKind.MODEL, LOAD_FAILED_MESSAGE, traceback.format_exc()))
        return None, LOAD_FAILED_MESSAGE
    placement = session.placement
    vision = session.vision.choice
    link.send(Loaded(session.load_s, load.n_threads, placement.ran_on, placement.reason, placement.has_gpu_failed,
                     vision.ran, vision.reason))
    return session, None


def _new_session(load: Load):
    """The session on the device the setting chooses; on the CPU if loading onto the GPU failed."""
    import gc

    from engine import device
    from engine.session import Session

    if device.choose(load.device, device.supports_gpu_offload()).ran_on != device.RAN_ON_GPU:
        return Session(load)
    try:
        return Session(load)
    except Exception:
        # debug level: without --debug nothing reaches stderr (Python's last-resort handler prints warnings)
        logging.getLogger(__name__).debug("loading onto the GPU failed; loading on the CPU instead", exc_info=True)
        gc.collect()  # what the failed load made (a model on the GPU) is freed before the CPU's copy is read
        return Session(load, has_gpu_failed=True)


def _serve(link: _Link, session, request: Describe) -> None:
    request_id = request.id
    stopped = [False]
    chunks_after_stop = [0]  # generated after the cancel arrived: "within a token or two" is checked on this

    def should_stop() -> bool:
        while (message := link.receive_waiting()) is not None:
            if isinstance(message, Cancel):
                if message.id in (request_id, None):
                    stopped[0] = True
            else:  # a new request (or shutdown) replaces the one in flight
                link.pending.append(message)
                stopped[0] = True
        return stopped[0]

    def emit(chunk) -> None:
        if stopped[0]:
            chunks_after_stop[0] += 1
        link.send(chunk)

    try:
        done = session.run(request, emit, should_stop)
    except Exception as exc:
        from engine.session import SessionError

        message = str(exc) if isinstance(exc, SessionError) else REQUEST_FAILED_MESSAGE
        link.send(Failed(request_id, ErrorKind.ENGINE, message, traceback.format_exc()))
        return
    if done.stop_reason == StopReason.CANCELLED:
        link.send(Cancelled(request_id, chunks_after_stop[0]))
    else:
        link.send(done)
