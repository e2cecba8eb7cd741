"""Windows: the single instance's pipe name, chosen at random by the running app and kept in a
file only this user can read.

A named pipe belongs to whoever creates the name first (CreateNamedPipe: a later creator with
the same name gets a new instance of the first one's pipe, under the first one's security
descriptor), and Qt's UserAccessOption only sets the access list of pipes the app itself
creates. So a name another local user can work out (from the user name, say) could be claimed
by them before the app starts: they would keep it from starting and receive every forwarded
command, file paths included. Instead the app picks a new random name at each start and writes
it into this user's data folder (%LOCALAPPDATA%, which Windows lets only this user read), 0600
in a 0700 folder on systems where modes mean something. A later launch reads the name there;
no file, or a name nobody answers on, means no app is running. The app removes the file when
it quits, if the file still names its own pipe.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path

from app.storage.paths import data_dir
from app.storage.private_files import create_private_once, private_folder

PIPE_PREFIX = "visionpangu-"
TOKEN_BYTES = 16  # 128 random bits: not guessed in any number of tries
NAME_SUFFIX = ".pipe"  # the file beside the history: "<instance name>.pipe"
MAX_NAME_FILE_BYTES = 256
NAME_PATTERN = re.compile(re.escape(PIPE_PREFIX) + f"[0-9a-f]{{{2 * TOKEN_BYTES}}}")
log = logging.getLogger(__name__)


def name_file(instance: str) -> Path:
    return data_dir() / (instance + NAME_SUFFIX)


def new_name() -> str:
    return PIPE_PREFIX + secrets.token_hex(TOKEN_BYTES)


def read_name(instance: str) -> str | None:
    """The name the running app published, or None (no file, or not a name the app writes)."""
    try:
        with open(name_file(instance), "rb") as f:
            text = f.read(MAX_NAME_FILE_BYTES).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if NAME_PATTERN.fullmatch(text) else None


def publish(instance: str, name: str) -> bool:
    """Write `name` for later launches; False if another launch's name is there already.

    Raises OSError (the caller reports it) if the folder cannot be written.
    """
    private_folder(data_dir())
    return create_private_once(name_file(instance), name.encode("ascii"))


def withdraw(instance: str, name: str | None) -> None:
    """Remove the published file if it names `name`: ours when quitting, or a crashed app's
    (None: one that names nothing the app writes). Only this user can write the folder."""
    if read_name(instance) == name:
        try:
            os.unlink(name_file(instance))
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.info("cannot remove %s: %s", name_file(instance), exc)
