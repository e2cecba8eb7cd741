"""An image's bytes from a file or standard input: bounded, and never held by a special file.

A named pipe with no writer blocks open() and read() until someone writes, a device such as
/dev/zero never ends, and a file on a network mount that stopped answering blocks in the
kernel. So:
- only regular files are read: the file is opened with O_NONBLOCK (opening a named pipe then
  returns at once instead of waiting for a writer) and checked with fstat before any read;
- at most MAX_IMAGE_BYTES are read from anything, standard input included;
- a file is read in a daemon thread, and the caller waits only while bytes keep arriving: a read
  that makes no progress for READ_STALL_S is given up, and the caller can abort the wait at any
  moment (the app quitting). The abandoned thread may stay blocked in the kernel; being a daemon
  it never holds the process's exit.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
import time
from pathlib import Path
from typing import BinaryIO, Callable, TypeVar

from engine.images import ImageError

# A 64-million-pixel image (engine.images.MAX_PIXELS) stored uncompressed with alpha is 256 MB; no
# image the app can open needs more bytes than that.
MAX_IMAGE_MB = 256
MAX_IMAGE_BYTES = MAX_IMAGE_MB * 1024 * 1024
READ_CHUNK_BYTES = 1 << 20
READ_STALL_S = 15.0  # no byte for this long: the drive or mount is not answering
WAIT_POLL_S = 0.05
T = TypeVar("T")
# open() flags: O_NONBLOCK so a named pipe opens without waiting for a writer (POSIX open(2)); the
# others exist only where they matter (no controlling terminal from a tty device; binary on Windows).
OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
              | getattr(os, "O_BINARY", 0))


def too_large(what: str) -> ImageError:
    return ImageError(f"{what} is larger than {MAX_IMAGE_MB} MB, the most this app reads for one image.")


class NotAFileError(ImageError):
    """The path names no regular file: nothing there, a folder, or a special file (never read)."""


def _not_a_file(path: Path, mode: int) -> NotAFileError:
    if stat.S_ISDIR(mode):
        return NotAFileError(f"{path} is a folder, not an image file.")
    if stat.S_ISFIFO(mode):
        kind = "a named pipe"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    else:
        kind = "a special file"
    return NotAFileError(f"{path} is {kind}, not an image file, so it was not read.")


def _open(path: Path) -> int:
    try:
        return os.open(path, OPEN_FLAGS)
    except ValueError as exc:  # a NUL in the name (text copied from elsewhere): no file can have it
        raise NotAFileError(f"{path!r} is not a file name.") from exc
    except FileNotFoundError as exc:
        raise NotAFileError(f"The file {path} does not exist.") from exc
    except IsADirectoryError as exc:
        raise NotAFileError(f"{path} is a folder, not an image file.") from exc
    except PermissionError as exc:
        if path.is_dir():  # Windows refuses to open a folder as a file
            raise NotAFileError(f"{path} is a folder, not an image file.") from exc
        raise ImageError(f"You do not have permission to read the file {path}.") from exc
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a Unix socket (open(2): ENXIO)
            raise NotAFileError(f"{path} is a socket, not an image file, so it was not read.") from exc
        raise ImageError(f"The file {path} cannot be read: {exc.strerror}.") from exc


def read_regular_file(path: Path, on_progress: Callable[[], None] = lambda: None) -> bytes:
    """The whole file, if it is a regular file of at most MAX_IMAGE_BYTES; else ImageError."""
    fd = _open(path)
    try:
        info = os.fstat(fd)  # of what was opened, not of what the name pointed to a moment before
        if not stat.S_ISREG(info.st_mode):
            raise _not_a_file(path, info.st_mode)
        if info.st_size > MAX_IMAGE_BYTES:
            raise too_large(f"The file {path}")
        blocks, total = [], 0
        while True:
            try:
                block = os.read(fd, min(READ_CHUNK_BYTES, MAX_IMAGE_BYTES + 1 - total))
            except OSError as exc:
                raise ImageError(f"The file {path} cannot be read: {exc.strerror}.") from exc
            if not block:
                return b"".join(blocks)
            blocks.append(block)
            total += len(block)
            if total > MAX_IMAGE_BYTES:  # it grew while being read
                raise too_large(f"The file {path}")
            on_progress()
    finally:
        os.close(fd)


def read_stream(stream: BinaryIO) -> bytes:
    """Standard input (or any binary stream), up to MAX_IMAGE_BYTES; else ImageError."""
    blocks, total = [], 0
    while True:
        block = stream.read(min(READ_CHUNK_BYTES, MAX_IMAGE_BYTES + 1 - total))
        if not block:
            return b"".join(blocks)
        blocks.append(block)
        total += len(block)
        if total > MAX_IMAGE_BYTES:
            raise too_large("The image on standard input")


def read_image_file(path: Path, abort: threading.Event | None = None, stall_s: float = READ_STALL_S) -> bytes:
    """read_regular_file in a daemon thread, waited for while it makes progress and `abort` is not set."""
    return _waited(lambda progress: read_regular_file(path, progress), path, abort, stall_s)


def _waited(work: Callable[[Callable[[], None]], T], path: Path, abort: threading.Event | None,
            stall_s: float) -> T:
    """work(progress) in a daemon thread; given up when `abort` is set or no progress came for stall_s."""
    outcome: dict = {}
    last_progress = [time.monotonic()]
    finished = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = work(lambda: last_progress.__setitem__(0, time.monotonic()))
        except BaseException as exc:  # handed to the waiting thread, which raises it
            outcome["error"] = exc
        finally:
            finished.set()

    threading.Thread(target=run, daemon=True, name="image-file-read").start()
    while not finished.wait(WAIT_POLL_S):
        if abort is not None and abort.is_set():
            raise ImageError(f"Reading the file {path} was stopped.")
        if time.monotonic() - last_progress[0] > stall_s:
            raise ImageError(f"Reading the file {path} stopped: nothing arrived for {stall_s:g} seconds "
                             "(a network drive that is not responding?).")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
