"""A path copied as text is looked at off the GUI thread: a special file or a mount that stopped
answering never freezes the window, and the next request is not held up by it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication

from tests.app.helpers import Announcements, start_ready, wait_idle, write_png

pytestmark = pytest.mark.skipif(os.name != "posix", reason="named pipes and mounts are POSIX's")

TICK_MS = 20
MAX_GUI_GAP_S = 1.0  # the event loop never stalls this long (the hung mount below holds for HUNG_S)
HUNG_S = 30.0  # long enough for a loaded CI machine: the mount is released at the end of the test anyway
WATCH_MS = 1500


@contextlib.contextmanager
def hung_mount(folder: Path):
    """A real FUSE mount whose server never answers, like a network drive that stopped responding:
    every stat under it blocks in the kernel. The connection is dropped after HUNG_S at the latest
    (the blocked calls then fail with ENOTCONN), and the mount is removed at the end."""
    folder.mkdir()
    try:
        fd = os.open("/dev/fuse", os.O_RDWR)
    except OSError as exc:
        pytest.skip(f"no FUSE device to make a hung mount with ({exc.strerror})")
    options = f"fd={fd},rootmode=40000,user_id={os.getuid()},group_id={os.getgid()}"
    mounted = subprocess.run(["mount", "-i", "-t", "fuse.hung", "-o", options, "hung", str(folder)],
                             pass_fds=(fd,), capture_output=True, text=True)
    if mounted.returncode != 0:
        os.close(fd)
        pytest.skip(f"this user cannot mount a FUSE file system: {mounted.stderr.strip()}")
    released = threading.Event()
    closed = threading.Lock()

    def release() -> None:
        with closed:
            if not released.is_set():
                released.set()
                os.close(fd)  # the kernel aborts the connection: blocked calls return

    timer = threading.Timer(HUNG_S, release)
    timer.start()
    try:
        yield folder
    finally:
        timer.cancel()
        release()
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


class GuiTicks:
    """When a GUI-thread timer fired, from now on: it fires only while the event loop runs."""

    def __init__(self):
        self.times = [time.monotonic()]
        self._timer = QTimer()
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(lambda: self.times.append(time.monotonic()))
        self._timer.start()

    def longest_gap(self) -> float:
        stamps = self.times + [time.monotonic()]
        return max(b - a for a, b in zip(stamps, stamps[1:]))


def _describe_copied_text(application, text: str, qtbot) -> GuiTicks:
    QGuiApplication.clipboard().setText(text)
    ticks = GuiTicks()
    application.run_command({"command": "describe", "source": "clipboard"})
    qtbot.wait(WATCH_MS)
    return ticks


def _next_request_works(application, qtbot, tmp_path) -> None:
    application.run_command({"command": "describe-file", "path": str(write_png(tmp_path / "later.png"))})
    wait_idle(application, qtbot)
    assert application.entries[-1].source == "later.png" and application.page.text()


def test_a_copied_path_on_a_mount_that_stopped_answering_never_blocks_the_gui(make_app, model_dir, qtbot,
                                                                               tmp_path):
    application = start_ready(make_app(), qtbot)
    with hung_mount(tmp_path / "network-drive") as mount:
        started = time.monotonic()
        ticks = _describe_copied_text(application, str(mount / "photo.png"), qtbot)
        assert ticks.longest_gap() < MAX_GUI_GAP_S
        assert application.controller.phase == "capturing"  # still waiting, off the GUI thread
        _next_request_works(application, qtbot, tmp_path)  # the stalled look is given up at once
        assert time.monotonic() - started < HUNG_S  # all of it while the mount was still hung


def test_a_copied_path_to_a_named_pipe_is_refused_without_blocking(make_app, model_dir, qtbot, tmp_path):
    application = start_ready(make_app(), qtbot)
    heard = Announcements(application.announcer)
    os.mkfifo(tmp_path / "pipe")
    ticks = _describe_copied_text(application, str(tmp_path / "pipe"), qtbot)
    assert ticks.longest_gap() < MAX_GUI_GAP_S
    assert any("clipboard has no image" in text for text in heard.errors()), heard.items
    assert application.controller.phase == "idle" and not application.entries
    _next_request_works(application, qtbot, tmp_path)
