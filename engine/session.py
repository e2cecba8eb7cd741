"""The model owner inside the worker process: one Llama, one mtmd context, one conversation.

The client sends whole requests (image, detail, language, history) so that a fresh
worker can rebuild any conversation; this session keeps the cache of the current one
so a follow-up about the same image never runs the vision encoder again.
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
from engine.prompts import ChatFormat, detail_level, follow_up_max_tokens, system_prompt

N_BATCH = 512
ENCODED_CACHE_SIZE = 4  # images whose encoded tiles are kept (repeat requests, rebuilt follow-ups)
Emit = Callable[[str, dict], None]
ShouldStop = Callable[[], bool]


class SessionError(Exception):
    pass


class Session:
    def __init__(self, load: dict):
        native_log.install()
        from llama_cpp import Llama

        started = time.perf_counter()
        self.n_ctx = int(load["n_ctx"])
        self.llm = Llama(load["model_path"], n_ctx=self.n_ctx, n_batch=N_BATCH, n_ubatch=N_BATCH,
                         n_threads=load["n_threads"], n_threads_batch=load["n_threads"],
                         flash_attn=True, verbose=False)
        self.mtmd = MultimodalContext(load["mmproj_path"], self.llm.model, load["n_threads"], flash_attn=True)
        self.format = ChatFormat(load["architecture"], load.get("chat_template"))
        self.generator = Generator(self.llm)
        self._encoded: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self.image_encodes = 0
        self._conversation: tuple[str, int] | None = None  # (conversation id, turns in cache)
        self._warm_up()
        self.load_s = time.perf_counter() - started

    def _warm_up(self) -> None:
        """Pay mtmd's and llama.cpp's first-use costs at load, never on the first request."""
        grey = np.full((TILE, TILE, 3), 128, dtype=np.uint8)
        chunks = self.mtmd.tokenize(f"{self.mtmd.marker.decode()} ok", [grey])
        try:
            self._eval(chunks, lambda: False, {}, use_cache=False)
            self.generator.decode_token(self.llm.token_eos())
        finally:
            chunks.close()
            self._clear()

    def _clear(self) -> None:
        import llama_cpp

        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self.llm.ctx), True)
        self._conversation = None

    def _eval(self, chunks, should_stop: ShouldStop, stats: dict, use_cache: bool = True) -> bool:
        """Encode and prefill chunk by chunk; returns False if stopped between chunks."""
        n_past = 0
        stats.setdefault("encode_s", 0.0)
        stats.setdefault("prefill_s", 0.0)
        for i in range(len(chunks)):
            if should_stop():
                return False
            chunk = chunks.describe(i)
            last = i == len(chunks) - 1
            if chunk.kind == CHUNK_IMAGE:
                key = (chunks.image_id(i), chunk.n_tokens)
                t0 = time.perf_counter()
                embd = self._encoded.get(key) if use_cache else None
                if embd is None:
                    embd = self.mtmd.encode_image(chunks, i, self.llm.n_embd())
                    self.image_encodes += 1
                    stats["image_tokens"] = stats.get("image_tokens", 0) + chunk.n_tokens
                    if use_cache:
                        self._encoded[key] = embd
                        while len(self._encoded) > ENCODED_CACHE_SIZE:
                            self._encoded.popitem(last=False)
                else:
                    self._encoded.move_to_end(key)
                    stats["encoder_cache_hits"] = stats.get("encoder_cache_hits", 0) + 1
                t1 = time.perf_counter()
                n_past = self.mtmd.decode_image_chunk(self.llm.ctx, chunks, i, embd, n_past, N_BATCH)
                stats["encode_s"] += t1 - t0
                stats["prefill_s"] += time.perf_counter() - t1
            else:
                t0 = time.perf_counter()
                n_past = self.mtmd.eval_text_chunk(self.llm.ctx, chunks, i, n_past, N_BATCH, last)
                stats["prefill_s"] += time.perf_counter() - t0
        stats["prompt_tokens"] = n_past
        return True

    def _messages(self, req: dict) -> list[dict]:
        level = detail_level(req["detail"])
        instruction = req.get("instruction") or level.instruction
        first = {"role": "user", "content": f"{self.mtmd.marker.decode()}\n{instruction}"}
        return [{"role": "system", "content": system_prompt(req.get("language"))}, first]

    def run(self, req: dict, emit: Emit, should_stop: ShouldStop) -> dict:
        """Describe (no history) or answer the last user turn of `req["history"]`."""
        started = time.perf_counter()
        stats: dict = {"image_encodes_before": self.image_encodes}
        history = req.get("history") or []
        conversation = req["conversation"]
        question = req.get("question")
        try:
            if question and self._conversation == (conversation, len(history)):
                ok = self._continue(self._messages(req) + history, question, stats, should_stop)
            else:
                ok = self._rebuild(req, history, question, stats, should_stop)
        except Exception:
            self._clear()  # a half-built cache must never be continued
            raise
        if not ok:
            self._clear()
            return {"stop_reason": "cancelled", "text": "", "stats": stats}
        max_tokens = follow_up_max_tokens() if question else detail_level(req["detail"]).max_tokens
        result = self.generator.generate(max_tokens, lambda text: emit("chunk", {"text": text}), should_stop, started)
        turns = len(history) + (1 if question else 0) + 1
        self._conversation = (conversation, turns) if result.stop_reason != "cancelled" else None
        stats.update(first_token_s=result.first_token_s, decode_s=result.decode_s, n_tokens=result.n_tokens,
                     total_s=time.perf_counter() - started,
                     image_encodes=self.image_encodes - stats.pop("image_encodes_before"))
        return {"stop_reason": result.stop_reason, "text": result.text, "stats": stats}

    def _rebuild(self, req: dict, history: list[dict], question: str | None, stats: dict,
                 should_stop: ShouldStop) -> bool:
        self._clear()
        level = detail_level(req["detail"])
        image = np.frombuffer(req["image"], dtype=np.uint8).reshape(req["shape"])
        image = fit_tiles(image, level.max_tiles)
        stats["image_size"] = [int(image.shape[1]), int(image.shape[0])]
        messages = self._messages(req) + history + ([{"role": "user", "content": question}] if question else [])
        chunks = self.mtmd.tokenize(self.format.render(messages), [image])
        try:
            return self._eval(chunks, should_stop, stats)
        finally:
            chunks.close()

    def _continue(self, cached: list[dict], question: str, stats: dict, should_stop: ShouldStop) -> bool:
        """Append the new question to the cached conversation: no image work at all."""
        if should_stop():
            return False
        started = time.perf_counter()
        text = self.format.continuation(cached, [{"role": "user", "content": question}])
        tokens = self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        import llama_cpp

        n_past = llama_cpp.llama_memory_seq_pos_max(llama_cpp.llama_get_memory(self.llm.ctx), 0) + 1
        if n_past + len(tokens) + follow_up_max_tokens() > self.n_ctx:
            raise SessionError("This conversation is too long to continue. Describe the image again to start afresh.")
        for start in range(0, len(tokens), N_BATCH):
            batch = tokens[start : start + N_BATCH]
            array = (llama_cpp.llama_token * len(batch))(*batch)
            if llama_cpp.llama_decode(self.llm.ctx, llama_cpp.llama_batch_get_one(array, len(batch))) != 0:
                raise SessionError("The model could not read the question.")
        stats["prefill_s"] = time.perf_counter() - started
        stats["prompt_tokens"] = len(tokens)
        return True

    def close(self) -> None:
        self.generator.close()
        self.mtmd.close()
        self.llm.close()
