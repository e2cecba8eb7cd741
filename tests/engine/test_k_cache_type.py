"""The language model's K cache format (engine/llama_settings.py, k_cache_type): Q8_0 where llama.cpp
reports AVX512 and the CPU holds the cache, F16 elsewhere; and with real llama.cpp on the tiny model,
a Q8_0 K cache reads a prompt to nearly the same next-token logits as F16 and a smaller context."""

from __future__ import annotations

import numpy as np
import pytest

from engine.llama_settings import GGML_TYPE_F16, GGML_TYPE_Q8_0, k_cache_type
from engine.weight_buffers import open_llama

AVX512 = {"CPU": {"AVX2": "1", "AVX512": "1", "AVX512_VNNI": "1"}}
AVX2_ONLY = {"CPU": {"AVX2": "1", "FMA": "1"}}
PROMPT = "a window with two buttons and a list of files, the second one selected " * 6
# Q8_0 rounds each block of 32 key values to 8 bits; the tiny random model's next-token logits move
# by less than this share of their range (3.5e-4 measured; the test prints it).
LOGITS_MAX_REL_DIFF = 5e-3


def test_q8_0_where_llama_cpp_reports_avx512_on_the_cpu():
    kind, reason = k_cache_type(AVX512, is_on_gpu=False)
    assert kind == GGML_TYPE_Q8_0 and "AVX512" in reason


@pytest.mark.parametrize("features, is_on_gpu, words", [
    (AVX2_ONLY, False, "no AVX512"),  # not measured there: F16
    ({"CPU": {"AVX512": "0"}}, False, "no AVX512"),
    (None, False, "no AVX512"),  # llama.cpp's report could not be read
    (AVX512, True, "GPU"),
])
def test_f16_everywhere_else(features, is_on_gpu, words):
    kind, reason = k_cache_type(features, is_on_gpu)
    assert kind == GGML_TYPE_F16 and words in reason


def _next_token_logits(model_path, type_k: int) -> tuple[np.ndarray, int]:
    llm = open_llama(model_path, n_ctx=512, n_batch=512, n_ubatch=64, n_threads=2, type_k=type_k, logits_all=True,
                     type_v=GGML_TYPE_F16, flash_attn=False, use_mmap=False, verbose=False)
    try:
        import llama_cpp

        llm.eval(llm.tokenize(PROMPT.encode()))
        state_bytes = llama_cpp.llama_state_seq_get_size(llm.ctx, 0)  # the cache's K and V as llama.cpp saves them
        return np.array(llm.scores[llm.n_tokens - 1], dtype=np.float64), state_bytes
    finally:
        llm.close()


def test_a_q8_0_k_cache_reads_as_f16_does_in_less_memory(conversions):
    pair = conversions.get("internvl", "F32", "f32")
    f16, f16_bytes = _next_token_logits(pair.model_path, GGML_TYPE_F16)
    q8, q8_bytes = _next_token_logits(pair.model_path, GGML_TYPE_Q8_0)
    diff = np.abs(q8 - f16).max() / (f16.max() - f16.min())
    print(f"Q8_0 K against F16 K: logits {diff:.2e} of their range apart; "
          f"cache state {q8_bytes} against {f16_bytes} bytes")
    assert diff <= LOGITS_MAX_REL_DIFF
    assert np.argmax(q8) == np.argmax(f16)
    # K in Q8_0 is 34 bytes a block of 32 against F16's 64; V stays F16: the pair is about 3/4 of F16's
    assert q8_bytes < 0.8 * f16_bytes

