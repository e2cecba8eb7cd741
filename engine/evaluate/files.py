"""What an evaluation writes: private (0600 files in 0700 folders, as the app's other files about
the user's images), and each file renamed into place whole, so an interrupted run never leaves
half a file."""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(folder: Path) -> Path:
    """Create `folder` and each missing parent 0700 (mkdir's parents=True would give those the default mode)."""
    folder = Path(folder)
    for path in reversed((folder, *folder.parents)):
        if not path.exists():
            path.mkdir(mode=FOLDER_MODE, exist_ok=True)
    return folder


def write_private(path: Path, text: str) -> Path:
    path = Path(path)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path
