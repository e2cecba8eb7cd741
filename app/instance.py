"""One running app per user: later launches forward their command over a local socket.

Desktop-environment shortcuts and Wayland users (where apps cannot grab global keys)
bind keys to `python main.py --describe screen` and the like; that launch finds the
running app here, hands over the command and exits at once.

Protocol: one JSON object per line each way. Requests: {"command": "show"},
{"command": "describe", "source": "screen"|"window"|"clipboard"},
{"command": "describe-file", "path": ABSOLUTE}, {"command": "stop"}, {"command": "status"}.
Replies: {"ok": true, ...} or {"ok": false, "message": ...}.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app.commands import COMMANDS, SOURCES

INSTANCE_ENV = "VISIONPANGU_INSTANCE"  # tests give each app its own name
CONNECT_TIMEOUT_MS = 1000
REPLY_TIMEOUT_MS = 5000
MAX_REQUEST_BYTES = 64 * 1024


def server_name() -> str:
    if os.environ.get(INSTANCE_ENV):
        return os.environ[INSTANCE_ENV]
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name (containers): the uid still separates users
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    return "visionpangu-" + hashlib.sha256(user.encode("utf-8")).hexdigest()[:16]


def validate(request: object) -> str | None:
    """None if the request is well formed, else why not."""
    if not isinstance(request, dict) or request.get("command") not in COMMANDS:
        return "unknown command"
    if request["command"] == "describe" and request.get("source") not in SOURCES:
        return "unknown source"
    if request["command"] == "describe-file" and not isinstance(request.get("path"), str):
        return "missing path"
    return None


def forward(request: dict, name: str | None = None, timeout_ms: int = REPLY_TIMEOUT_MS) -> dict | None:
    """Send a request to the running app; its reply, or None if no app is running.

    Call it from another process than the server's: the blocking waits hold the GIL.
    """
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return None
    socket.write((json.dumps(request) + "\n").encode("utf-8"))
    socket.flush()
    data = b""
    while b"\n" not in data:
        is_ready = socket.bytesAvailable() > 0 or socket.waitForReadyRead(timeout_ms)
        data += bytes(socket.readAll().data())  # also what arrived together with the close
        if not is_ready:
            break
    socket.disconnectFromServer()
    try:
        return json.loads(data.decode("utf-8").splitlines()[0])
    except (IndexError, UnicodeDecodeError, json.JSONDecodeError):
        return {"ok": False, "message": "The running app did not answer."}


class InstanceServer(QObject):
    """Listens for forwarded commands; `command_received(dict)` on the GUI thread."""

    command_received = Signal(dict)

    def __init__(self, status: Callable[[], dict], name: str | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.name = name or server_name()
        self._status = status
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening; False if another app already answers on this name.

        Ask first: with UserAccessOption, Qt binds in a private folder and renames the socket
        into place, which would silently take the name from a running app.
        """
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(CONNECT_TIMEOUT_MS):
            probe.disconnectFromServer()
            return False
        QLocalServer.removeServer(self.name)  # a stale socket file left by a crash, if any
        return self._server.listen(self.name)

    def close(self) -> None:
        self._server.close()

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._on_ready_read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

    def _on_ready_read(self, socket: QLocalSocket) -> None:
        if socket not in self._buffers:
            return
        self._buffers[socket] += bytes(socket.readAll().data())
        data = self._buffers[socket]
        if b"\n" not in data:
            if len(data) > MAX_REQUEST_BYTES:
                self._reply(socket, {"ok": False, "message": "request too long"})
            return
        line = data.split(b"\n", 1)[0]
        try:
            request = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            request = None
        problem = validate(request)
        if problem:
            self._reply(socket, {"ok": False, "message": problem})
            return
        reply = {"ok": True}
        if request["command"] == "status":
            reply.update(self._status())
        self._reply(socket, reply)
        if request["command"] != "status":
            self.command_received.emit(request)

    def _reply(self, socket: QLocalSocket, reply: dict) -> None:
        self._buffers.pop(socket, None)
        socket.write((json.dumps(reply) + "\n").encode("utf-8"))
        socket.flush()
        socket.disconnectFromServer()
