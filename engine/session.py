"""The model owner inside the worker process: one Llama, one mtmd context, one conversation.

The client sends whole requests (image, detail, language, earlier turns) so a fresh
worker can rebuild any conversation. This session keeps, in llama.cpp's cache:
- the system-prompt prefix, shared by every description (never recomputed);
- the current conversation, so a follow-up reads only the new question and a second
  look encodes only its close-ups;
and, outside the cache, the encoded tiles of recent images, so a repeated request on an
unchanged image skips the vision encoder.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Callable

import numpy as np

from engine import native_log
from engine.generation import Generator
from engine.images import TILE, fit_tiles
from engine.multimodal import CHUNK_IMAGE, MultimodalContext
from engine.prompts import (ChatFormat, Piece, detail_level, follow_up_max_tokens, refine_instruction,
                            refine_max_tokens, system_prompt)
from engine.protocol import Chunk, Describe, Done, Load, Stats, StopReason
from engine.regions import Region

N_BATCH = 512
# The language model's attention without flash attention: on the 2-core machines, llama.cpp's CPU
# flash-attention kernel is the slower one once the context holds a conversation (full-size model,
# F16 cache): a detailed answer's 768 tokens took about 55 s instead of 68-87 s (decode 14 against
# 9-11 tok/s at ~4,000 tokens of context), a second look's three close-ups 2-5 s less, and
# prefill was no slower (README, "Results on this machine"). The vision encoder keeps flash
# attention (about 5 s a tile instead of 7).
LLM_FLASH_ATTENTION = False
# A quarter of an image tile (64 tokens) per micro-batch: without flash attention llama.cpp holds
# each micro-batch's attention scores against the whole context (64 x 4,608 x 12 heads in F32),
# so halving the micro-batch keeps the worker's peak memory where flash attention had it
# (detailed 4032x3024 photo: 1.975 GB either way; 1.989 GB with 128-token micro-batches), and
# prefill stays within about 5% of either (3,840 tokens; the shared host's noise is as large).
N_UBATCH = 64
# Measured with the full-size model on the 2-core machines (README, "Results on this machine"):
# - KV cache in F16, not Q8_0: quantizing K and V on every prefill made each image tile's
#   prefill 40-65% slower (more with more tiles in the context) on a CPU without AVX2;
#   the memory it saved is won back by a tighter context (engine/client.py) and no mmap.
# - No mmap: llama.cpp repacks the Q4_K weights into its own buffer at load; with mmap the
#   file's pages it read stay mapped too, counting the same 420 MB twice in the process.
GGML_TYPE_F16 = 1
# An answer cut short by a full context still gets at least this many tokens (a few sentences);
# with less room than that, the user is told the conversation is too long.
MIN_ANSWER_TOKENS = 128
# After the answer, the end-of-turn token is read into the cache too (engine/generation.py), so a
# follow-up continues a well-formed conversation: every answer's room leaves a slot for it.
CLOSING_TOKENS = 1
# Encoded tiles kept (repeat requests, close-ups, rebuilt conversations): the detailed level's 13
# tiles and a second look's close-ups, about 1.6 MB each with this model.
ENCODED_CACHE_SIZE = 16
Emit = Callable[[Chunk], None]
ShouldStop = Callable[[], bool]


class SessionError(Exception):
    pass


class _Picture:
    """The request's full-size image, let go as soon as what is needed from it exists.

    A 2688x2016 photo is 16 MB; a rebuild lets it go once its close-ups are cut and PIL holds
    the copy it scales, before mtmd's tokenizer makes its own buffers; an appended turn once
    mtmd holds its close-ups. That keeps it out of the worker's peak memory (README, "Results").
    """

    def __init__(self, req: Describe):
        pixels, req.pixels = req.pixels, None
        self._pixels: np.ndarray | None = np.frombuffer(pixels, dtype=np.uint8).reshape(req.shape)
        self.size = (int(self._pixels.shape[1]), int(self._pixels.shape[0]))

    @property
    def pixels(self) -> np.ndarray:
        if self._pixels is None:
            raise RuntimeError("the image was already released")
        return self._pixels

    def release(self) -> None:
        self._pixels = None


class Session:
    def __init__(self, load: Load):
        native_log.install()
        import llama_cpp
        from llama_cpp import Llama

        started = time.perf_counter()
        self._lib = llama_cpp
        self.n_ctx = int(load.n_ctx)
        self.llm = Llama(load.model_path, n_ctx=self.n_ctx, n_batch=N_BATCH, n_ubatch=N_UBATCH,
                         n_threads=load.n_threads, n_threads_batch=load.n_threads,
                         flash_attn=LLM_FLASH_ATTENTION, type_k=GGML_TYPE_F16, type_v=GGML_TYPE_F16, use_mmap=False,
                         verbose=False)
        self.mtmd = MultimodalContext(load.mmproj_path, self.llm.model, load.n_threads, flash_attn=True)
        self.format = ChatFormat(load.architecture, load.chat_template)
        self.generator = Generator(self.llm)
        self._encoded: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self.image_encodes = 0
        self._prefix: tuple[int, ...] | None = None  # first text chunk, kept in the cache
        self._conversation: tuple[str, int] | None = None  # (conversation id, turns in the cache)
        # Cache positions [start, end) of the follow-ups appended to the cached conversation, oldest
        # first: when the context fills, the oldest is removed in place and the rest shifted back.
        self._spans: list[tuple[int, int]] = []
        self._warm_up(load.language)
        self.load_s = time.perf_counter() - started

    @property
    def _memory(self):
        return self._lib.llama_get_memory(self.llm.ctx)

    def _warm_up(self, language: str | None) -> None:
        """Pay first-use costs at load and leave the system prompt in the cache for the first request."""
        grey = np.full((TILE, TILE, 3), 128, dtype=np.uint8)
        request = Describe(0, "", None, grey.shape, "brief", language)
        chunks = self.mtmd.tokenize(self.format.render(self._base_messages(request)), [grey])
        try:
            self._eval(chunks, 0, lambda: False, Stats(), cache_images=False)
            self.generator.decode_token(self.llm.token_eos())
        finally:
            chunks.close()
        self._conversation = None

    def _cache_end(self) -> int:
        """The position after the last token in the cache (0 when empty)."""
        return self._lib.llama_memory_seq_pos_max(self._memory, 0) + 1

    def _clear(self) -> None:
        self._lib.llama_memory_clear(self._memory, True)
        self._prefix = None
        self._conversation = None
        self._spans = []

    # --- evaluation ------------------------------------------------------------------
    def _eval(self, chunks, n_past: int, should_stop: ShouldStop, stats: Stats, cache_images: bool = True) -> bool:
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
            if n_past == 0 and i == 0 and self._prefix == chunk.tokens:
                n_past = len(chunk.tokens)  # the system prompt is already in the cache
                stats.prefix_cached_tokens = n_past
                continue
            t0 = time.perf_counter()
            n_past = self.mtmd.eval_text_chunk(self.llm.ctx, chunks, i, n_past, N_BATCH, i == len(chunks) - 1)
            stats.prefill_s += time.perf_counter() - t0
            if i == 0 and n_past == len(chunk.tokens):
                self._prefix = chunk.tokens
        stats.prompt_tokens = n_past - start
        return True

    def _tokenize(self, pieces: list[Piece], images: list[np.ndarray], stats: Stats, add_special: bool = True):
        """mtmd's tokenizer and image preprocessing, timed: llama.cpp's work, not the app's."""
        t0 = time.perf_counter()
        chunks = self.mtmd.tokenize(pieces, images, add_special=add_special)
        stats.tokenize_s += time.perf_counter() - t0
        return chunks

    def _encode(self, chunks, i: int, key: tuple, stats: Stats, cache_images: bool) -> np.ndarray:
        """Encoded tile `key` = (image id, tile number, tokens), from the cache when possible."""
        n_tokens = key[2]
        embd = self._encoded.get(key) if cache_images else None
        if embd is not None:
            self._encoded.move_to_end(key)
            stats.encoder_cache_hits += 1
            return embd
        embd = self.mtmd.encode_image(chunks, i, self.llm.n_embd())
        self.image_encodes += 1
        stats.image_tokens += n_tokens
        if cache_images:
            self._encoded[key] = embd
            while len(self._encoded) > ENCODED_CACHE_SIZE:
                self._encoded.popitem(last=False)
        return embd

    # --- conversations -----------------------------------------------------------------
    def _base_messages(self, req: Describe) -> list[dict]:
        level = detail_level(req.detail)
        instruction = req.instruction or level.instruction
        return [{"role": "system", "content": system_prompt(req.language)},
                {"role": "user", "content": instruction, "images": 1}]

    def _new_turn(self, req: Describe, image_size: tuple[int, int]) -> dict:
        if req.regions:
            regions = [Region(*r) for r in req.regions]
            places = [r.where(*image_size) for r in regions]
            return {"role": "user", "content": refine_instruction(places), "images": len(regions),
                    "regions": req.regions}
        return {"role": "user", "content": req.question}

    def run(self, req: Describe, emit: Emit, should_stop: ShouldStop) -> Done:
        """Describe (no new turn), answer a question, or take a second look at regions."""
        started = time.perf_counter()
        stats = Stats()
        encodes_before = self.image_encodes
        image = _Picture(req)  # takes the pixels out of the request: the worker does not keep them
        history = req.history
        turn = self._new_turn(req, image.size) if req.is_follow_up else None
        if turn is None:
            max_tokens = detail_level(req.detail).max_tokens
        else:
            max_tokens = refine_max_tokens(len(turn["regions"])) if "regions" in turn else follow_up_max_tokens()
        span_start = None  # where an appended turn starts in the cache
        try:
            appended = None
            if turn is not None and self._conversation == (req.conversation, len(history)):
                appended = self._continue(req, image, history, turn, stats, should_stop, max_tokens)
            if appended is not None:
                ok, span_start = appended
            else:  # a new conversation, another one in the cache, or no room to continue
                ok, max_tokens = self._rebuild(req, image, history, turn, stats, should_stop, max_tokens)
        except Exception:
            self._clear()  # a half-built cache must never be continued
            raise
        if not ok:
            self._conversation = None
            return Done(req.id, "", StopReason.CANCELLED, stats)
        result = self.generator.generate(max_tokens, lambda text: emit(Chunk(req.id, text)), should_stop, started)
        stop_reason = StopReason(result.stop_reason)
        turns = len(history) + (2 if turn else 1)
        self._conversation = (req.conversation, turns) if stop_reason != StopReason.CANCELLED else None
        if self._conversation is not None and span_start is not None:
            self._spans.append((span_start, self._cache_end()))
        stats.first_token_s, stats.decode_s, stats.n_tokens = result.first_token_s, result.decode_s, result.n_tokens
        stats.total_s = time.perf_counter() - started
        stats.image_encodes = self.image_encodes - encodes_before
        stats.native_s = stats.tokenize_s + stats.encode_s + stats.prefill_s + result.native_s
        return Done(req.id, result.text, stop_reason, stats, turn)

    @staticmethod
    def _close_ups(image: _Picture, turns: list[dict]) -> list[np.ndarray]:
        return [Region(*r).crop(image.pixels) for turn in turns for r in turn.get("regions") or []]

    def _rebuild(self, req: Describe, image: _Picture, history: list[dict], turn: dict | None, stats: Stats,
                 should_stop: ShouldStop, max_tokens: int) -> tuple[bool, int]:
        """Evaluate the whole conversation, reusing the cached system-prompt prefix.

        When the conversation and the answer to come no longer fit the context, the oldest
        follow-ups (question and answer, or a second look and its description) are set
        aside, never the image and its description: `stats.set_aside_turns` counts them.
        With nothing left to set aside, the answer gets the room that is left (at least
        MIN_ANSWER_TOKENS; `stats.answer_room`). Returns (False if stopped, the answer's budget).
        """
        self._conversation = None
        self._spans = []  # turns read in a rebuild are set aside by rebuilding (below), not in place
        kept = list(history)
        # The close-ups are cut, then the image is scaled to the level's tile budget (once) and the
        # full-size pixels let go as soon as PIL holds its copy: mtmd's tokenizer never runs
        # with them still held (the worker's busiest moment for memory).
        crops = {id(t): self._close_ups(image, [t]) for t in kept + ([turn] if turn else [])}
        scaled = fit_tiles(image.pixels, detail_level(req.detail).max_tiles, let_go=image.release)
        image.release()  # also when the image needed no scaling (then `scaled` is the image itself)
        while True:
            turns = kept + ([turn] if turn else [])
            images = [scaled, *(crop for t in turns for crop in crops[id(t)])]
            chunks = self._tokenize(self.format.render(self._base_messages(req) + turns), images, stats)
            room = self.n_ctx - chunks.n_tokens() - CLOSING_TOKENS
            if room >= max_tokens:
                break
            if len(kept) < 3:
                if room >= MIN_ANSWER_TOKENS:
                    max_tokens = stats.answer_room = room
                    break
                chunks.close()
                raise SessionError(self._too_long_message(turn))
            chunks.close()
            del kept[1:3]  # kept[0] is the description; then (user, assistant) pairs, oldest first
        if len(kept) < len(history):
            stats.set_aside_turns = (len(history) - len(kept)) // 2
        stats.image_size = (int(scaled.shape[1]), int(scaled.shape[0]))
        del images, scaled, crops  # mtmd holds its own copies now
        try:
            first = chunks.describe(0)
            if self._prefix is not None and first.tokens == self._prefix:
                # keep the system prompt, drop the rest (llama.cpp removes positions [kept, end))
                if not self._lib.llama_memory_seq_rm(self._memory, 0, len(self._prefix), -1):
                    self._clear()
            else:
                self._clear()
            return self._eval(chunks, 0, should_stop, stats), max_tokens
        finally:
            chunks.close()

    @staticmethod
    def _too_long_message(turn: dict | None) -> str:
        if turn is None:
            return ("This image needs more of the model's memory than it has at this detail level. "
                    "Choose a lower detail level.")
        return "This question is too long for the model's memory. Ask a shorter question."

    def _continue(self, req: Describe, image: _Picture, history: list[dict], turn: dict, stats: Stats,
                  should_stop: ShouldStop, max_tokens: int) -> tuple[bool, int] | None:
        """Append one turn to the cached conversation: no work for anything already read.

        Returns (False if stopped, the cache position where the turn starts), or None when the
        turn and its answer would not fit: the caller rebuilds a shorter one.
        """
        pieces = self.format.continuation(self._base_messages(req) + history, [turn])
        n_past = self._cache_end()
        chunks = self._tokenize(pieces, self._close_ups(image, [turn]), stats, add_special=False)
        try:
            while n_past + chunks.n_tokens() + max_tokens + CLOSING_TOKENS > self.n_ctx:
                if not self._spans or not self._set_aside_oldest():
                    return None  # the caller rebuilds from the image
                stats.set_aside_turns += 1
                n_past = self._cache_end()
            image.release()
            return self._eval(chunks, n_past, should_stop, stats), n_past
        finally:
            chunks.close()

    def _set_aside_oldest(self) -> bool:
        """Remove the oldest appended follow-up from the cache and move what follows it back.

        Nothing is read again: llama.cpp re-rotates the moved keys (a RoPE shift). False if this
        model's cache cannot shift; the caller then rebuilds a shorter conversation.
        """
        lib, memory = self._lib, self._memory
        if not lib.llama_memory_can_shift(memory):
            return False
        start, end = self._spans.pop(0)
        removed = end - start
        if not lib.llama_memory_seq_rm(memory, 0, start, end):
            self._clear()
            return False
        lib.llama_memory_seq_add(memory, 0, end, -1, -removed)
        self._spans = [(s - removed, e - removed) for s, e in self._spans]
        return True

    def close(self) -> None:
        self.generator.close()
        self.mtmd.close()
        self.llm.close()
