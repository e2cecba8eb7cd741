"""The worker process: owns the model, answers one request at a time over a pipe.

Messages are (kind, payload) tuples. The worker reads new messages between chunks and
between tokens: a cancel for the current request, or any new request, stops the
current one within a token. A heartbeat thread lets the client tell a hung worker
from a busy one.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import traceback
from collections import deque

HEARTBEAT_S = 0.5

# requests
LOAD, DESCRIBE, CANCEL, SHUTDOWN = "load", "describe", "cancel", "shutdown"
# events
LOADED, CHUNK, DONE, CANCELLED, ERROR, HEARTBEAT = "loaded", "chunk", "done", "cancelled", "error", "heartbeat"
# error kinds
KIND_MODEL, KIND_ENGINE = "model", "engine"


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

    def send(self, kind: str, payload: dict) -> None:
        with self._lock:
            try:
                self.conn.send((kind, payload))
            except (OSError, EOFError) as exc:
                raise _ParentGone() from exc

    def receive_waiting(self):
        """The next message if one is already waiting, else None."""
        try:
            return self.conn.recv() if self.conn.poll() else None
        except (OSError, EOFError) as exc:
            raise _ParentGone() from exc

    def next(self):
        if self.pending:
            return self.pending.popleft()
        try:
            return self.conn.recv()
        except (OSError, EOFError) as exc:
            raise _ParentGone() from exc


def _heartbeat(link: _Link, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_S):
        try:
            link.send(HEARTBEAT, {})
        except _ParentGone:
            return


@contextlib.contextmanager
def sigint_blocked():
    """(Caller side) SIGINT blocked in this thread while a worker is spawned.

    The caller owns Ctrl+C (the terminal sends it to the whole process group, the worker
    included). A blocked signal stays blocked in the child across fork and exec (POSIX
    sigprocmask(2), execve(2)), so one that arrives while the worker's Python starts and imports
    waits, and is dropped once worker_main ignores SIGINT. Windows has no signal masks.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


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
            kind, payload = link.next()
            if kind == SHUTDOWN:
                return
            if kind == LOAD:
                session, load_error = _load(link, payload)
            elif kind == DESCRIBE:
                if session is None:
                    link.send(ERROR, {"id": payload["id"], "kind": KIND_MODEL,
                                      "message": load_error or "The model is not loaded."})
                    continue
                _serve(link, session, payload)
                if libc is not None:
                    libc.malloc_trim(0)
    except _ParentGone:
        return  # nobody is left to answer: end without a word (a traceback would land in the caller's terminal)
    finally:
        stop.set()
        if session is not None:
            session.close()


def _load(link: _Link, payload: dict):
    from engine import native_log

    native_log.configure(bool(payload.get("debug")))
    try:
        from engine.session import Session

        session = Session(payload)
    except Exception as exc:  # llama.cpp reports load failures as plain exceptions
        message = f"The model could not be loaded: {exc}"
        link.send(ERROR, {"id": None, "kind": KIND_MODEL, "message": message, "detail": traceback.format_exc()})
        return None, message
    link.send(LOADED, {"load_s": session.load_s, "n_threads": payload["n_threads"]})
    return session, None


def _serve(link: _Link, session, request: dict) -> None:
    request_id = request["id"]
    stopped = [False]
    chunks_after_stop = [0]  # generated after the cancel arrived: "within a token or two" is checked on this

    def should_stop() -> bool:
        while (message := link.receive_waiting()) is not None:
            kind, payload = message
            if kind == CANCEL:
                if payload.get("id") in (request_id, None):
                    stopped[0] = True
            else:  # a new request (or shutdown) replaces the one in flight
                link.pending.append((kind, payload))
                stopped[0] = True
        return stopped[0]

    def emit(kind: str, payload: dict) -> None:
        if stopped[0] and kind == CHUNK:
            chunks_after_stop[0] += 1
        link.send(kind, {"id": request_id, **payload})

    try:
        result = session.run(request, emit, should_stop)
    except Exception as exc:
        from engine.session import SessionError

        message = str(exc) if isinstance(exc, SessionError) else f"The description failed: {exc}"
        link.send(ERROR, {"id": request_id, "kind": KIND_ENGINE, "message": message, "detail": traceback.format_exc()})
        return
    if result["stop_reason"] == "cancelled":
        link.send(CANCELLED, {"id": request_id, "chunks_after_cancel": chunks_after_stop[0]})
    else:
        link.send(DONE, {"id": request_id, **result})
