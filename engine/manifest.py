"""manifest.json: which language model and vision projector belong together, and their checksums.

The converter writes it; the loader uses the pair it names (never a stray file beside it)
and checks each file's size and sha256 against it. Hashing a 750 MB file takes a second or
two, so a file that matched is remembered by its identity (device, inode, size, modification
time) in a small stamp beside the manifest, and hashed again only when that changes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "manifest.json"
STAMP_NAME = ".manifest-verified.json"  # an optimisation only: deleting it costs one re-hash
HASH_CHUNK_BYTES = 16 * 1024 * 1024
ROLES = ("model", "mmproj")
log = logging.getLogger(__name__)


class ManifestError(Exception):
    """One plain sentence (engine.model_files turns it into a ModelFileError)."""


@dataclass(frozen=True)
class Listed:
    path: Path
    size: int
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(folder: Path) -> dict[str, Listed] | None:
    """The files the folder's manifest lists by role, or None when there is no manifest."""
    manifest = Path(folder) / MANIFEST_NAME
    if not manifest.is_file():
        return None
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        listed = {role: Listed(Path(folder) / Path(data[role]["file"]).name, int(data[role]["size"]),
                               str(data[role]["sha256"])) for role in ROLES}
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{manifest} is damaged. Convert the checkpoint again.") from exc
    return listed


def verify(listed: dict[str, Listed]) -> None:
    """Raise ManifestError unless every listed file has the manifest's size and sha256."""
    folder = next(iter(listed.values())).path.parent
    stamp = _read_stamp(folder)
    is_changed = False
    for item in listed.values():
        identity = _identity(item.path)
        if identity[2] != item.size:
            raise ManifestError(_mismatch(item.path))
        if stamp.get(item.path.name) == [*identity, item.sha256]:
            continue
        if sha256_of(item.path) != item.sha256:
            raise ManifestError(_mismatch(item.path))
        stamp[item.path.name] = [*identity, item.sha256]
        is_changed = True
    if is_changed:
        _write_stamp(folder, stamp)


def _mismatch(path: Path) -> str:
    return (f"{path.name} is not the file its folder's manifest.json describes: it is damaged, or a conversion "
            "was interrupted. Convert the checkpoint again, or copy the model folder again.")


def _identity(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns]


def _read_stamp(folder: Path) -> dict:
    try:
        stamp = json.loads((folder / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def _write_stamp(folder: Path, stamp: dict) -> None:
    temp = folder / f"{STAMP_NAME}.{os.getpid()}.tmp"
    try:
        temp.write_text(json.dumps(stamp), encoding="utf-8")
        os.replace(temp, folder / STAMP_NAME)
    except OSError as exc:  # a read-only model folder: the files are simply hashed again next time
        log.info("cannot remember the verified model files in %s: %s", folder, exc)
        temp.unlink(missing_ok=True)
