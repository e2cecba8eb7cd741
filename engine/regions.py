"""Where to look again: the informative regions for a second, sharper look.

After "One More Glance with Sharp Eyes" (arXiv 2508.21451), at inference time and with
no training: the glance saw only the 448x448 overview, so small text and detail were
lost. Here the full-resolution image is cut into a grid of tile-sized cells, each cell
is scored by how much fine structure it holds (edge density, which text and UI
controls have in abundance, plus colour variety), cells inside a hinted rectangle (the
active window of a screenshot) count extra, and the best cells are returned as
native-resolution crops that the model reads as close-ups. Where the text reader has run, the
share of a cell its text lines cover counts too (TEXT_WEIGHT), and each chosen region carries the
exact text read inside it (engine/ocr/grounding.py), which its close-up's prompt quotes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.images import TILE

CELL = TILE  # a close-up is one vision tile at native resolution
DEFAULT_REGIONS = 3
HINT_WEIGHT = 1.5
MIN_SCORE_FRACTION = 0.15  # a cell far duller than the best one is not worth a look
EDGE_THRESHOLD = 24  # grey levels between neighbours that count as an edge
# A cell full of text lines scores as much extra as a busy cell's edge density (0.2-0.4 on screens):
# text is what a blind user most needs read exactly.
TEXT_WEIGHT = 0.5
Box = tuple[int, int, int, int]  # x0, y0, x1, y1


@dataclass(frozen=True)
class Region:
    x: int
    y: int
    w: int
    h: int
    text: str = ""  # the exact text read inside it, in reading order ("" if none, or not read)

    def crop(self, image: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(image[self.y : self.y + self.h, self.x : self.x + self.w])

    def where(self, width: int, height: int) -> str:
        """The region's place in words, for the prompt ("top left", "centre", ...)."""
        cx, cy = (self.x + self.w / 2) / width, (self.y + self.h / 2) / height
        row = "top" if cy < 1 / 3 else "bottom" if cy > 2 / 3 else "middle"
        col = "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "centre"
        return "centre" if (row, col) == ("middle", "centre") else f"{row} {col}".replace("middle ", "")

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]


def _starts(length: int) -> list[int]:
    """Cell origins covering `length` with cells of CELL, the last one flush with the edge."""
    if length <= CELL:
        return [0]
    count = -(-length // CELL)
    step = (length - CELL) / (count - 1)
    return [round(i * step) for i in range(count)]


_LEVELS = np.arange(256, dtype=np.float64)


def score(cell: np.ndarray, grey: np.ndarray | None = None) -> float:
    """Edge density plus a little colour variety; `grey` is the cell's grey levels if already known."""
    grey = _grey(cell) if grey is None else grey
    edges_x = np.abs(np.diff(grey, axis=1)) > EDGE_THRESHOLD
    edges_y = np.abs(np.diff(grey, axis=0)) > EDGE_THRESHOLD
    edge_density = (edges_x.mean() + edges_y.mean()) / 2
    return float(edge_density + 0.1 * _colour_spread(cell) / 128)


def _grey(image: np.ndarray) -> np.ndarray:
    return image.astype(np.int16).mean(axis=2)


def _colour_spread(cell: np.ndarray) -> float:
    """Mean of the channels' standard deviations, from 256-bin histograms (many times faster than
    np.std over the pixels, and the same to rounding: the sums are exact)."""
    pixels = cell.reshape(-1, 3)
    stds = []
    for channel in range(3):
        counts = np.bincount(pixels[:, channel], minlength=256)
        mean = counts @ _LEVELS / len(pixels)
        stds.append(np.sqrt(max(counts @ (_LEVELS * _LEVELS) / len(pixels) - mean * mean, 0.0)))
    return float(np.mean(stds))


def has_close_ups(image: np.ndarray) -> bool:
    """False when the overview tile already shows the whole image at full resolution."""
    return image.shape[0] > CELL or image.shape[1] > CELL


def choose_regions(image: np.ndarray, count: int = DEFAULT_REGIONS,
                   hint: tuple[int, int, int, int] | None = None, text_boxes: list[Box] | None = None) -> list[Region]:
    """Up to `count` non-overlapping tile-sized regions, most informative first; `text_boxes`: the
    text lines read in the image, if it was read."""
    if not has_close_ups(image):
        return []
    h, w = image.shape[:2]
    cells = [Region(x, y, min(CELL, w), min(CELL, h)) for y in _starts(h) for x in _starts(w)]
    grey = _grey(image)  # once: the cells overlap
    scored = []
    for region in cells:
        value = score(region.crop(image), grey[region.y : region.y + region.h, region.x : region.x + region.w])
        if text_boxes:
            value += TEXT_WEIGHT * text_coverage(region, text_boxes)
        if hint is not None and _overlap(region, hint) > 0.5:
            value *= HINT_WEIGHT
        scored.append((value, region))
    scored.sort(key=lambda item: -item[0])
    best = scored[0][0]
    chosen: list[Region] = []
    for value, region in scored:
        if len(chosen) == count or value < best * MIN_SCORE_FRACTION:
            break
        if all(_overlap(region, (c.x, c.y, c.w, c.h)) < 0.25 for c in chosen):
            chosen.append(region)
    return chosen


def _overlap(region: Region, rect: tuple[int, int, int, int]) -> float:
    """Fraction of `region` inside `rect`."""
    x, y, w, h = rect
    ix = max(0, min(region.x + region.w, x + w) - max(region.x, x))
    iy = max(0, min(region.y + region.h, y + h) - max(region.y, y))
    return ix * iy / (region.w * region.h)


def text_coverage(region: Region, boxes: list[Box]) -> float:
    """Share of `region` that text lines cover (boxes rarely overlap; capped at 1)."""
    covered = sum(_overlap(region, (x0, y0, x1 - x0, y1 - y0)) for x0, y0, x1, y1 in boxes)
    return min(1.0, covered)
