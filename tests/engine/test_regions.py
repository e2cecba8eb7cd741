"""Choosing the regions for the second, sharper look."""

from __future__ import annotations

import numpy as np

from engine.regions import CELL, Region, choose_regions


def screen_with_text_at(x: int, y: int, w: int = 300, h: int = 200, size=(1080, 1920)) -> np.ndarray:
    image = np.full((*size, 3), 235, dtype=np.uint8)
    block = image[y : y + h, x : x + w]
    block[::6, :] = 20  # dense dark lines: text-like fine structure
    block[:, ::9] = 20
    return image


def test_text_dense_area_is_chosen_first():
    image = screen_with_text_at(1500, 700)
    regions = choose_regions(image, 3)
    first = regions[0]
    assert first.x <= 1500 + 150 <= first.x + first.w and first.y <= 700 + 100 <= first.y + first.h
    assert first.w == first.h == CELL
    assert first.where(1920, 1080) == "bottom right"


def test_dull_cells_are_not_worth_a_look():
    image = screen_with_text_at(100, 100)
    assert len(choose_regions(image, 5)) < 5  # only cells with real structure are returned


def test_hint_rectangle_counts_extra():
    image = screen_with_text_at(100, 100)
    image[600:1000:10, 1300:1800] = 40  # a second, sparser busy area (scores about 0.8 of the text)
    without = choose_regions(image, 1)[0]
    with_hint = choose_regions(image, 1, hint=(1250, 550, 600, 500))[0]
    assert without.x < 600 and with_hint.x > 1000


def test_regions_do_not_overlap_much():
    image = np.random.default_rng(0).integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    regions = choose_regions(image, 4)
    assert len(regions) == 4
    for i, a in enumerate(regions):
        for b in regions[i + 1 :]:
            ix = max(0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
            iy = max(0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
            assert ix * iy < 0.25 * a.w * a.h


def test_small_image_needs_no_second_look():
    assert choose_regions(np.zeros((400, 300, 3), dtype=np.uint8)) == []


def test_crop_is_native_resolution():
    image = np.arange(1000 * 1000 * 3, dtype=np.uint32).reshape(1000, 1000, 3).astype(np.uint8)
    region = Region(10, 20, CELL, CELL)
    assert np.array_equal(region.crop(image), image[20 : 20 + CELL, 10 : 10 + CELL])
    assert Region(400, 300, 200, 200).where(1000, 800) == "centre"


def test_colour_spread_from_histograms_equals_the_standard_deviation():
    from engine.regions import _colour_spread

    rng = np.random.default_rng(5)
    for cell in (rng.integers(0, 256, (448, 448, 3), dtype=np.uint8), np.full((10, 20, 3), 7, dtype=np.uint8),
                 rng.integers(100, 103, (448, 300, 3), dtype=np.uint8)):
        expected = float(cell.reshape(-1, 3).std(axis=0).mean())
        assert abs(_colour_spread(cell) - expected) < 1e-9
