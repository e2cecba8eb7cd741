"""Reading an image's bytes: regular files only, at most MAX_IMAGE_BYTES, and never held by a stall."""

from __future__ import annotations

import os
import socket
import threading
import time

import pytest

from engine import image_file
from engine.image_file import MAX_IMAGE_BYTES, MAX_IMAGE_MB, read_image_file, read_regular_file, read_stream
from engine.images import ImageError

pytestmark = pytest.mark.skipif(os.name != "posix", reason="named pipes, devices and Unix sockets are POSIX's")

DEV_ZERO = "/dev/zero"
PROMPT_S = 2.0  # far above a refusal's real time, far below "blocked until someone writes"


def _refused_promptly(path, words: str) -> str:
    started = time.monotonic()
    with pytest.raises(ImageError, match=words) as caught:
        read_image_file(path)
    assert time.monotonic() - started < PROMPT_S
    return str(caught.value)


def test_a_named_pipe_nobody_writes_to_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    assert "not an image file" in _refused_promptly(tmp_path / "pipe", "is a named pipe")


def test_a_device_is_refused_before_a_byte_is_read():
    assert "not an image file" in _refused_promptly(DEV_ZERO, "is a device")


def test_a_unix_socket_is_refused(tmp_path):
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock"))
    try:
        _refused_promptly(tmp_path / "sock", "is a socket")
    finally:
        server.close()


def test_a_file_over_the_limit_is_refused_by_its_size_and_says_the_limit(tmp_path):
    huge = tmp_path / "huge.png"
    with open(huge, "wb") as file:
        file.truncate(MAX_IMAGE_BYTES + 1)  # sparse: no disk space, and nothing is read
    message = _refused_promptly(huge, "larger than")
    assert f"{MAX_IMAGE_MB} MB" in message


def test_standard_input_is_bounded_too():
    with open(DEV_ZERO, "rb") as endless:
        with pytest.raises(ImageError, match=f"standard input is larger than {MAX_IMAGE_MB} MB"):
            read_stream(endless)


def test_folders_missing_files_and_unreadable_files_get_their_own_sentence(tmp_path):
    with pytest.raises(ImageError, match="is a folder"):
        read_image_file(tmp_path)
    with pytest.raises(ImageError, match="does not exist"):
        read_image_file(tmp_path / "missing.png")
    (tmp_path / "exact.png").write_bytes(b"x" * 10)
    assert read_regular_file(tmp_path / "exact.png") == b"x" * 10


def _stalled_mount(monkeypatch) -> threading.Event:
    """A read that blocks until released: what a network mount that stopped answering does.

    Mocked because no such mount can exist here (it needs FUSE or NFS and privileges).
    """
    release = threading.Event()

    def blocked(path, on_progress=lambda: None):
        release.wait()
        return b""

    monkeypatch.setattr(image_file, "read_regular_file", blocked)
    return release


def test_a_read_that_stalls_is_given_up_and_says_why(tmp_path, monkeypatch):
    release = _stalled_mount(monkeypatch)
    started = time.monotonic()
    with pytest.raises(ImageError, match="nothing arrived for 0.5 seconds"):
        read_image_file(tmp_path / "on-a-dead-mount.png", stall_s=0.5)
    assert time.monotonic() - started < PROMPT_S
    release.set()


def test_a_read_that_stalls_ends_at_once_when_aborted(tmp_path, monkeypatch):
    release = _stalled_mount(monkeypatch)
    abort = threading.Event()
    threading.Timer(0.2, abort.set).start()
    started = time.monotonic()
    with pytest.raises(ImageError, match="was stopped"):
        read_image_file(tmp_path / "on-a-dead-mount.png", abort=abort)
    assert time.monotonic() - started < PROMPT_S
    release.set()
