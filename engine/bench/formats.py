"""`bench --formats`: the language model's number format and micro-batch, measured on this CPU.

The 64-token micro-batches and Q4_K_M were chosen on a CPU without AVX2; llama.cpp repacks
Q4_0 into interleaved blocks for AVX2/AVX-512 at load (ggml-cpu's repack.cpp, "Q4_0_8x8"), so
the choice is measured again where the app runs. Each format of the full-size synthetic language
model (converted from the same checkpoint, cached) runs with each micro-batch through llama.cpp's
own path (engine/bench/reference.py, the app's other settings), each in a fresh child process
(`python -m engine.bench.formats`), one after another:

- the glance: the app's brief prompt on one 448x448 tile (encoder + image prefill + first token),
  then DECODE_TOKENS tokens: the decode rate;
- a long prefill: text tokens until the context is all but full (the worst case for the
  micro-batch's attention scores without flash attention): the prefill rate and the peak memory;
  then LONG_DECODE_TOKENS tokens with that context behind them: the decode rate of a detailed
  answer's end or of a follow-up after one.

Q4_K_M also runs with the language model's flash attention on (FLASH_ATTENTION_ROWS) and with its
K cache in Q8_0 (K_CACHE_ROWS; V stays F16, since llama.cpp quantizes V only with flash attention):
settings the app turned off on a CPU without AVX2 (engine/llama_settings.py), measured here too.

The peak is the child's resident memory over its life (VmHWM): Python and llama.cpp, the model,
the vision encoder, the context and its compute buffers, as in the app's worker. A child of its
own per format, because memory a freed model leaves in one process's heap would count for the next.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from engine.process_memory import peak_rss_bytes

QUANTS = ("Q4_K_M", "Q4_0", "Q8_0")
MICRO_BATCHES = (64, 128, 256)
DECODE_TOKENS = 48
LONG_DECODE_TOKENS = 32
FLASH_ATTENTION_ROWS = (("Q4_K_M", 64), ("Q4_K_M", 256))  # also measured with flash attention on
K_CACHE_ROWS = (("Q4_K_M", 64), ("Q4_K_M", 256))  # also measured with a Q8_0 K cache (half the K cache's memory)
CONTEXT_MARGIN = 64  # the long prefill stops this many tokens short of the context's end
PEAK_LIMIT_BYTES = 2.0e9  # the worker's memory target (engine/bench/cli.py)


def _long_prefill(reference, n_tokens: int) -> float:
    """Seconds to read `n_tokens` text tokens into an empty context, N_BATCH at a time."""
    from engine.llama_settings import N_BATCH

    lib = reference.lib
    lib.llama_memory_clear(lib.llama_get_memory(reference.ctx), True)
    n_vocab = lib.llama_vocab_n_tokens(reference.vocab)
    # Ordinary tokens from the middle of the vocabulary (not control tokens), in a fixed order.
    ids = [n_vocab // 4 + (i * 7919) % (n_vocab // 2) for i in range(n_tokens)]
    started = time.perf_counter()
    for start in range(0, n_tokens, N_BATCH):
        batch = ids[start:start + N_BATCH]
        tokens = (lib.llama_token * len(batch))(*batch)
        if lib.llama_decode(reference.ctx, lib.llama_batch_get_one(tokens, len(batch))) != 0:
            raise RuntimeError("llama.cpp could not read the long prompt")
    return time.perf_counter() - started


def _decode_rate(reference, n_tokens: int) -> float:
    """Tokens per second over `n_tokens` greedy tokens after what the context holds."""
    started = time.perf_counter()
    reference.decode(n_tokens, started)
    return n_tokens / (time.perf_counter() - started)


def measure(model_path: str, mmproj_path: str, n_threads: int, n_ctx: int, n_ubatch: int, prompt: str, tile,
            flash_attn: bool = False, k_cache: str = "f16") -> dict:
    from engine import llama_library
    from engine.bench.reference import LlamaCppReference

    llama_cpp = llama_library.load()
    type_k = {"f16": llama_cpp.GGML_TYPE_F16, "q8_0": llama_cpp.GGML_TYPE_Q8_0}[k_cache]
    reference = LlamaCppReference(model_path, mmproj_path, n_threads, n_ctx, n_ubatch=n_ubatch, flash_attn=flash_attn,
                                  type_k=type_k)
    try:
        glance = reference.run(prompt, [tile], DECODE_TOKENS)
        done = glance["token_done_s"]
        n_long = n_ctx - CONTEXT_MARGIN - LONG_DECODE_TOKENS
        long_s = _long_prefill(reference, n_long)
        long_decode = _decode_rate(reference, LONG_DECODE_TOKENS)
        image_tokens = 256 * glance["tiles"]
        return {
            "micro_batch": n_ubatch, "flash_attn": flash_attn, "k_cache": k_cache, "load_s": reference.load_s,
            "encode_s": glance["encode_s"], "image_prefill_s": glance["image_prefill_s"],
            "image_prefill_tok_s": image_tokens / glance["image_prefill_s"],
            "first_token_s": glance["first_token_s"],
            "decode_tok_s": (len(done) - 1) / (done[-1] - done[0]),
            "long_prefill_tokens": n_long, "long_prefill_tok_s": n_long / long_s, "long_decode_tok_s": long_decode,
            "peak_rss_bytes": peak_rss_bytes(os.getpid()),
        }
    finally:
        reference.close()


MODULE = "engine.bench.formats"
ROOT = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT_S = 900


def measure_in_child(model_dir: Path, n_threads: int, n_ctx: int, n_ubatch: int, flash_attn: bool = False,
                     k_cache: str = "f16") -> dict:
    """`measure` in a fresh process (its peak memory its own); raises RuntimeError if it failed."""
    proc = subprocess.run([sys.executable, "-m", MODULE, str(model_dir), str(n_threads), str(n_ctx), str(n_ubatch),
                           str(int(flash_attn)), k_cache],
                          cwd=ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(f"the format measurement failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout)


def run_formats(n_threads: int, quants=QUANTS, micro_batches=MICRO_BATCHES) -> list[dict]:
    from engine.bench.models import APP_MMPROJ, ensure_model
    from engine.client import DEFAULT_CONTEXT

    configs = [(quant, n_ubatch, False, "f16") for quant in quants for n_ubatch in micro_batches]
    configs += [(quant, n_ubatch, True, "f16") for quant, n_ubatch in FLASH_ATTENTION_ROWS if quant in quants]
    configs += [(quant, n_ubatch, False, "q8_0") for quant, n_ubatch in K_CACHE_ROWS if quant in quants]
    rows = []
    for quant, n_ubatch, flash_attn, k_cache in configs:
        print(f"... {quant}, micro-batch {n_ubatch}, flash attention {'on' if flash_attn else 'off'}, "
              f"K cache {k_cache}", file=sys.stderr, flush=True)
        model_dir = ensure_model(quant, APP_MMPROJ)
        rows.append({"quant": quant, **measure_in_child(model_dir, n_threads, DEFAULT_CONTEXT, n_ubatch, flash_attn,
                                                        k_cache)})
    return rows


def _child(model_dir: str, n_threads: str, n_ctx: str, n_ubatch: str, flash_attn: str, k_cache: str) -> None:
    """One format and micro-batch: the bench's 1920x1080 screen, its overview tile, the glance's prompt."""
    from engine.bench.images import make
    from engine.bench.runner import level_prompt
    from engine.images import fit_tiles
    from engine.model_files import find_model_pair

    pair = find_model_pair(Path(model_dir))
    tile = fit_tiles(make("screen-1920x1080", seed=0), 1)
    row = measure(str(pair.model_path), str(pair.mmproj_path), int(n_threads), int(n_ctx), int(n_ubatch),
                  level_prompt(pair, "brief"), tile, flash_attn == "1", k_cache)
    print(json.dumps({"model_bytes": pair.model_path.stat().st_size, **row}))


def print_formats(rows: list[dict]) -> None:
    print("language model | micro-batch | flash attention | K cache | file GB | image prefill tok/s | "
          "long prefill tok/s | decode tok/s | decode tok/s after the long prompt | glance 1st token s | peak RSS GB | "
          "within 2.0 GB")
    for r in rows:
        print(f"{r['quant']} | {r['micro_batch']} | {'on' if r['flash_attn'] else 'off'} | {r['k_cache']} | "
              f"{r['model_bytes'] / 1e9:.2f} | "
              f"{r['image_prefill_tok_s']:.0f} | {r['long_prefill_tok_s']:.0f} | {r['decode_tok_s']:.1f} | "
              f"{r['long_decode_tok_s']:.1f} | {r['first_token_s']:.2f} | "
              f"{r['peak_rss_bytes'] / 1e9:.3f} | "
              f"{'yes' if r['peak_rss_bytes'] <= PEAK_LIMIT_BYTES else 'no'}")


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.CRITICAL)
    _child(*sys.argv[1:])
