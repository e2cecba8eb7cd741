"""QImage <-> arrays: padded rows, transparency, and the size cap."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage

from app.capture.qimage import qimage_to_rgb, rgb_to_qimage
from engine.images import MAX_SIDE, at_most_max_side


def test_odd_widths_with_padded_rows_round_trip_exactly(qapp):
    rgb = np.random.default_rng(1).integers(0, 256, (7, 13, 3), dtype=np.uint8)  # 39-byte rows, padded to 40
    image = rgb_to_qimage(rgb)
    assert image.bytesPerLine() > 13 * 3
    assert np.array_equal(qimage_to_rgb(image), rgb)


def test_transparent_pixels_become_white(qapp):
    image = QImage(4, 4, QImage.Format.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    image.setPixelColor(0, 0, QColor(255, 0, 0, 255))
    rgb = qimage_to_rgb(image)
    assert rgb[0, 0].tolist() == [255, 0, 0]
    assert rgb[3, 3].tolist() == [255, 255, 255]


def test_big_images_are_scaled_to_the_longest_side_the_model_uses(qapp):
    big = np.zeros((MAX_SIDE * 2, MAX_SIDE + 10, 3), dtype=np.uint8)
    assert max(at_most_max_side(big).shape[:2]) == MAX_SIDE
    small = np.zeros((10, 10, 3), dtype=np.uint8)
    assert at_most_max_side(small) is small
