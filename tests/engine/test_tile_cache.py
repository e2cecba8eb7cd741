"""The encoded-tile cache: the least recently used tile goes first."""

from __future__ import annotations

import numpy as np

from engine.tile_cache import EncodedTiles


def test_least_recently_used_goes_first():
    tiles = EncodedTiles(size=2)
    a, b, c = (np.full(4, n, np.float32) for n in range(3))
    tiles.put(("img", 0, 256), a)
    tiles.put(("img", 1, 256), b)
    assert tiles.get(("img", 0, 256)) is a  # now the most recently used
    tiles.put(("other", 0, 256), c)
    assert tiles.get(("img", 1, 256)) is None
    assert tiles.get(("img", 0, 256)) is a and tiles.get(("other", 0, 256)) is c
