"""Speech Dispatcher, the speech service Orca speaks through, as a channel to the user's screen reader.

Orca releases before 46 have no handler for AT-SPI announcement events (Orca added
`object:announcement` in 46.0, GNOME/orca commit 9b02b1c4), so text the app sends only as
an announcement is never spoken there. Sending it to the same Speech Dispatcher that Orca
uses puts it in the same voice service and queue, with the output module and language the
user configured for it.

The protocol is SSIP (Speech Synthesis Interface Protocol, speech-dispatcher's
doc/ssip.texi): CRLF-terminated text commands over a Unix socket, three-digit replies
("2xx" success, "NNN-" a continued reply), message text ended by a line holding a single
dot. Only what the app needs is spoken here: name the client, set the priority, SPEAK,
CANCEL. Debian packages the Python bindings for the system Python only, and no maintained
client is on PyPI, so this small client is written out rather than added as a dependency.

One thread owns the socket; `speak` and `cancel` only queue work, so a slow or dead
service never blocks the GUI. No Qt here.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger("visionpangu.speech")

ADDRESS_ENV = "SPEECHD_ADDRESS"  # libspeechd's variable: "unix_socket:/path/to/speechd.sock"
SOCKET_RELATIVE = Path("speech-dispatcher") / "speechd.sock"  # under $XDG_RUNTIME_DIR (speech-dispatcher 0.8+)
CLIENT_NAME = "visionpangu:assistant:results"
PRIORITY = "message"  # the priority Orca itself speaks with: queued in order, not cut by other clients
REPLY_TIMEOUT_S = 2.0
SPAWN_TIMEOUT_S = 5.0
RETRY_AFTER_S = 30.0  # after a failure, text goes straight to the fallback for this long (no 2 s wait each)


class SpeechDispatcherError(OSError):
    """The service is not there or did not answer as SSIP says."""


def socket_path(environ: dict[str, str] | None = None) -> Path | None:
    """Where libspeechd would connect: $SPEECHD_ADDRESS, else the per-user runtime socket."""
    env = os.environ if environ is None else environ
    address = env.get(ADDRESS_ENV, "").strip()
    if address:
        method, _, rest = address.partition(":")
        return Path(rest) if method == "unix_socket" and rest else None  # inet sockets are not used
    runtime = env.get("XDG_RUNTIME_DIR", "").strip()
    return Path(runtime) / SOCKET_RELATIVE if runtime else None


def escape_text(text: str) -> bytes:
    """Message data as SSIP wants it: CRLF lines, a leading dot doubled, no bare terminator."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "".join(("." + line if line.startswith(".") else line) + "\r\n" for line in lines).encode("utf-8")


class SsipConnection:
    """One connection, used from one thread at a time."""

    def __init__(self, path: Path, timeout: float = REPLY_TIMEOUT_S):
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.settimeout(timeout)
        self._buffer = b""
        try:
            self._socket.connect(str(path))
            self.command(f"SET self CLIENT_NAME {CLIENT_NAME}")
            self.command(f"SET self PRIORITY {PRIORITY}")
        except OSError:
            self._socket.close()
            raise

    def command(self, line: str) -> list[str]:
        self._socket.sendall(line.encode("utf-8") + b"\r\n")
        return self._reply()

    def speak(self, text: str) -> None:
        self.command("SPEAK")  # 230 OK RECEIVING DATA
        self._socket.sendall(escape_text(text) + b".\r\n")
        self._reply()  # 225-<id>, 225 OK MESSAGE QUEUED

    def close(self) -> None:
        try:
            self._socket.sendall(b"QUIT\r\n")
        except OSError:
            pass
        self._socket.close()

    def _reply(self) -> list[str]:
        lines = []
        while True:
            line = self._read_line()
            lines.append(line)
            if len(line) >= 4 and line[3] == "-":
                continue
            if line[:1] not in ("1", "2"):
                raise SpeechDispatcherError(f"speech-dispatcher answered {line!r}")
            return lines

    def _read_line(self) -> str:
        while b"\r\n" not in self._buffer:
            chunk = self._socket.recv(4096)
            if not chunk:
                raise SpeechDispatcherError("speech-dispatcher closed the connection")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")


def spawn_service(path: Path) -> bool:
    """Start speech-dispatcher the way libspeechd's autospawn does; False if it is not installed."""
    program = shutil.which("speech-dispatcher")
    if program is None:
        return False
    try:
        subprocess.run([program, "--spawn", "--communication-method", "unix_socket", "--socket-path", str(path)],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=SPAWN_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return path.exists()


class SpeechDispatcherChannel:
    """Queues text for Speech Dispatcher on a thread of its own; `cancel` drops what is queued and silences."""

    def __init__(self, on_undelivered: Callable[[str], None], path: Path | None = None, should_spawn: bool = True):
        self._on_undelivered = on_undelivered  # runs on this channel's thread with text that could not be sent
        self._path = path if path is not None else socket_path()
        self._should_spawn = should_spawn
        self._work: deque[tuple[str, str]] = deque()
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._is_closed = False
        self._failed_at: float | None = None
        self.last_error: str | None = None

    def speak(self, text: str) -> None:
        self._put("speak", text)

    def cancel(self) -> None:
        with self._condition:
            self._work.clear()
        self._put("cancel", "")

    def close(self) -> None:
        if self._thread is None:
            self._is_closed = True
            return
        self._put("close", "")
        self._thread.join(REPLY_TIMEOUT_S * 2)

    def _put(self, kind: str, text: str) -> None:
        with self._condition:
            if self._is_closed:
                return
            self._is_closed = kind == "close"
            self._work.append((kind, text))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="speech-dispatcher", daemon=True)
                self._thread.start()
            self._condition.notify()

    def _run(self) -> None:
        connection: SsipConnection | None = None
        while True:
            with self._condition:
                while not self._work:
                    self._condition.wait()
                kind, text = self._work.popleft()
            if kind == "close":
                if connection is not None:
                    connection.close()
                return
            if connection is None and kind == "cancel":
                continue  # nothing of ours is being spoken
            if connection is None and self._is_resting():
                self._on_undelivered(text)
                continue
            try:
                if connection is None:
                    connection = self._connect()
                if kind == "speak":
                    connection.speak(text)
                else:
                    connection.command("CANCEL self")
                self.last_error, self._failed_at = None, None
            except OSError as exc:  # the service went away: the text is spoken another way; retry next time
                logger.warning("speech-dispatcher: %s", exc)
                self.last_error, self._failed_at = str(exc), time.monotonic()
                if connection is not None:
                    connection.close()
                connection = None
                if kind == "speak":
                    self._on_undelivered(text)

    def _is_resting(self) -> bool:
        return self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_AFTER_S

    def _connect(self) -> SsipConnection:
        if self._path is None:
            raise SpeechDispatcherError("no speech-dispatcher socket is known")
        if not self._path.exists() and not (self._should_spawn and spawn_service(self._path)):
            raise SpeechDispatcherError(f"no speech-dispatcher at {self._path}")
        return SsipConnection(self._path)


def is_reachable(path: Path | None = None) -> bool:
    """A Speech Dispatcher listens for this user, or can be started as libspeechd would start it."""
    path = path if path is not None else socket_path()
    return path is not None and (path.exists() or shutil.which("speech-dispatcher") is not None)
