"""The single-instance socket cannot be taken, or listened in on, by another local user.

Tests run as root here, so "another user" is a temporary path given to uid 65534 (nobody).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the QApplication

import pytest  # noqa: E402

from tests.hostile.test_tokens_and_files import _mode  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OTHER_UID = 65534


@pytest.fixture
def runtime(tmp_path, monkeypatch) -> Path:
    """A private runtime folder (XDG_RUNTIME_DIR) and a socket name of this test's own."""
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    monkeypatch.setenv("VISIONPANGU_INSTANCE", f"test-{uuid.uuid4().hex[:8]}")
    return folder


def _others_server(qapp):
    """Another user's program listening where the app would: a socket given to uid 65534."""
    from PySide6.QtNetwork import QLocalServer

    from app.launch.instance_address import server_name

    server = QLocalServer()
    assert server.listen(server_name())
    os.chown(server_name(), OTHER_UID, OTHER_UID)
    return server


def _launch(*args: str) -> subprocess.CompletedProcess:
    """A second launch, as a desktop shortcut runs it."""
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"})


def test_the_socket_is_in_a_private_folder(runtime, qapp):
    from app.launch.instance import InstanceServer

    server = InstanceServer(lambda: {})
    assert server.listen()
    try:
        path = Path(server.name)
        assert path.parent == runtime / "VisionPangu" and _mode(path.parent) == 0o700
        assert _mode(path) == 0o600
    finally:
        server.close()


def test_another_users_socket_is_refused_and_never_sent_a_command(runtime, qapp):
    from app.launch.instance import InstanceServer, forward
    from app.launch.instance_address import InstanceError

    others = _others_server(qapp)
    try:
        with pytest.raises(InstanceError, match="Another user's file .* will not use it"):
            InstanceServer(lambda: {}).listen()
        with pytest.raises(InstanceError, match="Another user's file"):
            forward({"command": "describe-file", "path": "/home/me/secret.png"})
        launch = _launch("--describe-file", "/home/me/secret.png")
        assert launch.returncode == 1 and "Another user's file" in launch.stderr, launch
        assert "Traceback" not in launch.stderr
        assert not others.hasPendingConnections()  # nothing, file paths included, reached it
    finally:
        others.close()


def test_another_users_folder_is_refused(runtime, qapp):
    from app.launch.instance import InstanceServer
    from app.launch.instance_address import InstanceError

    (runtime / "VisionPangu").mkdir(mode=0o700)
    os.chown(runtime / "VisionPangu", OTHER_UID, OTHER_UID)
    with pytest.raises(InstanceError, match="belongs to another user"):
        InstanceServer(lambda: {}).listen()
    launch = _launch("--stop")
    assert launch.returncode == 1 and "belongs to another user" in launch.stderr, launch


def test_on_a_real_display_the_refusal_is_a_dialog_too(runtime, tmp_path):
    """Launched from a desktop menu, stderr goes nowhere: the reason must be on screen, in a
    message box a screen reader reads, and the app waits until the user has read it."""
    from tests.app.conftest import require_xvfb
    from tests.app.hotkeys.xserver import XServer

    require_xvfb()
    (runtime / "VisionPangu").mkdir(mode=0o700)
    os.chown(runtime / "VisionPangu", OTHER_UID, OTHER_UID)
    server = XServer(tmp_path).start()
    try:
        env = {**server.env(), "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "xcb"}
        launch = server._spawn([sys.executable, "main.py", "--stop"], "launch", env=env, cwd=ROOT)
        dialog = server.xdotool("search", "--sync", "--onlyvisible", "--name", "VisionPangu Assistant").split()[0]
        assert launch.poll() is None  # waiting for the user
        server.xdotool("windowfocus", "--sync", dialog)
        server.xdotool("key", "Return")
        assert launch.wait(30) == 1
        assert "belongs to another user" in (tmp_path / "launch.log").read_text(encoding="utf-8")
    finally:
        server.stop()


def test_a_shared_runtime_folder_is_not_trusted(tmp_path, monkeypatch):
    import tempfile

    from app.launch.instance_address import socket_folder

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    folder = socket_folder()
    assert folder == tmp_path / "tmp" / f"visionpangu-{os.getuid()}" and _mode(folder) == 0o700


@pytest.mark.parametrize("is_ours", [True, False])
def test_a_plain_file_at_the_socket_path(runtime, qapp, is_ours):
    from app.launch.instance import InstanceServer
    from app.launch.instance_address import InstanceError, server_name

    path = Path(server_name())
    path.write_text("not a socket")
    if not is_ours:
        os.chown(path, OTHER_UID, OTHER_UID)
        with pytest.raises(InstanceError, match="Another user's file"):
            InstanceServer(lambda: {}).listen()
        launch = _launch("--describe", "screen")
        assert launch.returncode == 1 and "Another user's file" in launch.stderr, launch
        return
    server = InstanceServer(lambda: {})  # ours, in our private folder: a leftover, removed
    assert server.listen()
    server.close()
