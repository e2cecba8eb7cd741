"""The worker's vision encoder (engine/encoder/choice.py): which one runs and why, and that OpenVINO's,
wired into the prompt reader (engine/prefill.py), gives the language model the prompt mtmd's gives it.

The capability checks (OpenVINO installed, native BF16) are stood in for in the decision's own tests:
they depend on the machine; everything else runs for real on the tiny model.
"""

from __future__ import annotations

import os
import platform

import llama_cpp
import numpy as np
import pytest

from engine.encoder import choice
from engine.encoder.choice import AUTO, LLAMA_CPP, OPENVINO, RAN_MTMD, RAN_OPENVINO, Vision, choose, matrix_type
from engine.encoder.openvino_encoder import available
from engine.kv_cache import KvCache
from engine.multimodal import MultimodalContext
from engine.prefill import Prefill
from engine.prompts import IMAGE, TEMPLATE, TEXT, Piece
from engine.protocol import Stats
from tests.convert.numerics import compare
from tests.convert.test_equality import load_llama

THREADS = 2
needs_openvino = pytest.mark.skipif(not available(), reason="OpenVINO is a dependency on x86-64 only (pyproject.toml)")
YES, NO = (lambda: True), (lambda: False)  # stand-ins for "OpenVINO runs BF16 natively on this CPU"


@pytest.mark.parametrize("setting, graph, matrices, on_gpu, installed, bf16, ran, says", [
    (AUTO, "internvl", "BF16", False, True, YES, RAN_OPENVINO, "half of llama.cpp's time"),
    (AUTO, "internvl", "BF16", False, True, NO, RAN_MTMD, "no native BF16"),
    (AUTO, "internvl", "F16", False, True, YES, RAN_MTMD, "weights are F16"),
    (AUTO, "internvl", "BF16", True, True, YES, RAN_MTMD, "on the GPU"),
    (AUTO, "internvl", "BF16", False, False, YES, RAN_MTMD, "not installed"),
    (AUTO, "llava", "BF16", False, True, YES, RAN_MTMD, "not 'llava'"),
    (LLAMA_CPP, "internvl", "BF16", False, True, YES, RAN_MTMD, "as asked"),
    (OPENVINO, "internvl", "F32", False, True, NO, RAN_OPENVINO, "as asked"),
    (OPENVINO, "internvl", "BF16", False, False, YES, RAN_MTMD, "not installed"),
])
def test_the_choice_and_its_reason(setting, graph, matrices, on_gpu, installed, bf16, ran, says):
    made = choose(setting, graph, matrices, on_gpu, installed, bf16)
    assert made.ran == ran and says in made.reason


def test_auto_keeps_llama_cpp_off_x86_where_openvino_was_not_measured():
    made = choose(AUTO, "internvl", "BF16", False, True, YES, is_x86=False)
    assert made.ran == RAN_MTMD and "x86-64" in made.reason


def test_an_openvino_that_cannot_answer_means_llama_cpps_encoder(conversions, monkeypatch):
    from engine.encoder import openvino_encoder

    def no_plugin():
        raise RuntimeError("Device with \"CPU\" name is not registered")

    monkeypatch.setattr(openvino_encoder, "available", lambda: True)
    monkeypatch.setattr(openvino_encoder, "cpu_has_bf16", no_plugin)
    vision = Vision(str(conversions.get("internvl", "F32", "bf16").mmproj_path), THREADS, AUTO, encoder_on_gpu=False)
    assert vision.choice.ran == RAN_MTMD and vision.encoder is None


def test_the_matrices_type_is_read_from_the_file(conversions):
    assert matrix_type(conversions.get("internvl", "F32", "bf16").mmproj_path) == ("internvl", "BF16")
    assert matrix_type(conversions.get("internvl", "F32", "f16").mmproj_path) == ("internvl", "F16")
    assert matrix_type(conversions.get("llava", "F32", "f32").mmproj_path)[0] != "internvl"


@needs_openvino
def test_openvino_gives_mtmd_a_shell_that_goes_once_read(conversions):
    path = conversions.get("internvl", "F32", "bf16").mmproj_path
    vision = Vision(str(path), THREADS, OPENVINO, encoder_on_gpu=False)
    assert vision.choice.ran == RAN_OPENVINO and vision.encoder is not None
    shell = vision.mtmd_path
    assert shell != str(path) and "shell" in shell
    vision.mtmd_loaded()
    assert not os.path.exists(shell)
    vision.close()


@needs_openvino
def test_if_openvino_fails_llama_cpps_encoder_runs_and_says_why(conversions, monkeypatch):
    from engine.encoder import openvino_encoder

    def broken(*args, **kwargs):
        raise RuntimeError("no CPU plugin")

    monkeypatch.setattr(openvino_encoder, "OpenVinoEncoder", broken)
    path = conversions.get("internvl", "F32", "bf16").mmproj_path
    vision = Vision(str(path), THREADS, OPENVINO, encoder_on_gpu=False)
    assert vision.choice.ran == RAN_MTMD and "could not load" in vision.choice.reason
    assert vision.encoder is None and vision.mtmd_path == str(path)


def _prompt_logits(llm, prefill: Prefill, image: np.ndarray) -> tuple[np.ndarray, Stats]:
    stats = Stats()
    pieces = [Piece(TEMPLATE, "[unused9]"), Piece(TEXT, "look: "), Piece(IMAGE), Piece(TEXT, " describe it")]
    chunks = prefill.tokenize(pieces, [image], stats)
    try:
        assert prefill.eval(chunks, 0, lambda: False, stats)
    finally:
        chunks.close()
    logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),)).copy()
    return logits, stats


@needs_openvino
def test_the_prompt_read_with_openvinos_tiles_is_the_one_read_with_mtmds(conversions):
    """A five-tile image (2x2 slices and the overview), through the same Prefill the worker uses: the last
    token's logits agree to within mtmd's own difference from the source model (its tanh GELU)."""
    pair = conversions.get("internvl", "F32", "f32")
    image = np.random.default_rng(11).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    results = {}
    for setting in (LLAMA_CPP, OPENVINO):
        llm = load_llama(pair.model_path)
        vision = Vision(str(pair.mmproj_path), THREADS, setting, encoder_on_gpu=False)
        mtmd = MultimodalContext(vision.mtmd_path, llm.model, THREADS, warmup=False)
        vision.mtmd_loaded()
        prefill = Prefill(llm, mtmd, KvCache(llama_cpp, llm.ctx), vision.encoder)
        results[setting] = _prompt_logits(llm, prefill, image)
        assert (vision.encoder is not None) == (setting == OPENVINO)
        assert prefill._images == {}  # the images and their tiles go once the prompt is read
        mtmd.close()
        vision.close()
    (want, mtmd_stats), (got, openvino_stats) = results[LLAMA_CPP], results[OPENVINO]
    assert openvino_stats.image_tokens == mtmd_stats.image_tokens == 5 * 256
    rel, cos = compare("prompt logits, openvino tiles against mtmd's", got, want)
    assert rel < 1e-2 and cos > 0.99999 and got.argmax() == want.argmax()


@needs_openvino
def test_a_tile_already_encoded_is_not_encoded_again(conversions):
    pair = conversions.get("internvl", "F32", "bf16")
    llm = load_llama(pair.model_path)
    vision = Vision(str(pair.mmproj_path), THREADS, OPENVINO, encoder_on_gpu=False)
    mtmd = MultimodalContext(vision.mtmd_path, llm.model, THREADS, warmup=False)
    vision.mtmd_loaded()
    prefill = Prefill(llm, mtmd, KvCache(llama_cpp, llm.ctx), vision.encoder)
    image = np.random.default_rng(12).integers(0, 256, (252, 448, 3), dtype=np.uint8)
    first, stats = _prompt_logits(llm, prefill, image)
    prefill.cache.clear()  # the conversation read again from the start: only the tile comes from the cache
    again, stats_again = _prompt_logits(llm, prefill, image)
    assert (stats.encoder_cache_hits, stats_again.encoder_cache_hits) == (0, 1)
    assert np.array_equal(first, again)
    mtmd.close()
    vision.close()


@needs_openvino
def test_the_worker_reports_which_encoder_runs(conversions):
    from engine.client import EngineClient
    from engine.model_files import find_model_pair
    from engine.protocol import Loaded

    pair = find_model_pair(conversions.get("internvl", "Q4_K_M", "bf16").model_path.parent)
    for setting, ran in ((OPENVINO, RAN_OPENVINO), (LLAMA_CPP, RAN_MTMD)):
        client = EngineClient(pair, n_threads=THREADS, n_ctx=2048, encoder=setting)
        try:
            client.start()
            loaded = client.wait_loaded()
            assert isinstance(loaded, Loaded) and loaded.encoder == ran and loaded.encoder_reason
        finally:
            client.close()


def test_auto_runs_openvino_exactly_where_it_is_the_faster_one(conversions):
    from engine.encoder.openvino_encoder import cpu_has_bf16

    path = conversions.get("internvl", "F32", "bf16").mmproj_path
    vision = Vision(str(path), THREADS, AUTO, encoder_on_gpu=False)
    is_x86 = platform.machine().lower() in choice.X86_MACHINES
    assert vision.choice.ran == (RAN_OPENVINO if is_x86 and cpu_has_bf16() else RAN_MTMD)
    vision.close()
    f16 = Vision(str(conversions.get("internvl", "F32", "f16").mmproj_path), THREADS, AUTO, encoder_on_gpu=False)
    assert f16.choice.ran == RAN_MTMD and f16.encoder is None
    assert choice.RAN_MTMD == "llama.cpp"
