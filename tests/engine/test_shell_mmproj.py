"""The mmproj without its encoder blocks (engine/encoder/shell_mmproj.py) tokenizes as the full file does,
and with OpenVINO's embeddings the language model reads the same prompt as through mtmd's own encoder."""

from __future__ import annotations

import os
import stat

import gguf
import llama_cpp
import numpy as np
import pytest

from convert.reference import ReferenceModel
from engine.encoder.openvino_encoder import OpenVinoEncoder
from engine.encoder.shell_mmproj import write_shell
from engine.encoder.tiles import tiles
from engine.multimodal import CHUNK_IMAGE, MultimodalContext
from engine.prompts import IMAGE, TEMPLATE, TEXT, Piece
from tests.convert.numerics import compare
from tests.convert.test_equality import LOGITS_MAX_REL_ERROR, PROMPT, load_llama

pytest.importorskip("openvino", reason="OpenVINO is a dependency on x86-64 only (pyproject.toml)")
THREADS = 2


@pytest.fixture(scope="module")
def pair(conversions):
    return conversions.get("internvl", "F32", "f32")


@pytest.fixture
def shell(pair, tmp_path):
    return write_shell(pair.mmproj_path, tmp_path)


def test_the_shell_is_the_file_without_its_blocks_and_private(pair, shell):
    full, small = gguf.GGUFReader(pair.mmproj_path), gguf.GGUFReader(shell)
    assert stat.S_IMODE(os.stat(shell).st_mode) == 0o600 or os.name != "posix"
    assert small.fields["clip.vision.block_count"].contents() == 0
    kept = {t.name for t in full.tensors if not t.name.startswith("v.blk.")}
    assert {t.name for t in small.tensors} == kept and len(kept) < len(full.tensors)
    placeholders = 0
    for tensor in small.tensors:
        original = next(t for t in full.tensors if t.name == tensor.name)
        assert list(tensor.shape) == list(original.shape)
        if tensor.name.startswith("mm.") and len(tensor.shape) == 2:  # never computed by mtmd: zeros, small
            assert tensor.tensor_type == gguf.GGMLQuantizationType.Q4_0 and not np.asarray(tensor.data).any()
            assert tensor.n_bytes * 7 < original.n_bytes  # F32 here: Q4_0 is 18 bytes a block of 32, not 128
            placeholders += 1
        else:
            assert tensor.tensor_type == original.tensor_type and np.array_equal(tensor.data, original.data)
    assert placeholders == 2  # InternVL's projector: mlp.1 and mlp.3
    skip = {"clip.vision.block_count", "GGUF.kv_count", "GGUF.tensor_count"}
    assert {k: f.contents() for k, f in small.fields.items() if k not in skip} == \
           {k: f.contents() for k, f in full.fields.items() if k not in skip}


@pytest.mark.parametrize("width, height", [(448, 252), (640, 480), (1366, 768)])
def test_mtmd_tokenizes_with_the_shell_as_with_the_full_file(pair, shell, width, height):
    llm = load_llama(pair.model_path)
    image = np.random.default_rng(width).integers(0, 256, (height, width, 3), dtype=np.uint8)
    pieces = [Piece(TEMPLATE, "[unused9]"), Piece(TEXT, "look: "), Piece(IMAGE), Piece(TEXT, " what is it?")]
    seen = []
    for path in (pair.mmproj_path, shell):
        mtmd = MultimodalContext(path, llm.model, THREADS, warmup=False)
        chunks = mtmd.tokenize(pieces, [image])
        seen.append([(chunks.describe(i), chunks.image_id(i)) for i in range(len(chunks))])
        chunks.close()
        mtmd.close()
    assert seen[0] == seen[1]
    assert sum(chunk.kind == CHUNK_IMAGE for chunk, _ in seen[0]) == len(tiles(image, 448, 1, 12))


def test_openvinos_embeddings_through_the_shell_give_the_source_models_logits(pair, shell, checkpoints):
    """The whole path as the worker would run it: the shell's chunks, OpenVINO's tiles, the language model."""
    llm = load_llama(pair.model_path)
    mtmd = MultimodalContext(shell, llm.model, THREADS, warmup=False)
    encoder = OpenVinoEncoder(pair.mmproj_path, THREADS)
    ref = ReferenceModel(checkpoints["internvl"])
    image = np.random.default_rng(3).integers(0, 256, (448, 448, 3), dtype=np.uint8)
    before, after = PROMPT.split("Describe", 1)
    chunks = mtmd.tokenize([Piece(TEMPLATE, before), Piece(IMAGE), Piece(TEMPLATE, "Describe" + after)], [image])
    n_past, pieces = 0, []
    for i in range(len(chunks)):
        chunk = chunks.describe(i)
        if chunk.kind == CHUNK_IMAGE:
            (tile,) = tiles(image, 448, 1, 12)
            n_past = mtmd.decode_image_chunk(llm.ctx, chunks, i, encoder.encode(tile), n_past, 2048)
            pieces.append(ref.image_embeddings(image))
        else:
            n_past = mtmd.eval_text_chunk(llm.ctx, chunks, i, n_past, 2048, i == len(chunks) - 1)
            pieces.append(ref.embed_tokens(list(chunk.tokens)))
    got = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(llm.n_vocab(),))
    sequence = np.concatenate(pieces)
    assert n_past == len(sequence)
    want = ref.logits(sequence)[-1]
    rel, cos = compare("shell + openvino, last-token logits", got, want)
    assert rel < 10 * LOGITS_MAX_REL_ERROR and cos > 0.99999  # the tolerance of mtmd's own path (test_equality)
    assert got.argmax() == want.argmax()
    chunks.close()
    mtmd.close()


def test_chunks_without_their_pixels_keep_their_tokens_ids_and_sizes(pair):
    """Chunks.drop_pixels (what Prefill does for OpenVINO's encoder): the same chunks, image ids and token
    count; decoding through them is test_vision_choice's five-tile prompt and the logits test above."""
    llm = load_llama(pair.model_path)
    mtmd = MultimodalContext(pair.mmproj_path, llm.model, THREADS, warmup=False)
    image = np.random.default_rng(5).integers(0, 256, (700, 1100, 3), dtype=np.uint8)
    pieces = [Piece(TEMPLATE, "[unused9]"), Piece(TEXT, "look: "), Piece(IMAGE), Piece(TEXT, " what is it?")]
    chunks = mtmd.tokenize(pieces, [image])
    try:
        before = [(chunks.describe(i), chunks.image_id(i)) for i in range(len(chunks))]
        n_tokens = chunks.n_tokens()
        chunks.drop_pixels()
        assert chunks.handle is None  # mtmd's list, with its float32 tiles, is freed
        assert [(chunks.describe(i), chunks.image_id(i)) for i in range(len(chunks))] == before
        assert chunks.n_tokens() == n_tokens and sum(c.kind == CHUNK_IMAGE for c, _ in before) > 1
    finally:
        chunks.close()
        mtmd.close()
