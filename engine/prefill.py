"""Reading mtmd's chunks into llama.cpp's context, timed into Stats: text, the cached
system-prompt prefix, and image tiles, whose encodings are reused (engine/tile_cache.py)."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from engine.kv_cache import KvCache
from engine.llama_settings import N_BATCH
from engine.multimodal import CHUNK_IMAGE, MultimodalContext
from engine.prompts import Piece
from engine.protocol import Stats
from engine.tile_cache import EncodedTiles, TileKey

ShouldStop = Callable[[], bool]


class Prefill:
    """The one reader into the worker's llama.cpp context; counts the tiles it had to encode."""

    def __init__(self, llm, mtmd: MultimodalContext, cache: KvCache):
        self.llm, self.mtmd, self.cache = llm, mtmd, cache
        self._encoded = EncodedTiles()
        self.image_encodes = 0

    def eval(self, chunks, n_past: int, should_stop: ShouldStop, stats: Stats, cache_images: bool = True) -> bool:
        """Encode and prefill chunk by chunk from position `n_past`; False if stopped between chunks."""
        start = n_past
        tiles_seen: dict[str, int] = {}  # mtmd gives every tile of one image the image's id
        for i in range(len(chunks)):
            if should_stop():
                return False
            chunk = chunks.describe(i)
            if chunk.kind == CHUNK_IMAGE:
                image_id = chunks.image_id(i)
                tile = tiles_seen[image_id] = tiles_seen.get(image_id, -1) + 1
                t0 = time.perf_counter()
                embd = self._encode(chunks, i, (image_id, tile, chunk.n_tokens), stats, cache_images)
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
        return chunks

    def _encode(self, chunks, i: int, key: TileKey, stats: Stats, cache_images: bool) -> np.ndarray:
        """Encoded tile `key`, from the cache when possible."""
        embd = self._encoded.get(key) if cache_images else None
        if embd is not None:
            stats.encoder_cache_hits += 1
            return embd
        embd = self.mtmd.encode_image(chunks, i, self.llm.n_embd())
        self.image_encodes += 1
        stats.image_tokens += key[2]
        if cache_images:
            self._encoded.put(key, embd)
        return embd
