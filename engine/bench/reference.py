"""llama.cpp's own path, in-process, with no app code: the yardstick for the app's overhead.

Loads the same GGUF pair with the same llama.cpp settings (threads, flash attention,
batch sizes, F16 KV cache, weights read rather than mapped), tokenizes the same
prompt and image with mtmd, encodes and prefills with mtmd's helpers, then decodes the
same number of tokens with the same sampler chain. The split of encode and image
prefill gives the floor: the work the chosen tiles cost before any token can exist.
"""

from __future__ import annotations

import ctypes
import time

import numpy as np

from engine.device import CPU_ONLY, Placement
from engine.generation import REPEAT_LAST_N, REPEAT_PENALTY, TOP_K
# llama.cpp settings, not app code: the same as the app's (engine/llama_settings.py), so the comparison
# measures what the app's code adds, not what its choice of settings gains or loses.
from engine.llama_settings import (ENCODER_FLASH_ATTENTION, GGML_TYPE_F16, LLM_FLASH_ATTENTION, N_BATCH, N_UBATCH,
                                   USE_MMAP, k_cache_type)

CHUNK_IMAGE = 1
APP_PROJECTOR = "app"  # the vision encoder of the pair under test


class LlamaCppReference:
    def __init__(self, model_path: str, mmproj_path: str, n_threads: int, n_ctx: int, placement: Placement = CPU_ONLY,
                 n_ubatch: int = N_UBATCH, flash_attn: bool = LLM_FLASH_ATTENTION, type_k: int | None = None):
        """`type_k`: the K cache's ggml type; by default the worker's choice (engine/llama_settings.py)."""
        from llama_cpp import mtmd_cpp

        from engine import llama_library, weight_buffers

        llama_cpp = llama_library.load()
        self.lib, self.m = llama_cpp, mtmd_cpp
        started = time.perf_counter()
        model_params = llama_cpp.llama_model_default_params()
        model_params.use_mmap = USE_MMAP
        model_params.n_gpu_layers = placement.n_gpu_layers  # the device the app's worker chose
        buffers = weight_buffers.ModelParams(weight_buffers.plan_for(model_path, placement.is_on_gpu))
        buffers.apply(model_params)  # the worker's weight buffers (no AMX); `buffers` lives through the load
        self.model = llama_cpp.llama_model_load_from_file(model_path.encode(), model_params)
        params = llama_cpp.llama_context_default_params()
        params.n_ctx, params.n_batch, params.n_ubatch = n_ctx, N_BATCH, n_ubatch
        params.n_threads = params.n_threads_batch = n_threads
        params.flash_attn_type = 1 if flash_attn else 0  # the language model's; `bench --formats` tries both
        if type_k is None:
            from engine.cpu_features import llama_cpp_features

            type_k, _ = k_cache_type(llama_cpp_features(), placement.is_on_gpu)
        params.type_k, params.type_v = type_k, GGML_TYPE_F16  # `bench --formats` tries both K caches
        self.ctx = llama_cpp.llama_init_from_model(self.model, params)
        self._placement, self._n_threads = placement, n_threads
        self.mtmd = self._projector(mmproj_path)
        self._projectors = {APP_PROJECTOR: self.mtmd}
        self.vocab = llama_cpp.llama_model_get_vocab(self.model)
        self.n_embd = llama_cpp.llama_model_n_embd(self.model)
        self.load_s = time.perf_counter() - started

    def _projector(self, mmproj_path: str):
        m = self.m
        mparams = m.mtmd_context_params_default()
        mparams.use_gpu, mparams.print_timings = self._placement.is_encoder_on_gpu, False
        mparams.n_threads, mparams.flash_attn_type = self._n_threads, 1 if ENCODER_FLASH_ATTENTION else 0
        return m.mtmd_init_from_file(mmproj_path.encode(), self.model, mparams)

    def add_projector(self, name: str, mmproj_path: str) -> None:
        """Another vision encoder on the same language model (the peer baseline's F16 mmproj)."""
        self._projectors[name] = self._projector(mmproj_path)

    def _sampler(self):
        lib = self.lib
        chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_top_k(TOP_K))
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_penalties(
            lib.llama_vocab_n_tokens(self.vocab), REPEAT_LAST_N, REPEAT_PENALTY, 0.0, 0.0))
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_greedy())
        return chain

    def run(self, prompt: str, images: list[np.ndarray], n_tokens: int, projector: str = APP_PROJECTOR) -> dict:
        """Time one request from a cold cache with the named vision encoder; returns seconds for each stage, and
        `token_done_s[k]`: seconds from the start until token k+1 was read (so a run of more
        tokens also times a shorter answer: `total_s_for`)."""
        lib, m, mtmd = self.lib, self.m, self._projectors[projector]
        lib.llama_memory_clear(lib.llama_get_memory(self.ctx), True)
        started = time.perf_counter()
        bitmaps = []
        for image in images:
            image = np.ascontiguousarray(image, dtype=np.uint8)
            buf = (ctypes.c_uint8 * image.size).from_buffer_copy(image.tobytes())
            bitmaps.append(m.mtmd_bitmap_init(image.shape[1], image.shape[0], buf))
        text = m.mtmd_input_text()
        encoded = prompt.encode()
        text.text, text.text_len, text.add_special, text.parse_special = encoded, len(encoded), True, True
        chunks = m.mtmd_input_chunks_init()
        m.mtmd_tokenize(mtmd, chunks, ctypes.byref(text), (m.mtmd_bitmap_p_ctypes * len(bitmaps))(*bitmaps),
                        len(bitmaps))
        times = {"encode_s": 0.0, "image_prefill_s": 0.0, "text_prefill_s": 0.0, "tiles": 0}
        n_past = ctypes.c_int32(0)
        count = m.mtmd_input_chunks_size(chunks)
        for i in range(count):
            chunk = m.mtmd_input_chunks_get(chunks, i)
            t0 = time.perf_counter()
            if m.mtmd_input_chunk_get_type(chunk) == CHUNK_IMAGE:
                n = m.mtmd_input_chunk_get_n_tokens(chunk)
                m.mtmd_encode_chunk(mtmd, chunk)
                t1 = time.perf_counter()
                embd = m.mtmd_get_output_embd(mtmd)
                m.mtmd_helper_decode_image_chunk(mtmd, self.ctx, chunk, embd, n_past.value, 0, N_BATCH,
                                                 ctypes.byref(n_past), m.mtmd_helper_post_decode_callback(), None)
                times["encode_s"] += t1 - t0
                times["image_prefill_s"] += time.perf_counter() - t1
                times["tiles"] += n // 256
            else:
                m.mtmd_helper_eval_chunk_single(mtmd, self.ctx, chunk, n_past.value, 0, N_BATCH,
                                                i == count - 1, ctypes.byref(n_past))
                times["text_prefill_s"] += time.perf_counter() - t0
        times["prompt_s"] = time.perf_counter() - started
        times["tokens"], first_sampled_s, times["token_done_s"] = self.decode(n_tokens, started)
        if first_sampled_s is not None:
            times["first_token_s"] = first_sampled_s
        times["total_s"] = time.perf_counter() - started
        m.mtmd_input_chunks_free(chunks)
        for bitmap in bitmaps:
            m.mtmd_bitmap_free(bitmap)
        return times

    def decode(self, n_tokens: int, started: float) -> tuple[list[int], float | None, list[float]]:
        """`n_tokens` tokens after what the context holds, with the app's sampler chain: the tokens, the
        seconds from `started` until the first was sampled, and until each was read back."""
        lib = self.lib
        sampler = self._sampler()
        token = (lib.llama_token * 1)()
        tokens, first_sampled_s, done_s = [], None, []
        try:
            for _ in range(n_tokens):
                token[0] = lib.llama_sampler_sample(sampler, self.ctx, -1)
                tokens.append(token[0])
                if first_sampled_s is None:
                    first_sampled_s = time.perf_counter() - started
                if lib.llama_decode(self.ctx, lib.llama_batch_get_one(token, 1)) != 0:
                    raise RuntimeError("llama.cpp could not decode the next token")
                done_s.append(time.perf_counter() - started)
        finally:
            lib.llama_sampler_free(sampler)
        return tokens, first_sampled_s, done_s

    @staticmethod
    def total_s_for(times: dict, n_tokens: int) -> float:
        """A run's total had it stopped after `n_tokens` tokens (its prompt alone if none)."""
        done = times["token_done_s"]
        if n_tokens > len(done):
            raise ValueError(f"this run read {len(done)} tokens, not {n_tokens}")
        return done[n_tokens - 1] if n_tokens > 0 else times["prompt_s"]

    def detokenize(self, tokens: list[int]) -> str:
        out = b""
        buf = ctypes.create_string_buffer(256)
        for t in tokens:
            n = self.lib.llama_token_to_piece(self.vocab, t, buf, len(buf), 0, False)
            out += buf.raw[:n]
        return out.decode("utf-8", errors="replace")

    def close(self) -> None:
        for projector in self._projectors.values():
            self.m.mtmd_free(projector)
        self.lib.llama_free(self.ctx)
        self.lib.llama_model_free(self.model)
