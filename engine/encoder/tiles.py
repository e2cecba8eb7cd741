"""mtmd's InternVL tiling, in Python: the tiles, in mtmd's order, that its encoder would see for one image.

mtmd cuts and scales each image itself and does not hand the tiles out, so an encoder outside it
needs the same cut (llama.cpp, tools/mtmd/mtmd-image.cpp: mtmd_image_preprocessor_internvl, which
uses llava-uhd's slicing with InternVL's resolution candidates, clip.cpp's
set_internvl_dhr_res_candidates):

- an image that fits in one tile in both directions is stretched to image_size x image_size: the
  overview only;
- else the candidate grid (a x b tiles, min_tiles <= a, b and a*b within the bounds as llama.cpp
  lists them) that keeps most of the image's pixels, the least area wasted on a tie; the image is
  scaled to fit it keeping its aspect ratio (rounded up, at most the grid), centred on black, cut
  into tiles row by row; then the overview, the whole image stretched to one tile.

Every resize is Pillow's bicubic, which mtmd's resampler reproduces (resize_pillow).
"""

from __future__ import annotations

import math

import numpy as np

PAD_COLOUR = (0, 0, 0)  # mtmd's default pad colour for the refined image (clip-model.h)


def candidates(image_size: int, min_tiles: int, max_tiles: int) -> list[tuple[int, int]]:
    """(width, height) in pixels of each grid llama.cpp considers, in its order."""
    sizes = []
    if min_tiles < 1:
        return sizes
    for a in range(min_tiles, max_tiles + 1):
        b_lo = max((min_tiles + a - 1) // a, min_tiles)
        b_hi = min(max_tiles // a, max_tiles)
        sizes += [(a * image_size, b * image_size) for b in range(b_lo, b_hi + 1)]
    return sizes


def _scale(size: tuple[int, int], box: tuple[int, int]) -> np.float32:
    """The factor that fits `size` in `box`, in C++ float arithmetic as mtmd computes it."""
    return min(np.float32(box[0]) / np.float32(size[0]), np.float32(box[1]) / np.float32(size[1]))


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """mtmd's resize_maintain_aspect_ratio: sizes truncated."""
    scale = _scale(size, box)
    return int(np.float32(size[0]) * scale), int(np.float32(size[1]) * scale)


def best_grid(size: tuple[int, int], options: list[tuple[int, int]]) -> tuple[int, int]:
    """mtmd's select_best_resolution: the most of the image's pixels kept, then the least area wasted."""
    best, best_effective, least_wasted = options[0], 0, math.inf
    for option in options:
        width, height = _fit(size, option)
        effective = min(width * height, size[0] * size[1])
        wasted = option[0] * option[1] - effective
        if effective > best_effective or (effective == best_effective and wasted < least_wasted):
            best, best_effective, least_wasted = option, effective, wasted
    return best


def _resize(picture, size: tuple[int, int]):
    from PIL import Image

    return picture if picture.size == size else picture.resize(size, Image.Resampling.BICUBIC)


def _placement(picture, box: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """mtmd's PAD_CEIL: the size `picture` is scaled to in `box` (rounded up), and where it sits, centred."""
    if picture.size == box:
        return box, (0, 0)
    scale = _scale(picture.size, box)
    width = min(math.ceil(np.float32(picture.size[0]) * scale), box[0])
    height = min(math.ceil(np.float32(picture.size[1]) * scale), box[1])
    return (width, height), ((box[0] - width) // 2, (box[1] - height) // 2)


def tiles(rgb: np.ndarray, image_size: int, min_tiles: int, max_tiles: int) -> list[np.ndarray]:
    """The (image_size, image_size, 3) uint8 tiles of an (H, W, 3) RGB image: the slices row by row, then the overview.

    Each slice is pasted from the scaled image onto its own tile of PAD_COLOUR, so the padded grid
    is never held whole (PIL keeps 4 bytes a pixel: 9.6 MB for 12 tiles), nor a copy of it; the
    source image goes as soon as it is scaled. The pixels are those of the padded grid, sliced.
    """
    from PIL import Image

    picture = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB")
    overview = np.asarray(_resize(picture, (image_size, image_size)))
    if picture.size[0] <= image_size and picture.size[1] <= image_size:
        return [overview]
    grid = best_grid(picture.size, candidates(image_size, min_tiles, max_tiles))
    size, (left, top) = _placement(picture, grid)
    scaled = _resize(picture, size)
    del picture
    slices = []
    for y in range(0, grid[1], image_size):
        for x in range(0, grid[0], image_size):
            tile = Image.new("RGB", (image_size, image_size), PAD_COLOUR)
            tile.paste(scaled, (left - x, top - y))  # PIL clips what falls outside the tile
            slices.append(np.asarray(tile))
    return slices + [overview]
