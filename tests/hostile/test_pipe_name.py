"""Windows: the single instance's pipe name can be neither worked out nor taken first by another user.

Windows cannot run here. These tests stand in for it by driving the app's non-POSIX naming path
(instance_address.IS_POSIX set to False) on Linux, with the real QLocalServer and QLocalSocket: given a
plain name, Qt on Linux makes a socket of that name in the temporary folder, standing in for the
named pipe \\\\.\\pipe\\NAME, which likewise belongs to whoever creates the name first.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the QApplication

import pytest  # noqa: E402

from tests.hostile.test_tokens_and_files import _mode  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
# A second launch on "Windows": the same naming path, in another process, as in real use.
FORWARD_SCRIPT = ("import json, sys; from app.launch import instance, instance_address; "
                  "instance_address.IS_POSIX = False; "
                  "print(json.dumps(instance.forward(json.loads(sys.argv[1]))))")


@pytest.fixture
def windows_naming(monkeypatch, qapp):
    from app.launch import instance, instance_address

    monkeypatch.setattr(instance_address, "IS_POSIX", False)
    return instance


def _guessable_name() -> str:
    """The name the app used before: anyone who knows the user name can work it out."""
    return "visionpangu-" + hashlib.sha256(getpass.getuser().encode("utf-8")).hexdigest()[:16]


def _listening(instance):
    server = instance.InstanceServer(lambda: {"phase": "idle"})
    assert server.listen()
    return server


def test_the_name_is_random_new_at_each_start_and_kept_privately(windows_naming):
    from app.launch import instance_address as address
    from app.launch import pipe_name

    instance = windows_naming
    server = _listening(instance)
    try:
        file = pipe_name.name_file(os.environ[address.INSTANCE_ENV])
        assert _mode(file) == 0o600 and _mode(file.parent) == 0o700
        assert file.read_text() == server.name
        assert address.server_name() == server.name  # what every later launch reads
        assert _guessable_name() not in server.name and getpass.getuser() not in server.name
        second = instance.InstanceServer(lambda: {})
        assert second.listen() is False and second.name == server.name  # the two agree
        second.close()
        assert file.exists()  # a launch that did not publish leaves the running app's name alone
    finally:
        first_name = server.name
        server.close()
    assert not file.exists() and address.server_name() is None
    again = _listening(instance)
    try:
        assert again.name != first_name
    finally:
        again.close()


@pytest.mark.parametrize("left_behind", ["a crashed app's name", "damaged"])
def test_a_stale_name_file_does_not_stop_a_start(windows_naming, left_behind):
    from app.launch import instance_address as address
    from app.launch import pipe_name

    instance = windows_naming
    file = pipe_name.name_file(os.environ[address.INSTANCE_ENV])
    file.parent.mkdir(parents=True, mode=0o700)
    stale = pipe_name.new_name() if left_behind != "damaged" else "\x00not a name"
    file.write_text(stale)
    assert instance.forward({"command": "status"}) is None  # no app is running
    server = _listening(instance)
    try:
        assert server.name != stale and file.read_text() == server.name
    finally:
        server.close()


def test_a_name_claimed_first_by_another_user_is_never_used(windows_naming, monkeypatch):
    """Another user's program listening on the name the app used to derive from the user name."""
    from PySide6.QtNetwork import QLocalServer

    from app.launch import instance_address as address

    instance = windows_naming
    monkeypatch.delenv(address.INSTANCE_ENV)  # the app's real naming, not a test's own name
    squatter = QLocalServer()
    QLocalServer.removeServer(_guessable_name())
    assert squatter.listen(_guessable_name())
    try:
        server = _listening(instance)  # not kept from starting
        try:
            assert server.name != _guessable_name()
        finally:
            server.close()
        assert not squatter.hasPendingConnections()  # nothing, file paths included, reached it
    finally:
        squatter.close()


def test_commands_reach_the_app_through_the_published_name(windows_naming, qtbot):
    instance = windows_naming
    server = _listening(instance)
    request = {"command": "describe-file", "path": "/home/me/photo.png"}
    try:
        with qtbot.waitSignal(server.command_received, timeout=20000) as blocker:
            launch = subprocess.Popen([sys.executable, "-c", FORWARD_SCRIPT, json.dumps(request)],
                                      env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
        assert blocker.args == [request]
        qtbot.waitUntil(lambda: launch.poll() is not None, timeout=20000)
        assert json.loads(launch.communicate()[0]) == {"ok": True}
    finally:
        server.close()
    assert instance.forward({"command": "stop"}) is None  # quit: the name is withdrawn
