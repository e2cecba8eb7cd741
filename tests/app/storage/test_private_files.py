"""Private files created once: whole, 0600, and never over a file that is already there."""

from __future__ import annotations

import stat

from app.storage.private_files import create_private_once


def test_a_file_is_created_once_whole_and_private(tmp_path):
    path = tmp_path / "instance.pipe"
    assert create_private_once(path, b"first")
    assert not create_private_once(path, b"second")  # another launch's is kept
    assert path.read_bytes() == b"first" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instance.pipe"]  # no temporary file left
