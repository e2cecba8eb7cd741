"""The token loop: sample, stream text, stop on end-of-generation, a limit, or a cancel.

Greedy decoding with a mild repetition penalty: a describer should be factual and
repeatable, not creative. UTF-8 that a token splits is held back until complete.
"""

from __future__ import annotations

import codecs
import time
from dataclasses import dataclass
from typing import Callable

REPEAT_LAST_N = 64
REPEAT_PENALTY = 1.1
TOP_K = 40


@dataclass
class GenerationResult:
    text: str
    n_tokens: int
    stop_reason: str  # "end", "limit" or "cancelled"
    first_token_s: float | None
    decode_s: float
    native_s: float  # of decode_s, the time inside llama.cpp (sampling, decoding, detokenizing)


class Generator:
    def __init__(self, llm):
        import llama_cpp

        self._lib = llama_cpp
        self._llm = llm
        self._vocab = llama_cpp.llama_model_get_vocab(llm.model)
        self._eos = llm.token_eos()
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        # top-k first: the penalty sampler is slow over a whole 153k vocabulary (llama.h)
        llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_top_k(TOP_K))
        llama_cpp.llama_sampler_chain_add(
            chain, llama_cpp.llama_sampler_init_penalties(llm.n_vocab(), REPEAT_LAST_N, REPEAT_PENALTY, 0.0, 0.0))
        llama_cpp.llama_sampler_chain_add(chain, llama_cpp.llama_sampler_init_greedy())
        self._sampler = chain
        self._token = (llama_cpp.llama_token * 1)()

    def decode_token(self, token: int) -> None:
        self._token[0] = token
        status = self._lib.llama_decode(self._llm.ctx, self._lib.llama_batch_get_one(self._token, 1))
        if status != 0:
            raise RuntimeError(f"llama_decode failed (status {status}): the context may be full")

    def generate(self, max_tokens: int, emit: Callable[[str], None], should_stop: Callable[[], bool],
                 started: float) -> GenerationResult:
        """Generate after a prompt whose last logits are ready; leaves the turn closed in the cache."""
        lib = self._lib
        lib.llama_sampler_reset(self._sampler)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        parts: list[str] = []
        first_token_s = None
        clock = time.perf_counter
        decode_started = clock()
        stop_reason = "limit"
        n = 0
        native_s = 0.0
        while n < max_tokens:
            if should_stop():
                stop_reason = "cancelled"
                break
            t0 = clock()
            token = lib.llama_sampler_sample(self._sampler, self._llm.ctx, -1)
            is_end = lib.llama_vocab_is_eog(self._vocab, token)
            raw = b"" if is_end else self._llm.detokenize([token], special=False)
            native_s += clock() - t0
            if is_end:
                stop_reason = "end"
                break
            n += 1
            piece = decoder.decode(raw)
            if first_token_s is None:
                first_token_s = clock() - started
            if piece:
                parts.append(piece)
                emit(piece)
            t0 = clock()
            self.decode_token(token)
            native_s += clock() - t0
        tail = decoder.decode(b"", final=True)
        if tail:
            parts.append(tail)
            emit(tail)
        # Close the assistant turn in the cache, so a follow-up continues from a well-formed prefix.
        self.decode_token(self._eos)
        return GenerationResult("".join(parts), n, stop_reason, first_token_s,
                                clock() - decode_started, native_s)

    def close(self) -> None:
        if self._sampler is not None:
            self._lib.llama_sampler_free(self._sampler)
            self._sampler = None
