"""engine/encoder/tiles.py cuts an image as mtmd does: the same number of tiles, and each tile the one
mtmd's encoder sees, shown by encoding ours with OpenVINO against mtmd's own encoding of each chunk.

With the F32 mmproj the two encoders differ only by mtmd's tanh GELU (4.0e-4 of the embeddings'
range on a 448x448 image, which neither resamples); a tile resampled by another filter is 0.08-0.12
apart, so TILE_MAX_REL_ERROR separates a right cut from a wrong one by two orders of magnitude.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine.encoder.openvino_encoder import OpenVinoEncoder
from engine.encoder.tiles import best_grid, candidates, tiles
from engine.multimodal import CHUNK_IMAGE, MultimodalContext
from engine.prompts import IMAGE, TEXT, Piece
from tests.convert.test_equality import load_llama

pytest.importorskip("openvino", reason="OpenVINO is a dependency on x86-64 only (pyproject.toml)")
THREADS = 2
TILE, MIN_TILES, MAX_TILES = 448, 1, 12  # the converter's clip.vision.image_size and preproc_min/max_tiles
TILE_MAX_REL_ERROR = 1e-3  # measured 4.0e-4 to 6.3e-4 over the sizes below


@pytest.fixture(scope="module")
def encoders(conversions):
    result = conversions.get("internvl", "F32", "f32")
    llm = load_llama(result.model_path)
    mtmd = MultimodalContext(result.mmproj_path, llm.model, THREADS, warmup=False)
    return llm, mtmd, OpenVinoEncoder(result.mmproj_path, THREADS)


def _mtmd_tiles(encoders, image):
    llm, mtmd, _ = encoders
    chunks = mtmd.tokenize([Piece(TEXT, "look: "), Piece(IMAGE)], [image], add_special=False)
    try:
        return [mtmd.encode_image(chunks, i, llm.n_embd()) for i in range(len(chunks))
                if chunks.describe(i).kind == CHUNK_IMAGE]
    finally:
        chunks.close()


def _rel(got, want) -> float:
    return float(np.abs(got - want).max() / np.abs(want).max())


# (width, height): one tile stretched (smaller, wider, square), grids of 2x2, 3x3 and 4x3, a strip, a photo
SIZES = [(448, 252), (120, 100), (448, 448), (640, 480), (1366, 768), (1920, 1080), (2000, 300), (4032, 3024)]


@pytest.mark.parametrize("width, height", SIZES)
def test_the_tiles_are_the_ones_mtmd_encodes(encoders, width, height):
    image = np.random.default_rng(width * height).integers(0, 256, (height, width, 3), dtype=np.uint8)
    want = _mtmd_tiles(encoders, image)
    ours = tiles(image, TILE, MIN_TILES, MAX_TILES)
    assert len(ours) == len(want)
    assert all(tile.shape == (TILE, TILE, 3) and tile.dtype == np.uint8 for tile in ours)
    encoder = encoders[2]
    errors = [_rel(encoder.encode(tile), embedding) for tile, embedding in zip(ours, want)]
    assert max(errors) < TILE_MAX_REL_ERROR, errors


def test_a_tile_resampled_otherwise_is_far_outside_the_tolerance(encoders):
    """The check above can fail: the same overview scaled bilinearly instead of bicubically."""
    image = np.random.default_rng(7).integers(0, 256, (252, 448, 3), dtype=np.uint8)
    (want,) = _mtmd_tiles(encoders, image)
    bilinear = np.asarray(Image.fromarray(image).resize((TILE, TILE), Image.Resampling.BILINEAR))
    assert _rel(encoders[2].encode(bilinear), want) > 50 * TILE_MAX_REL_ERROR


def test_the_candidate_grids_are_llama_cpps():
    grids = candidates(TILE, MIN_TILES, MAX_TILES)
    assert grids[:4] == [(448, 448), (448, 896), (448, 1344), (448, 1792)]  # a = 1 first, b rising
    assert all(1 <= (w // TILE) * (h // TILE) <= MAX_TILES for w, h in grids)
    assert len(grids) == len(set(grids)) == sum(MAX_TILES // a for a in range(1, MAX_TILES + 1))
    assert candidates(TILE, 0, MAX_TILES) == []  # as llama.cpp: no candidates rather than a division by zero


def test_the_grid_keeps_most_of_the_image_then_wastes_least():
    grids = candidates(TILE, MIN_TILES, MAX_TILES)
    assert best_grid((1920, 1080), grids) == (4 * TILE, 3 * TILE)
    assert best_grid((640, 480), grids) == (2 * TILE, 2 * TILE)
    assert best_grid((2000, 300), grids) == (5 * TILE, 1 * TILE)


def _tiles_from_the_padded_grid(rgb: np.ndarray) -> list[np.ndarray]:
    """The cut as mtmd describes it, the whole padded grid made first: scaled to fit (sizes rounded up),
    centred on black, sliced row by row; then the overview. `tiles` pastes each slice on its own instead."""
    import math

    picture = Image.fromarray(rgb, "RGB")
    overview = np.asarray(picture.resize((TILE, TILE), Image.Resampling.BICUBIC))
    grid = best_grid(picture.size, candidates(TILE, MIN_TILES, MAX_TILES))
    scale = min(np.float32(grid[0]) / np.float32(picture.size[0]), np.float32(grid[1]) / np.float32(picture.size[1]))
    size = (min(math.ceil(np.float32(picture.size[0]) * scale), grid[0]),
            min(math.ceil(np.float32(picture.size[1]) * scale), grid[1]))
    canvas = Image.new("RGB", grid, (0, 0, 0))
    scaled = picture if size == picture.size else picture.resize(size, Image.Resampling.BICUBIC)
    canvas.paste(scaled, ((grid[0] - size[0]) // 2, (grid[1] - size[1]) // 2))
    whole = np.asarray(canvas)
    return [whole[y:y + TILE, x:x + TILE] for y in range(0, grid[1], TILE) for x in range(0, grid[0], TILE)] + [overview]


@pytest.mark.parametrize("width, height", [(449, 300), (640, 480), (1000, 333), (1366, 768), (1920, 1080),
                                           (1792, 1344), (768, 2000), (4032, 3024)])
def test_each_slice_is_the_padded_grids_slice(width, height):
    rgb = np.random.default_rng(width * height).integers(0, 256, (height, width, 3), dtype=np.uint8)
    ours, reference = tiles(rgb, TILE, MIN_TILES, MAX_TILES), _tiles_from_the_padded_grid(rgb)
    assert len(ours) == len(reference) > 1
    for mine, theirs in zip(ours, reference):
        assert mine.shape == (TILE, TILE, 3) and np.array_equal(mine, theirs)
