"""The llama.cpp settings the worker loads the model with, shared with the benchmark's reference.

The benchmark (engine/bench/reference.py, engine/bench/formats.py) loads the same GGUF pair with
these same settings, so what it measures is the app's code, not a different choice of settings.
"""

N_BATCH = 512
# The language model's attention without flash attention: on the 2-core machines, llama.cpp's CPU
# flash-attention kernel is the slower one once the context holds a conversation (full-size model,
# F16 cache): a detailed answer's 768 tokens took about 55 s instead of 68-87 s (decode 14 against
# 9-11 tok/s at ~4,000 tokens of context), a second look's three close-ups 2-5 s less, and
# prefill was no slower (README, "Results on this machine"). Measured again on an AVX-512 CPU
# (`bench --formats`): decoding after 4,512 tokens 14.8-15.2 tok/s without, 8.0-10.1 with. The
# vision encoder keeps flash attention (about 5 s a tile instead of 7).
LLM_FLASH_ATTENTION = False
ENCODER_FLASH_ATTENTION = True
# A quarter of an image tile (64 tokens) per micro-batch: without flash attention llama.cpp holds
# each micro-batch's attention scores against the whole context (64 x 4,608 x 12 heads in F32),
# so halving the micro-batch keeps the worker's peak memory where flash attention had it
# (detailed 4032x3024 photo: 1.975 GB either way; 1.989 GB with 128-token micro-batches), and
# prefill stays within about 5% of either (3,840 tokens; the shared host's noise is as large).
N_UBATCH = 64
# Measured with the full-size model on the 2-core machines (README, "Results on this machine"):
# - No mmap: llama.cpp repacks the Q4_K weights into its own buffer at load; with mmap the
#   file's pages it read stay mapped too, counting the same 420 MB twice in the process.
GGML_TYPE_F16 = 1
GGML_TYPE_Q8_0 = 8
USE_MMAP = False
# - The K cache in Q8_0 where llama.cpp's CPU back end reports AVX512, F16 elsewhere (V stays F16:
#   llama.cpp quantizes V only with flash attention, which the language model leaves off). On
#   AVX-512 CPUs Q8_0 K holds 85 MB less of the 4,608-token context, which the worker's 2.0 GB target
#   needs beside OpenVINO's encoder, at little or no time: an Intel Xeon with AMX (2026-12-03,
#   `bench --formats`' measurement, 64-token micro-batches): image prefill 137 against 133 tok/s,
#   decoding after 4,512 tokens 12.4 against 11.5 tok/s, peak 2.298 against 2.384 GB; AMD EPYCs:
#   the close-ups no slower, one run's image prefill 112 against 126 tok/s (0.2-0.3 s of a glance).
#   On a CPU without AVX2 it made each tile's prefill 40-65% slower, and AVX2 without AVX-512 is not
#   measured, so F16 stays there. A GPU holds its own cache: F16.
K_CACHE_Q8_FEATURE = "AVX512"


def k_cache_type(features, is_on_gpu: bool) -> tuple[int, str]:
    """(ggml type, reason) of the language model's K cache: `features` is llama.cpp's report
    (engine.cpu_features.llama_cpp_features), None where it could not be read."""
    from engine.cpu_features import CPU_BACKEND

    if is_on_gpu:
        return GGML_TYPE_F16, "K cache F16: the GPU holds it"
    if (features or {}).get(CPU_BACKEND, {}).get(K_CACHE_Q8_FEATURE) != "1":
        return GGML_TYPE_F16, f"K cache F16: llama.cpp reports no {K_CACHE_Q8_FEATURE} on this CPU"
    return GGML_TYPE_Q8_0, (f"K cache Q8_0: llama.cpp reports {K_CACHE_Q8_FEATURE}, where it holds 85 MB less "
                            "than F16 at little or no time")
