"""The converter's hidden temporary files: named here, and removed after a run that could not remove its own.

A run writes `.<part>-<pid>-<seconds>.tmp` files into the output folder and renames them only when
all of it succeeded (convert/pipeline.py); a run that fails removes them itself. A run killed from
outside (Cancel in the app, the system's out-of-memory killer) cannot: the app removes a killed
run's files, and each run first removes those of runs whose process has ended.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

PARTS = ("text", "model", "mmproj", "manifest")
_NAME = re.compile(r"^\.(?:text|model|mmproj|manifest)-(\d+)-\d+\.tmp$")


def temp_paths(out: Path, pid: int, started: int) -> tuple[Path, ...]:
    """The run's temporary files, in the order of PARTS."""
    return tuple(out / f".{part}-{pid}-{started}.tmp" for part in PARTS)


def remove_left_over(out: Path, pid: int | None = None) -> list[Path]:
    """Remove the temporary files of the run with process id `pid` (None: of every run whose
    process has ended, never this process's); returns what was removed."""
    import psutil

    try:
        entries = list(Path(out).iterdir())
    except OSError:  # no folder yet, or not readable: nothing of ours is there
        return []
    removed = []
    for path in entries:
        match = _NAME.match(path.name)
        if match is None:
            continue
        owner = int(match.group(1))
        if pid is not None and owner != pid:
            continue
        if pid is None and (owner == os.getpid() or psutil.pid_exists(owner)):
            continue  # a run still going (a pid reused by another program keeps its files: the safe side)
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed
