"""The converted GGUF pair, run by the real llama.cpp, equals the source model.

The source model is `convert.reference` (numpy, float64, from the public model
definitions). Thresholds are on the relative max abs error (max |got - ref| divided
by max |ref|) and on cosine similarity. The remaining difference at F32 comes from
llama.cpp using the tanh approximation of GELU where InternViT and the projectors use
the exact erf form, and from float32 accumulation; neither can be compensated by weights.
"""

from __future__ import annotations

import numpy as np
import pytest

from convert.reference import ReferenceModel
from engine import native_log
from engine.multimodal import CHUNK_IMAGE, MultimodalContext
from engine.prompts import IMAGE, TEMPLATE, TEXT, Piece
from tests.convert.numerics import compare

# F32 GGUF vs the float64 source model.
EMBED_MAX_REL_ERROR = 2e-3
EMBED_MIN_COSINE = 0.99999
LOGITS_MAX_REL_ERROR = 1e-3
LOGITS_MIN_COSINE = 0.999999
THREADS = 2
PROMPT = "[unused9]用户：Describe the picture, 请详细描述。[unused10][unused9]助手："


def load_llama(path, n_ctx=2048):
    from engine.weight_buffers import open_llama

    native_log.install()
    return open_llama(path, n_ctx=n_ctx, n_batch=n_ctx, n_threads=THREADS, logits_all=True, verbose=False)


def test_image(seed=3) -> np.ndarray:
    # A 448x448 image is one overview tile for InternVL and is not resampled by mtmd.
    return np.random.default_rng(seed).integers(0, 256, (448, 448, 3), dtype=np.uint8)


test_image.__test__ = False  # a helper, not a test


def mtmd_embeddings(result, llm, image):
    mtmd = MultimodalContext(result.mmproj_path, llm.model, THREADS, warmup=False)
    chunks = mtmd.tokenize([Piece(TEXT, "look: "), Piece(IMAGE)], [image], add_special=False)
    index = next(i for i in range(len(chunks)) if chunks.describe(i).kind == CHUNK_IMAGE)
    try:
        return mtmd.encode_image(chunks, index, llm.n_embd())
    finally:
        chunks.close()
        mtmd.close()


INTERNVL_GRAPH_LAYOUTS = ("internvl", "internvl-hf")
LLAVA_GRAPH_LAYOUTS = ("llava", "llava-nested")


@pytest.mark.parametrize("layout", INTERNVL_GRAPH_LAYOUTS)
def test_internvl_image_embeddings_equal_source(layout, checkpoints, conversions):
    result = conversions.get(layout)
    llm = load_llama(result.model_path)
    image = test_image()
    got = mtmd_embeddings(result, llm, image)
    want = ReferenceModel(checkpoints[layout]).image_embeddings(image)
    assert got.shape == want.shape == (256, 256)
    rel, cos = compare(f"{layout} image embeddings", got, want)
    assert rel < EMBED_MAX_REL_ERROR and cos > EMBED_MIN_COSINE


def test_class_token_compensation_is_what_makes_them_equal(checkpoints, tmp_path, monkeypatch):
    """Without moving position row 0 to the end, llama.cpp's CLS-last graph diverges."""
    from convert.families import internvit
    from convert.pipeline import convert_checkpoint

    monkeypatch.setattr(internvit, "_class_token_last", lambda pos: pos.reshape(pos.shape[-2], pos.shape[-1]))
    result = convert_checkpoint(checkpoints["internvl"], tmp_path, "F32", "f32")
    llm = load_llama(result.model_path)
    image = test_image()
    got = mtmd_embeddings(result, llm, image)
    want = ReferenceModel(checkpoints["internvl"]).image_embeddings(image)
    rel, cos = compare("internvl without the class-token compensation", got, want)
    assert rel > 100 * EMBED_MAX_REL_ERROR


@pytest.mark.parametrize("layout", LLAVA_GRAPH_LAYOUTS)
def test_llava_embeddings_equal_source_except_llama_cpp_row_offset(layout, checkpoints, conversions):
    """LLaVA layout through llama.cpp's `mlp` projector graph.

    Layer scale is folded into the projections and the feature layer is named, and
    with those every patch llama.cpp returns equals the source. One difference is
    left that no conversion can remove: llama.cpp's llava graph appends the class
    token last but still skips row 0 when picking patches (clip.cpp, `patch_offset`),
    so it returns patches 1..N-1 and then the class token instead of patches 0..N-1.
    This test pins that down so a llama.cpp that fixes it shows up here.
    """
    result = conversions.get(layout)
    llm = load_llama(result.model_path)
    image = test_image()
    got = mtmd_embeddings(result, llm, image)
    want = ReferenceModel(checkpoints[layout]).image_embeddings(image)
    assert got.shape == want.shape == (1024, 256)
    rel, cos = compare(f"{layout} patches 1..1023", got[:-1], want[1:])
    assert rel < EMBED_MAX_REL_ERROR and cos > EMBED_MIN_COSINE
    rel_aligned, _ = compare(f"{layout} rows as llama.cpp orders them", got, want)
    assert rel_aligned > 100 * EMBED_MAX_REL_ERROR


def test_llava_layer_scale_folding_is_needed(checkpoints, tmp_path, monkeypatch):
    from convert.families import internvit
    from convert.pipeline import convert_checkpoint

    monkeypatch.setattr(internvit, "_scale_rows", lambda weight, scale: weight)
    result = convert_checkpoint(checkpoints["llava"], tmp_path, "F32", "f32")
    llm = load_llama(result.model_path)
    image = test_image()
    got = mtmd_embeddings(result, llm, image)
    want = ReferenceModel(checkpoints["llava"]).image_embeddings(image)
    rel, _ = compare("llava without layer-scale folding", got[:-1], want[1:])
    assert rel > 10 * EMBED_MAX_REL_ERROR


@pytest.mark.parametrize("layout", INTERNVL_GRAPH_LAYOUTS + LLAVA_GRAPH_LAYOUTS)
def test_text_logits_equal_source(layout, checkpoints, conversions):
    result = conversions.get(layout)
    llm = load_llama(result.model_path)
    ids = llm.tokenize(PROMPT.encode(), add_bos=True, special=True)
    llm.eval(ids)
    got = np.array(llm.scores[: len(ids)])
    ref = ReferenceModel(checkpoints[layout])
    want = ref.logits(ref.embed_tokens(ids))
    rel, cos = compare(f"{layout} text logits over {len(ids)} tokens", got, want)
    assert rel < LOGITS_MAX_REL_ERROR and cos > LOGITS_MIN_COSINE
    assert (got.argmax(-1) == want.argmax(-1)).all()


@pytest.mark.parametrize("layout", INTERNVL_GRAPH_LAYOUTS)
def test_image_and_text_prompt_logits_equal_source(layout, checkpoints, conversions):
    """The whole path: mtmd's chunks (text, <img>, image, </img>) decoded by the language model."""
    result = conversions.get(layout)
    llm = load_llama(result.model_path)
    ref = ReferenceModel(checkpoints[layout])
    image = test_image()
    mtmd = MultimodalContext(result.mmproj_path, llm.model, THREADS, warmup=False)
    before, after = PROMPT.split("Describe", 1)
    chunks = mtmd.tokenize([Piece(TEMPLATE, before), Piece(IMAGE), Piece(TEMPLATE, "Describe" + after)], [image])
    pieces = []
    for i in range(len(chunks)):
        chunk = chunks.describe(i)
        pieces.append(ref.image_embeddings(image) if chunk.kind == CHUNK_IMAGE else ref.embed_tokens(list(chunk.tokens)))
    n_past = mtmd.eval_chunks(llm.ctx, chunks, 0, n_batch=2048)
    import llama_cpp

    got = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),))
    sequence = np.concatenate(pieces)
    assert n_past == len(sequence)
    want = ref.logits(sequence)[-1]
    rel, cos = compare("image+text prompt, last-token logits", got, want)
    assert rel < 10 * LOGITS_MAX_REL_ERROR and cos > 0.99999
    assert got.argmax() == want.argmax()
    chunks.close()
    mtmd.close()
