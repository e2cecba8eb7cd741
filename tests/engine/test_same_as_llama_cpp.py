"""The app's path (worker, chunk-by-chunk eval, prefix and tile caches) computes exactly
what llama.cpp's own mtmd path computes for the same prompt and image."""

from __future__ import annotations

import numpy as np
import pytest

from engine.bench.reference import LlamaCppReference
from engine.client import EngineClient
from engine.conversation import Conversation
from engine.images import fit_tiles
from engine.model_files import find_model_pair
from engine.prompts import MEDIA_MARKER, ChatFormat, detail_level, prompt_text, system_prompt
from tests.engine.test_worker import collect


@pytest.mark.parametrize("shape,detail", [((480, 640), "standard"), ((1080, 1920), "brief"), ((700, 1000), "detailed")])
def test_app_text_equals_llama_cpp_text(conversions, shape, detail):
    pair = find_model_pair(conversions.get("internvl", "Q4_K_M", "f16").model_path.parent)
    image = np.random.default_rng(sum(shape)).integers(0, 256, (*shape, 3), dtype=np.uint8)
    client = EngineClient(pair, n_threads=2)
    client.start()
    try:
        assert client.wait_loaded(120).kind == "loaded"
        collect(client, client.describe(Conversation(image[::2, ::2].copy(), "brief", None)))  # warm the caches
        done = collect(client, client.describe(Conversation(image, detail, None)))[-1]
    finally:
        client.close()
    level = detail_level(detail)
    prompt = prompt_text(ChatFormat(pair.architecture, pair.chat_template).render([
        {"role": "system", "content": system_prompt(None)}, {"role": "user", "content": level.instruction, "images": 1}]), MEDIA_MARKER)
    reference = LlamaCppReference(str(pair.model_path), str(pair.mmproj_path), 2, 8192)
    try:
        n_tokens = done.stats.n_tokens
        ref = reference.run(prompt, [fit_tiles(image, level.max_tiles)], n_tokens)
        assert ref["tiles"] * 256 == done.stats.image_tokens
        assert reference.detokenize(ref["tokens"]) == done.text
        # the bench times a shorter answer from a longer run: each token's time, in order
        assert len(ref["token_done_s"]) == n_tokens > 2 and ref["token_done_s"] == sorted(ref["token_done_s"])
        assert ref["prompt_s"] == reference.total_s_for(ref, 0) < reference.total_s_for(ref, 1)
        assert reference.total_s_for(ref, n_tokens - 1) < reference.total_s_for(ref, n_tokens) <= ref["total_s"]
        with pytest.raises(ValueError):
            reference.total_s_for(ref, n_tokens + 1)
    finally:
        reference.close()
