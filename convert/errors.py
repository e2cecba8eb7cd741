"""The one exception type the converter raises for problems the user can fix, and the plain words
for a folder that cannot be written (chosen by errno; the system's own text goes only to the log,
shown with --debug)."""

from __future__ import annotations

import errno
import logging
import shutil
from pathlib import Path

MIN_FREE_BYTES = 16 * 1024 * 1024
log = logging.getLogger(__name__)


class ConversionError(Exception):
    """A plain-language message for the user; never carries a traceback to them."""


def full_disk_error(out: Path) -> ConversionError:
    return ConversionError(f"The disk holding {out} is full. Free some space and convert again.")


def is_disk_full(out: Path) -> bool:
    """numpy and llama.cpp's quantizer (an iostream error) report a short write without an errno,
    so the space left decides."""
    try:
        return shutil.disk_usage(out).free < MIN_FREE_BYTES
    except OSError:  # the folder is gone: not a full disk
        return False


def write_error(out: Path, exc: OSError) -> ConversionError:
    """Why writing into the folder `out` failed, in plain words."""
    log.debug("writing to %s failed: %r", out, exc)
    number = exc.errno
    if number in (errno.ENOSPC, errno.EDQUOT) or (number is None and is_disk_full(out)):
        return full_disk_error(out)
    if number in (errno.EACCES, errno.EPERM):
        reason = f"You do not have permission to write to the folder {out}."
    elif number == errno.EROFS:
        reason = f"The folder {out} is on a disk that can only be read."
    elif number == errno.ENOENT:
        reason = f"The folder {out} is gone (moved, deleted or its disk unplugged)."
    elif number == errno.ENOTDIR:
        reason = f"Part of the path {out} is a file, not a folder."
    elif number == errno.EFBIG:
        reason = (f"The disk holding {out} cannot hold a file this large (a disk formatted FAT32 takes files "
                  "of at most 4 GB).")
    else:  # also a short write with no errno (numpy's tofile, under gguf's writer)
        reason = (f"Writing to the folder {out} stopped partway: its disk may be unplugged or damaged, or "
                  "unable to hold a file this large (a disk formatted FAT32 takes files of at most 4 GB).")
    return ConversionError(reason + " Choose another folder and convert again.")
