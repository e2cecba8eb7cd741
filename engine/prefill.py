"""Reading mtmd's chunks into llama.cpp's context, timed into Stats: text, the cached
system-prompt prefix, and image tiles, whose encodings are reused (engine/tile_cache.py).

A tile is encoded by mtmd, or by OpenVINO where engine/encoder/choice.py chose it: then the
tiles are cut here as mtmd would cut them (engine/encoder/tiles.py), from the images of the
last `tokenize`, each held only until it is encoded, and mtmd keeps only its chunks' metadata
(Chunks.drop_pixels), not its own float32 copy of every tile."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from engine.kv_cache import KvCache
from engine.llama_settings import N_BATCH
from engine.multimodal import CHUNK_IMAGE, MultimodalContext, MultimodalError, image_id
from engine.prompts import Piece
from engine.protocol import Stats
from engine.tile_cache import EncodedTiles, TileKey

ShouldStop = Callable[[], bool]


class Prefill:
    """The one reader into the worker's llama.cpp context; counts the tiles it had to encode."""

    def __init__(self, llm, mtmd: MultimodalContext, cache: KvCache, tile_encoder=None):
        """`tile_encoder`: an engine.encoder.openvino_encoder.OpenVinoEncoder, or None for mtmd's own."""
        self.llm, self.mtmd, self.cache = llm, mtmd, cache
        self._tile_encoder = tile_encoder
        self._images: dict[str, np.ndarray] = {}  # image id -> the image, for the tile encoder's cut
        self._encoded = EncodedTiles()
        self.image_encodes = 0

    def eval(self, chunks, n_past: int, should_stop: ShouldStop, stats: Stats, cache_images: bool = True) -> bool:
        """Encode and prefill chunk by chunk from position `n_past`; False if stopped between chunks."""
        try:
            return self._eval(chunks, n_past, should_stop, stats, cache_images)
        finally:
            self._images = {}  # the tiles are encoded (or the request is over): the images go

    def _eval(self, chunks, n_past: int, should_stop: ShouldStop, stats: Stats, cache_images: bool) -> bool:
        start = n_past
        cut: dict[str, list[np.ndarray]] = {}  # image id -> its tiles, cut when the first is needed
        tiles_seen: dict[str, int] = {}  # mtmd gives every tile of one image the image's id
        for i in range(len(chunks)):
            if should_stop():
                return False
            chunk = chunks.describe(i)
            if chunk.kind == CHUNK_IMAGE:
                image_id = chunks.image_id(i)
                tile = tiles_seen[image_id] = tiles_seen.get(image_id, -1) + 1
                t0 = time.perf_counter()
                embd = self._encode(chunks, i, (image_id, tile, chunk.n_tokens), stats, cache_images, cut)
                t1 = time.perf_counter()
                n_past = self.mtmd.decode_image_chunk(self.llm.ctx, chunks, i, embd, n_past, N_BATCH)
                prefill_s = time.perf_counter() - t1
                stats.encode_s += t1 - t0
                stats.prefill_s += prefill_s
                stats.image_prefill_s += prefill_s
                continue
            if n_past == 0 and i == 0 and self.cache.prefix == chunk.tokens:
                n_past = len(chunk.tokens)  # the system prompt is already in the cache
                stats.prefix_cached_tokens = n_past
                continue
            t0 = time.perf_counter()
            n_past = self.mtmd.eval_text_chunk(self.llm.ctx, chunks, i, n_past, N_BATCH, i == len(chunks) - 1)
            stats.prefill_s += time.perf_counter() - t0
            if i == 0 and n_past == len(chunk.tokens):
                self.cache.prefix = chunk.tokens
        stats.prompt_tokens = n_past - start
        stats.reused_tokens = start + stats.prefix_cached_tokens
        stats.read_tokens = stats.prompt_tokens - stats.prefix_cached_tokens
        return True

    def tokenize(self, pieces: list[Piece], images: list[np.ndarray], stats: Stats, add_special: bool = True):
        """mtmd's tokenizer and image preprocessing, timed: llama.cpp's work, not the app's."""
        t0 = time.perf_counter()
        chunks = self.mtmd.tokenize(pieces, images, add_special=add_special)
        stats.tokenize_s += time.perf_counter() - t0
        if self._tile_encoder is not None:  # it encodes from the images: mtmd's own tiles are not read
            chunks.drop_pixels()
            self._images = {image_id(image): image for image in images}
        return chunks

    def _encode(self, chunks, i: int, key: TileKey, stats: Stats, cache_images: bool,
                cut: dict[str, list[np.ndarray]]) -> np.ndarray:
        """Encoded tile `key`, from the cache when possible."""
        embd = self._encoded.get(key) if cache_images else None
        if embd is not None:
            stats.encoder_cache_hits += 1
            return embd
        if self._tile_encoder is None:
            embd = self.mtmd.encode_image(chunks, i, self.llm.n_embd())
        else:
            embd = self._encode_tile(key, cut)
        self.image_encodes += 1
        stats.image_tokens += key[2]
        if cache_images:
            self._encoded.put(key, embd)
        return embd

    def _encode_tile(self, key: TileKey, cut: dict[str, list[np.ndarray]]) -> np.ndarray:
        from engine.encoder.tiles import tiles

        image_id, tile, n_tokens = key
        if image_id not in cut:
            if image_id not in self._images:  # a caller that tokenized without this Prefill
                raise MultimodalError("the image to encode was not read by Prefill.tokenize")
            shape = self._tile_encoder.shape
            # The image goes once it is cut, and each tile once it is encoded: they are not read again.
            cut[image_id] = tiles(self._images.pop(image_id), shape.image_size, shape.min_tiles, shape.max_tiles)
        try:
            pixels, cut[image_id][tile] = cut[image_id][tile], None
            embd = self._tile_encoder.encode(pixels)
        except Exception as exc:  # OpenVINO's errors are plain exceptions
            raise MultimodalError("the vision encoder failed on this image") from exc
        if embd.shape[0] != n_tokens:
            raise MultimodalError("the vision encoder and llama.cpp disagree on the image's tokens")
        return embd
