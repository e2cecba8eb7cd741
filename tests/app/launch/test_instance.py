"""Single instance: a second launch's command reaches the running app over a real local socket."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalServer

from app.launch.instance import InstanceServer, forward, validate
from app.launch.instance_address import RUNTIME_FOLDER, instance_name, server_name


ROOT = Path(__file__).resolve().parents[3]
FORWARD_SCRIPT = ("import json, sys; from app.launch.instance import forward; "
                  "print(json.dumps(forward(json.loads(sys.argv[1]), sys.argv[2])))")


def _forward_from_another_process(request, name: str) -> subprocess.Popen:
    """forward() blocks, holding the GIL, and the server answers from this process's event loop:
    so the client runs as it does in real use, in another process (a second launch)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", FORWARD_SCRIPT, json.dumps(request), name], env=env,
                            stdout=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen, qtbot) -> dict:
    qtbot.waitUntil(lambda: process.poll() is not None, timeout=20000)
    out, _ = process.communicate()
    return json.loads(out)


@pytest.fixture
def server(qtbot):
    statuses = {"phase": "idle", "status": "Ready."}
    server = InstanceServer(lambda: dict(statuses))
    assert server.listen()
    yield server
    server.close()


def test_forwarded_commands_arrive_in_order_and_are_acknowledged(server, qtbot):
    requests = [{"command": "describe", "source": "screen"}, {"command": "describe-file", "path": "/tmp/a.png"},
                {"command": "read", "source": "clipboard"}, {"command": "read-file", "path": "/tmp/b.png"},
                {"command": "stop"}, {"command": "show"}]
    for request in requests:
        with qtbot.waitSignal(server.command_received, timeout=10000) as blocker:
            call = _forward_from_another_process(request, server.name)
        assert blocker.args == [request]
        assert _finish(call, qtbot) == {"ok": True}


def test_status_is_answered_without_running_a_command(server, qtbot):
    received = []
    server.command_received.connect(received.append)
    call = _forward_from_another_process({"command": "status"}, server.name)
    reply = _finish(call, qtbot)
    assert reply == {"ok": True, "phase": "idle", "status": "Ready."}
    assert received == []


@pytest.mark.parametrize("request_", [{"command": "format-disk"}, {"command": "describe", "source": "moon"},
                                      {"command": "describe-file"}, {"command": "read", "source": "printer"},
                                      {"command": "read"}, {"command": "read-file", "path": 7},
                                      ["not", "a", "dict"]])
def test_malformed_commands_are_refused_with_a_reason(server, qtbot, request_):
    received = []
    server.command_received.connect(received.append)
    reply = _finish(_forward_from_another_process(request_, server.name), qtbot)
    assert reply["ok"] is False and reply["message"]
    assert received == []
    assert validate(request_) is not None


def test_without_a_running_app_forward_returns_none(qapp):
    assert forward({"command": "stop"}, "visionpangu-test-nobody-listens") is None


def test_a_second_server_does_not_take_over_a_live_one(server, qtbot):
    second = InstanceServer(lambda: {}, name=server.name)
    assert second.listen() is False
    second.close()


def test_a_stale_socket_left_by_a_crash_is_replaced(qapp, tmp_path):
    name = server_name()  # the per-test name from conftest
    crashed = QLocalServer()
    assert crashed.listen(name)
    path = crashed.fullServerName()
    # A crashed app leaves its socket file behind; simulate by stopping the listener but keeping the file.
    crashed.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
    crashed.close()
    open(path, "a").close()
    fresh = InstanceServer(lambda: {})
    assert fresh.listen()
    fresh.close()


@pytest.mark.skipif(os.name != "posix", reason="Unix socket addresses")
def test_a_runtime_folder_too_long_for_a_socket_address_falls_back_to_the_temporary_folder(
        qapp, qtbot, tmp_path, monkeypatch):
    # Found in CI: under a deep XDG_RUNTIME_DIR the socket's path was 109 bytes, over sun_path's
    # 108, so the app could not listen and never started.
    runtime = tmp_path / ("deep-" * 20)
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    name = server_name()
    assert not name.startswith(str(runtime)), name
    assert len(os.fsencode(name)) < 104
    server = InstanceServer(lambda: {"phase": "idle"})
    assert server.listen()
    try:
        assert _finish(_forward_from_another_process({"command": "status"}, name), qtbot)["phase"] == "idle"
    finally:
        server.close()
    # At the limit: Qt refused a 107-byte path on Linux (found by the Wayland test when pytest's run count
    # made its folder one character longer), so that length falls back too, and the app listens.
    if sys.platform.startswith("linux"):
        base = Path(tempfile.mkdtemp(prefix="vp-edge-"))
        try:
            one = len(os.fsencode(str(base / "r" / RUNTIME_FOLDER / instance_name())))  # with a 1-byte folder name
            edge = base / ("r" * (107 - one + 1))
            edge.mkdir(mode=0o700)
            assert len(os.fsencode(str(edge / RUNTIME_FOLDER / instance_name()))) == 107
            monkeypatch.setenv("XDG_RUNTIME_DIR", str(edge))
            assert not server_name().startswith(str(edge))
            at_edge = InstanceServer(lambda: {"phase": "idle"})
            assert at_edge.listen()
            at_edge.close()
        finally:
            shutil.rmtree(base)
    # a short runtime folder is used as it is (not one under tmp_path, whose length grows with pytest's run count)
    short = Path(tempfile.mkdtemp(prefix="vp-run-"))
    try:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(short))
        assert server_name().startswith(str(short))
    finally:
        shutil.rmtree(short)
