"""Where the running app is reached: its socket's private folder and path on Unix and macOS, its
published pipe name on Windows (app/launch/pipe_name.py).

On Unix and macOS the socket lives in a folder only this user can enter (the runtime folder,
or a 0700 folder of the app's own in the temporary folder), checked to be ours before every
use: another local user can neither take the name first nor receive the commands.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from app.launch import pipe_name
from app.storage.private_files import FOLDER_MODE, GROUP_AND_OTHER
from resources import APP_FOLDER

INSTANCE_ENV = "VISIONPANGU_INSTANCE"  # tests give each app its own name
SOCKET_NAME = "instance"
RUNTIME_FOLDER = APP_FOLDER  # inside the user's runtime folder (XDG_RUNTIME_DIR)
TEMP_FOLDER = "visionpangu-{uid}"  # in the temporary folder, where there is no runtime folder
IS_POSIX = os.name == "posix"
MAX_SOCKET_PATH = 108 if sys.platform.startswith("linux") else 104  # sizeof(sockaddr_un.sun_path)
# Qt's QLocalServer refuses one byte earlier than sun_path does ("Name error" at 107 bytes on Linux,
# PySide6 6.12, measured): the path must leave two bytes of sun_path free, not one.
QT_SOCKET_PATH_LIMIT = MAX_SOCKET_PATH - 1
log = logging.getLogger(__name__)


class InstanceError(Exception):
    """One plain sentence: why this launch can neither reach the running app nor listen."""


def _tr(text: str) -> str:
    return QCoreApplication.translate("Instance", text)


def _is_private_folder(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not stat.S_IMODE(info.st_mode) & GROUP_AND_OTHER)


def socket_path(name: str, runtime: str | None) -> Path:
    """Where the socket called `name` lives for a user whose runtime folder is `runtime`.

    The runtime folder (XDG_RUNTIME_DIR) if it is private to this user and the full path fits
    a Unix socket address as Qt counts it (sun_path: 108 bytes on Linux, 104 on macOS and the
    BSDs, the terminating NUL included, less one more byte for Qt), else this user's folder in
    the temporary folder. A name in the shared /tmp itself could be taken first by another local user, who would then keep the app
    from starting and receive every forwarded command, file paths included.
    """
    if runtime and _is_private_folder(Path(runtime)):
        path = Path(runtime) / RUNTIME_FOLDER / name
        if len(os.fsencode(path)) < QT_SOCKET_PATH_LIMIT:
            return path
        log.info("%s is too long for a socket address; using the temporary folder", path)
    return Path(tempfile.gettempdir()) / TEMP_FOLDER.format(uid=os.getuid()) / name


def socket_folder() -> Path:
    """This user's private folder for the socket: created 0700 and checked to be ours."""
    folder = socket_path(instance_name(), os.environ.get("XDG_RUNTIME_DIR")).parent
    try:
        folder.mkdir(mode=FOLDER_MODE)
    except FileExistsError:
        pass
    except OSError as exc:
        raise InstanceError(_tr("The app cannot create its private folder {0} ({1}).").format(
            folder, os.strerror(exc.errno or 0))) from exc
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise InstanceError(_tr("{0} belongs to another user, so the app cannot safely receive commands there: "
                                "remove it, or ask your administrator to.").format(folder))
    if stat.S_IMODE(info.st_mode) & GROUP_AND_OTHER:
        os.chmod(folder, FOLDER_MODE)
    return folder


def instance_name() -> str:
    """The name this app's instance goes by: the socket's, or the key its pipe name is published under."""
    return os.environ.get(INSTANCE_ENV) or SOCKET_NAME


def server_name() -> str | None:
    """The socket's full path on Unix and macOS; on Windows the running app's pipe name, read
    from where it published it (None: no app is running)."""
    if IS_POSIX:
        return str(socket_folder() / instance_name())
    return pipe_name.read_name(instance_name())


def existing_entry(path: str) -> os.stat_result | None:
    """The socket path's status, or None; raises InstanceError if another user owns what is there."""
    if not IS_POSIX:
        return None
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    if info.st_uid != os.getuid():
        raise InstanceError(_tr("Another user's file {0} is where the app receives its commands, so it will not "
                                "use it: remove it, or ask your administrator to.").format(path))
    return info
