"""Files about the user's screen stay the user's: created 0600 in folders 0700.

Every writer of history, settings and saved captures goes through here. Files are
created with their final mode (never widened by the umask first, then narrowed), written
to a temporary name and renamed, so a crash never leaves half a file. Files and folders
left readable by an earlier version are tightened when they are opened again.
On Windows the modes mean little; the per-user profile folders already keep other users out.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
GROUP_AND_OTHER = 0o077
TEMP_SUFFIX = ".tmp"


def private_folder(folder: Path) -> Path:
    """Create `folder` (and any missing parents) 0700, or tighten it if it is ours; returns it.

    Raises OSError (the caller reports it) if it cannot be created.
    """
    folder = Path(folder)
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=FOLDER_MODE)
        except FileExistsError:  # made by someone else meanwhile: tightened below if ours
            pass
    tighten(folder)
    return folder


def tighten(path: Path) -> None:
    """Take group and other permissions away from `path` if this user owns it (0644 -> 0600)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or not _is_ours(info):
        return
    if stat.S_IMODE(info.st_mode) & GROUP_AND_OTHER:
        os.chmod(path, stat.S_IMODE(info.st_mode) & ~GROUP_AND_OTHER)


def create_private(path: Path) -> None:
    """Make sure `path` exists as a private file (for writers, like QSettings, that keep the mode)."""
    path = Path(path)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        tighten(path)


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically as a 0600 file."""
    path = Path(path)
    temp = _written_temp(path.with_name(path.name + TEMP_SUFFIX), data)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def create_private_once(path: Path, data: bytes) -> bool:
    """Create `path` as a 0600 file holding `data`, unless it exists (then False).

    Whole or not at all: a reader never sees it half written. The data goes to a temporary name
    first, then gets the final name by a call that fails if the name is taken: on Windows a
    rename (Python's os.rename: "On Windows, if dst exists a FileExistsError is always raised",
    on every file system), elsewhere a hard link (link(2): EEXIST), where a rename would replace.
    The temporary name is this process's own, so two launches at once never write into each other's.
    """
    path = Path(path)
    temp = _written_temp(path.with_name(f"{path.name}.{os.getpid()}{TEMP_SUFFIX}"), data)
    try:
        (os.rename if os.name == "nt" else os.link)(temp, path)
        return True
    except FileExistsError:
        return False
    finally:
        temp.unlink(missing_ok=True)


def _written_temp(temp: Path, data: bytes) -> Path:
    """`data` in a new 0600 file `temp`, to be renamed or linked into place."""
    temp.unlink(missing_ok=True)  # a leftover from a crash
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _is_ours(info: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()
