"""The model owner inside the worker process: one Llama, one mtmd context, one conversation.

The client sends whole requests (image, detail, language, earlier turns) so a fresh
worker can rebuild any conversation. The session orchestrates: it reads a follow-up onto the
conversation held in llama.cpp's cache when it can (engine/kv_cache.py), so only the new question
or close-ups are read, and else reads the whole conversation from the system prompt on; what fits
is decided by engine/context_budget.py, the prompt's parts come from engine/turns.py, and
engine/prefill.py reads them into llama.cpp's context with the settings of engine/llama_settings.py.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import numpy as np

from engine import device, llama_library, weight_buffers
from engine.generation import Generator
from engine.images import TILE, fit_tiles
from engine.encoder.choice import Vision
from engine.multimodal import MultimodalContext, MultimodalError
from engine.context_budget import FOLLOW_UP_RESERVE_TOKENS, Fit, answer_budget
from engine.kv_cache import KvCache
from engine.cpu_features import llama_cpp_features
from engine.llama_settings import (ENCODER_FLASH_ATTENTION, GGML_TYPE_F16, LLM_FLASH_ATTENTION, N_BATCH, N_UBATCH,
                                   USE_MMAP, k_cache_type)
from engine.prefill import Prefill, ShouldStop
from engine.prompts import ChatFormat, detail_level
from engine.protocol import Chunk, Describe, Done, Load, Stats, StopReason
from engine.turns import Picture, base_messages, close_ups, max_tokens, new_turn, too_long_message

Emit = Callable[[Chunk], None]
log = logging.getLogger(__name__)


class SessionError(Exception):
    """A request refused in plain words before the cache was changed: what it holds can still be continued."""


class Session:
    def __init__(self, load: Load, has_gpu_failed: bool = False):
        """`has_gpu_failed`: a load onto the GPU failed before; this one is on the CPU."""
        llama_cpp = llama_library.load()
        started = time.perf_counter()
        self.n_ctx = int(load.n_ctx)
        self.placement = device.choose(load.device, device.supports_gpu_offload(), has_gpu_failed)
        # Before the language model: OpenVINO's compile briefly holds the weights twice (its peak, not the worker's).
        self.vision = Vision(load.mmproj_path, load.n_threads, load.encoder, self.placement.is_encoder_on_gpu)
        type_k, k_reason = k_cache_type(llama_cpp_features(), self.placement.is_on_gpu)
        log.info("language model: %s", k_reason)
        self.llm = weight_buffers.open_llama(load.model_path, self.placement.is_on_gpu, n_ctx=self.n_ctx, n_batch=N_BATCH,
                                             n_ubatch=N_UBATCH, n_threads=load.n_threads,
                                             n_threads_batch=load.n_threads, n_gpu_layers=self.placement.n_gpu_layers,
                                             flash_attn=LLM_FLASH_ATTENTION, type_k=type_k,
                                             type_v=GGML_TYPE_F16, use_mmap=USE_MMAP, verbose=False)
        self.mtmd = self._open_mtmd(load)
        self.format = ChatFormat(load.architecture, load.chat_template)
        self.generator = Generator(self.llm)
        self.cache = KvCache(llama_cpp, self.llm.ctx)
        self.prefill = Prefill(self.llm, self.mtmd, self.cache, self.vision.encoder)
        self._warm_up(load.language)
        self.load_s = time.perf_counter() - started

    def _open_mtmd(self, load: Load) -> MultimodalContext:
        """mtmd on the file the vision encoder's choice says: with OpenVINO, the mmproj's shell, for tokenizing."""
        def open_on(path: str) -> MultimodalContext:
            return MultimodalContext(path, self.llm.model, load.n_threads, flash_attn=ENCODER_FLASH_ATTENTION,
                                     use_gpu=self.placement.is_encoder_on_gpu)

        try:
            return open_on(self.vision.mtmd_path)
        except MultimodalError:
            if self.vision.encoder is None:
                raise
            self.vision.fall_back("llama.cpp could not read the shell of the vision model")  # its own encoder, then
            return open_on(load.mmproj_path)
        finally:
            self.vision.mtmd_loaded()

    def _warm_up(self, language: str | None) -> None:
        """Pay first-use costs at load and leave the system prompt in the cache for the first request."""
        grey = np.full((TILE, TILE, 3), 128, dtype=np.uint8)
        request = Describe(0, "", None, grey.shape, "brief", language)
        chunks = self.prefill.tokenize(self.format.render(base_messages(request)), [grey], Stats())
        try:
            self.prefill.eval(chunks, 0, lambda: False, Stats(), cache_images=False)
            self.generator.decode_token(self.llm.token_eos())
        finally:
            chunks.close()
        self.cache.forget_conversation()

    # --- conversations -----------------------------------------------------------------
    def run(self, req: Describe, emit: Emit, should_stop: ShouldStop) -> Done:
        """Describe (no new turn), answer a question, or take a second look at regions."""
        started = time.perf_counter()
        stats = Stats(device=self.placement.ran_on)
        encodes_before = self.prefill.image_encodes
        image = Picture(req)  # takes the pixels out of the request: the worker does not keep them
        history = req.history
        turn = new_turn(req, image.size)
        budget = max_tokens(req, turn)
        appended_at = None  # where an appended turn starts in the cache
        try:
            appended = None
            if turn is not None and self.cache.holds(req.conversation, len(history)):
                appended = self._continue(req, image, history, turn, stats, should_stop, budget)
            if appended is not None:
                ok, appended_at, budget = appended
            else:  # a new conversation, another one in the cache, or no room to continue
                ok, budget = self._rebuild(req, image, history, turn, stats, should_stop, budget)
        except SessionError:
            raise  # the cache is as it was (a too-long question): the next question continues it
        except Exception:
            self.cache.clear()  # a half-built cache must never be continued
            raise
        if not ok:
            self.cache.forget_conversation()
            return Done(req.id, "", StopReason.CANCELLED, stats)
        result = self.generator.generate(budget, lambda text: emit(Chunk(req.id, text)), should_stop, started)
        stop_reason = StopReason(result.stop_reason)
        if stop_reason == StopReason.CANCELLED:
            self.cache.forget_conversation()
        else:
            self.cache.holding(req.conversation, len(history) + (2 if turn else 1), appended_at)
        stats.first_token_s, stats.decode_s, stats.n_tokens = result.first_token_s, result.decode_s, result.n_tokens
        stats.total_s = time.perf_counter() - started
        stats.image_encodes = self.prefill.image_encodes - encodes_before
        stats.native_s = stats.tokenize_s + stats.encode_s + stats.prefill_s + result.native_s
        return Done(req.id, result.text, stop_reason, stats, turn)

    def _rebuild(self, req: Describe, image: Picture, history: list[dict], turn: dict | None, stats: Stats,
                 should_stop: ShouldStop, budget: int) -> tuple[bool, int]:
        """Evaluate the whole conversation, reusing the cached system-prompt prefix.

        When the conversation and the answer to come no longer fit the context, the oldest
        follow-ups (question and answer, or a second look and its description) are set
        aside, never the image and its description: `stats.set_aside_turns` counts them.
        With nothing left to set aside, the answer gets the room that is left (at least
        context_budget.MIN_ANSWER_TOKENS; `stats.answer_room`). A description (never set aside)
        keeps room for a follow-up after itself (context_budget.FOLLOW_UP_RESERVE_TOKENS). Returns
        (False if stopped, the answer's budget); raises SessionError, before changing the cache,
        if not even the shortest answer fits.
        """
        kept = list(history)
        # The close-ups are cut, then the image is scaled to the level's tile budget (once) and the
        # full-size pixels let go as soon as PIL holds its copy: mtmd's tokenizer never runs
        # with them still held (the worker's busiest moment for memory).
        crops = {id(t): close_ups(image, [t]) for t in kept + ([turn] if turn else [])}
        scaled = fit_tiles(image.pixels, detail_level(req.detail).max_tiles, let_go=image.release)
        image.release()  # also when the image needed no scaling (then `scaled` is the image itself)
        while True:
            turns = kept + ([turn] if turn else [])
            images = [scaled, *(crop for t in turns for crop in crops[id(t)])]
            chunks = self.prefill.tokenize(self.format.render(base_messages(req) + turns), images, stats)
            # kept[0] is the description; then (user, assistant) pairs, oldest first
            fit = answer_budget(self.n_ctx, chunks.n_tokens(), budget, can_set_aside=len(kept) >= 3,
                                reserve=FOLLOW_UP_RESERVE_TOKENS if turn is None else 0)
            if fit.fit == Fit.FITS:
                break
            if fit.fit == Fit.SHORTENED:
                budget = stats.answer_room = fit.max_tokens
                break
            chunks.close()
            if fit.fit == Fit.TOO_LONG:
                raise SessionError(too_long_message(turn))
            del kept[1:3]
        if len(kept) < len(history):
            stats.set_aside_turns = (len(history) - len(kept)) // 2
        stats.image_size = (int(scaled.shape[1]), int(scaled.shape[0]))
        del images, scaled, crops  # mtmd holds its own copies now
        try:
            self.cache.keep_prefix(chunks.describe(0).tokens)
            return self.prefill.eval(chunks, 0, should_stop, stats), budget
        finally:
            chunks.close()

    def _continue(self, req: Describe, image: Picture, history: list[dict], turn: dict, stats: Stats,
                  should_stop: ShouldStop, budget: int) -> tuple[bool, int, int] | None:
        """Append one turn to the cached conversation: no work for anything already read.

        The oldest appended follow-ups are set aside in place to make room; with none left, the
        answer gets the room that is left (at least context_budget.MIN_ANSWER_TOKENS), still in
        place: reading the whole conversation again would give it no more room. Returns (False if
        stopped, the cache position where the turn starts, the answer's budget), or None when not
        even that fits or this model's cache cannot shift: the caller rebuilds a shorter conversation
        (setting aside the follow-ups a rebuild read) or says the question is too long.
        """
        pieces = self.format.continuation(base_messages(req) + history, [turn])
        n_past = self.cache.end()
        chunks = self.prefill.tokenize(pieces, close_ups(image, [turn]), stats, add_special=False)
        try:
            while True:
                fit = answer_budget(self.n_ctx, n_past + chunks.n_tokens(), budget, self.cache.has_follow_ups)
                if fit.fit != Fit.SET_ASIDE:
                    break
                if not self.cache.set_aside_oldest():
                    return None
                stats.set_aside_turns += 1
                n_past = self.cache.end()
            if fit.fit == Fit.TOO_LONG:
                return None
            if fit.fit == Fit.SHORTENED:
                stats.answer_room = fit.max_tokens
            image.release()
            return self.prefill.eval(chunks, n_past, should_stop, stats), n_past, fit.max_tokens
        finally:
            chunks.close()

    def close(self) -> None:
        self.generator.close()
        self.mtmd.close()
        self.vision.close()
        self.llm.close()
