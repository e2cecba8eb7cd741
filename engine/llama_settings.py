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
# - KV cache in F16, not Q8_0: quantizing K and V on every prefill made each image tile's
#   prefill 40-65% slower (more with more tiles in the context) on a CPU without AVX2;
#   the memory it saved is won back by a tighter context (engine/client.py) and no mmap. On an
#   AVX-512 CPU a Q8_0 K cache (V must stay F16 without flash attention) saved 85 MB and no time,
#   and with 256-token micro-batches read a tile 4-8% faster (`bench --formats`; README).
# - No mmap: llama.cpp repacks the Q4_K weights into its own buffer at load; with mmap the
#   file's pages it read stay mapped too, counting the same 420 MB twice in the process.
GGML_TYPE_F16 = 1
USE_MMAP = False
