"""Encoded image tiles kept for reuse: a repeated request on an unchanged image, a rebuilt
conversation or its close-ups skip the vision encoder (about 3-7 s a tile on 2 cores)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

# The detailed level's 13 tiles and a second look's close-ups, about 1.6 MB each with this model.
ENCODED_CACHE_SIZE = 16
# (mtmd's image id, the tile's number within that image, its tokens): mtmd gives every tile of
# one image the image's id, a hash of its pixels.
TileKey = tuple[str, int, int]


class EncodedTiles:
    """Least recently used first out."""

    def __init__(self, size: int = ENCODED_CACHE_SIZE):
        self._size = size
        self._tiles: OrderedDict[TileKey, np.ndarray] = OrderedDict()

    def get(self, key: TileKey) -> np.ndarray | None:
        embd = self._tiles.get(key)
        if embd is not None:
            self._tiles.move_to_end(key)
        return embd

    def put(self, key: TileKey, embd: np.ndarray) -> None:
        self._tiles[key] = embd
        while len(self._tiles) > self._size:
            self._tiles.popitem(last=False)
