"""One running app per user: later launches forward their command over a local socket.

Desktop-environment shortcuts and Wayland users (where apps cannot grab global keys)
bind keys to `python main.py --describe screen` and the like; that launch finds the
running app here, hands over the command and exits at once.

Protocol: one JSON object per line each way. Requests: {"command": "show"},
{"command": "describe", "source": "screen"|"window"|"clipboard"},
{"command": "describe-file", "path": ABSOLUTE}, {"command": "read", "source": as describe's},
{"command": "read-file", "path": ABSOLUTE}, {"command": "stop"}, {"command": "status"}.
Replies: {"ok": true, ...} or {"ok": false, "message": ...}.

Where the app listens is app/launch/instance_address.py's: on Unix and macOS a socket in a folder
only this user can enter, on Windows a random pipe name kept where only this user can read it
(app/launch/pipe_name.py), so another local user can neither take the name first nor receive
the commands.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app.commands import FORWARDED
from app.launch import instance_address as address  # IS_POSIX read there at each use: one value for both modules
from app.launch import pipe_name
from app.launch.instance_address import InstanceError
from app.storage.private_files import FILE_MODE

CONNECT_TIMEOUT_MS = 1000
REPLY_TIMEOUT_MS = 5000
MAX_REQUEST_BYTES = 64 * 1024
SOCKET_MODE = FILE_MODE
log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    return QCoreApplication.translate("Instance", text)


def validate(request: object) -> str | None:
    """None if the request is well formed, else why not."""
    name = request.get("command") if isinstance(request, dict) else None
    forwarded = FORWARDED.get(name) if isinstance(name, str) else None
    if forwarded is None:
        return "unknown command"
    if forwarded.sources and request.get("source") not in forwarded.sources:
        return "unknown source"
    if forwarded.has_path and not isinstance(request.get("path"), str):
        return "missing path"
    return None


def forward(request: dict, name: str | None = None, timeout_ms: int = REPLY_TIMEOUT_MS) -> dict | None:
    """Send a request to the running app; its reply, or None if no app is running.

    Never to a socket another user owns (InstanceError). Call it from another process than the
    server's: the blocking waits hold the GIL.
    """
    name = name or address.server_name()
    if name is None:
        return None
    info = address.existing_entry(name)
    if address.IS_POSIX and (info is None or not stat.S_ISSOCK(info.st_mode)):
        return None
    socket = QLocalSocket()
    socket.connectToServer(name)
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


def _answers(name: str) -> bool:
    probe = QLocalSocket()
    probe.connectToServer(name)
    if probe.waitForConnected(CONNECT_TIMEOUT_MS):
        probe.disconnectFromServer()
        return True
    return False


class InstanceServer(QObject):
    """Listens for forwarded commands; `command_received(dict)` on the GUI thread."""

    command_received = Signal(dict)

    def __init__(self, status: Callable[[], dict], name: str | None = None, parent: QObject | None = None):
        super().__init__(parent)
        # On Windows a name of the app's own is chosen when it listens (_listen_unguessable).
        self.name = name or (address.server_name() if address.IS_POSIX else "")
        self._is_published = False
        self._status = status
        self._server = QLocalServer(self)
        if not address.IS_POSIX:  # on Unix the private folder keeps others out (and Qt would rename into place)
            self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening; False if this user's running app already answers on this name.

        Raises InstanceError if another user owns the socket path (or its folder) or the app
        cannot listen. Something of ours left at the path (a crashed app's socket, a stray
        file) is removed: the folder is private, so only this user can have put it there.
        """
        if not address.IS_POSIX and not self.name:
            return self._listen_unguessable()
        if not address.IS_POSIX:
            if _answers(self.name):
                return False
            QLocalServer.removeServer(self.name)
        elif (info := address.existing_entry(self.name)) is not None:
            if stat.S_ISSOCK(info.st_mode) and _answers(self.name):
                return False
            log.info("removing %s, left by an app that is no longer running", self.name)
            os.unlink(self.name)
        if self._server.listen(self.name):
            if address.IS_POSIX:
                os.chmod(self.name, SOCKET_MODE)
            return True
        if _answers(self.name):  # another launch started listening just now
            return False
        raise InstanceError(_tr("The app cannot listen for commands at {0}. Please try again.").format(self.name))

    def _listen_unguessable(self) -> bool:
        """Windows: listen on a new random name, then publish it, unless a running app's is there."""
        published = pipe_name.read_name(address.instance_name())
        if published is not None and _answers(published):
            self.name = published
            return False
        pipe_name.withdraw(address.instance_name(), published)  # a crashed app's, or none
        self.name = pipe_name.new_name()
        if not self._server.listen(self.name):
            raise InstanceError(_tr("The app cannot listen for commands. Please try again."))
        try:
            self._is_published = pipe_name.publish(address.instance_name(), self.name)
        except OSError as exc:
            self._server.close()
            raise InstanceError(_tr("The app cannot write to its folder {0} ({1}).").format(
                pipe_name.name_file(address.instance_name()).parent, os.strerror(exc.errno or 0))) from exc
        if self._is_published:
            return True
        self._server.close()  # another launch published its name just now: it is the running app
        return False

    def close(self) -> None:
        self._server.close()
        if self._is_published:
            pipe_name.withdraw(address.instance_name(), self.name)
            self._is_published = False

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
