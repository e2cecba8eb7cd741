"""Image intake: any common file becomes an upright RGB array the model can take.

EXIF orientation is applied; alpha is composited onto white; palette, 16-bit, CMYK,
LA and the like are converted; animations give their first frame; decompression
bombs are refused; huge images are scaled down. A near-uniform image (black, blank,
one flat colour) is recognised so it can be answered honestly without the model.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

log = logging.getLogger(__name__)

# Pillow's own bomb limit is ~89 Mpx with a warning, error at twice that; refuse at 64 Mpx.
MAX_PIXELS = 64_000_000
# The longest side kept before tiling: a 12-tile InternVL grid never needs more.
MAX_SIDE = 2688
UNIFORM_STD = 3.0  # grey levels; a real scene varies far more
UNIFORM_SAMPLE_SIDE = 256
DARK_LEVEL, BRIGHT_LEVEL = 24, 232
SHADE_BLACK, SHADE_WHITE, SHADE_COLOUR = "black", "white", "colour"  # Uniformity.shade
TILE = 448  # InternViT-300M's image size: the side of one vision tile (convert/ reads it too)


class ImageError(Exception):
    """A plain-language reason the image cannot be described."""


@dataclass(frozen=True)
class Uniformity:
    is_uniform: bool
    mean_rgb: tuple[int, int, int]

    @property
    def shade(self) -> str:
        """SHADE_BLACK, SHADE_WHITE or SHADE_COLOUR: which of describe's three sentences is said."""
        level = sum(self.mean_rgb) / 3
        if level <= DARK_LEVEL:
            return SHADE_BLACK
        return SHADE_WHITE if level >= BRIGHT_LEVEL else SHADE_COLOUR

    def describe(self) -> str:
        if self.shade == SHADE_BLACK:
            return ("The image is completely black. Nothing is visible: the screen may be off, locked, "
                    "covered by a screen curtain, or the app may lack permission to capture it.")
        if self.shade == SHADE_WHITE:
            return "The image is completely white or blank. There is nothing to describe."
        r, g, b = self.mean_rgb
        return (f"The image is a single flat colour (red {r}, green {g}, blue {b}) with no visible "
                "content. There is nothing to describe.")


# Pillow refuses a PNG text or colour-profile chunk that inflates past PngImagePlugin.MAX_TEXT_CHUNK,
# or text chunks past MAX_TEXT_MEMORY in all, with a plain ValueError whose message is the only sign
# (PIL/PngImagePlugin.py, _safe_zlib_decompress and check_text_memory).
PILLOW_METADATA_LIMITS = ("Decompressed data too large", "Too much memory used in text chunks")


def _open(data: bytes):
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise Image.DecompressionBombError("too many pixels")
        image.seek(0)  # first frame of an animation
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError("The image is too large to open safely (more than 64 million pixels).") from exc
    except UnidentifiedImageError as exc:
        raise ImageError("This file is not an image, or its format is not supported.") from exc
    except ValueError as exc:
        if any(limit in str(exc) for limit in PILLOW_METADATA_LIMITS):
            raise ImageError("The image's metadata (text or a colour profile stored in the file) is too "
                             "large to unpack safely, so it was not opened.") from exc
        raise ImageError("The image file is damaged or incomplete and cannot be read.") from exc
    except (OSError, SyntaxError, EOFError) as exc:
        raise ImageError("The image file is damaged or incomplete and cannot be read.") from exc
    return _upright(image)


def _upright(image):
    """EXIF orientation applied; a broken EXIF block costs the orientation, never the image."""
    from PIL import ImageOps

    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # EXIF is the file's own bytes, parsed by Pillow in many ways that can fail
        log.info("the image's EXIF data could not be read; its orientation is left as stored", exc_info=True)
        return image


def _decoded(data: bytes):
    """Pillow's decoding with its warnings (corrupt EXIF, odd palettes) logged, not printed; a
    decompression bomb's warning is an error, as is one over MAX_PIXELS."""
    from PIL import Image

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _to_rgb(_open(data))
    for warning in caught:
        log.info("while decoding the image: %s", warning.message)
    return image


def _to_rgb(image):
    from PIL import Image

    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(image, dtype=np.float64)
        top = max(values.max(), 1.0)
        image = Image.fromarray((values * (255.0 / (65535.0 if top > 255 else 255.0))).clip(0, 255).astype(np.uint8))
    elif image.mode == "F":
        image = Image.fromarray(_float_to_grey(np.asarray(image, dtype=np.float64)))
    if image.mode in ("P", "PA", "LA", "La", "RGBa") or "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    return image.convert("RGB")


def _float_to_grey(values: np.ndarray) -> np.ndarray:
    """Floating-point pixels stretched to 0-255; NaN as the darkest, +-infinity as the extremes."""
    finite = values[np.isfinite(values)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    values = np.nan_to_num(values, nan=low, posinf=high, neginf=low)
    return ((values - low) / max(high - low, 1e-9) * 255).clip(0, 255).astype(np.uint8)


def load_image(source: bytes | str | Path, abort: threading.Event | None = None) -> np.ndarray:
    """Bytes or a path -> (H, W, 3) uint8 RGB, upright, at most MAX_SIDE on its longest side.

    A path is read by engine.image_file: regular files only, bounded, given up if it stalls
    or `abort` is set.
    """
    from engine.image_file import MAX_IMAGE_BYTES, read_image_file, too_large

    if isinstance(source, str) and not source.strip():  # Path("") would be ".", the current folder
        raise ImageError("No image file was named.")
    if isinstance(source, (str, Path)):
        data = read_image_file(Path(source), abort)
    else:
        data = bytes(source)
        if len(data) > MAX_IMAGE_BYTES:
            raise too_large("The image")
    if not data:
        raise ImageError("The image is empty (0 bytes).")
    return np.asarray(_at_most_max_side(_decoded(data)), dtype=np.uint8).copy()


def _at_most_max_side(image):
    if max(image.size) <= MAX_SIDE:
        return image
    from PIL import Image

    scale = MAX_SIDE / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                        Image.Resampling.LANCZOS)


def at_most_max_side(rgb: np.ndarray) -> np.ndarray:
    """An (H, W, 3) image as load_image would hand it on: at most MAX_SIDE on its longest side."""
    from PIL import Image

    if max(rgb.shape[:2]) <= MAX_SIDE:
        return rgb
    return np.asarray(_at_most_max_side(Image.fromarray(rgb)), dtype=np.uint8).copy()


def check_uniform(rgb: np.ndarray) -> Uniformity:
    step = max(1, max(rgb.shape[:2]) // UNIFORM_SAMPLE_SIDE)
    sample = rgb[::step, ::step].reshape(-1, 3).astype(np.float64)
    mean = tuple(int(round(v)) for v in sample.mean(0))
    return Uniformity(bool(sample.std(0).max() < UNIFORM_STD), mean)


def fit_tiles(rgb: np.ndarray, max_tiles: int, let_go: Callable[[], None] | None = None) -> np.ndarray:
    """Scale down so the image covers at most `max_tiles` 448x448 tiles.

    mtmd's InternVL tiler picks its grid from the image size; one tile means the image
    fits 448x448 and only the overview (256 tokens) is encoded. This is how a detail
    level's tile budget is kept with one loaded vision model.

    `let_go`, if given, is called once PIL holds its own copy of the pixels, so the caller
    can drop its full-size array before the resize's buffers exist (a 2688x2016 photo is
    16 MB, and this is the worker's busiest moment for memory).
    """
    from PIL import Image

    h, w = rgb.shape[:2]
    if max_tiles <= 1:
        scale = min(1.0, TILE / max(h, w))
    else:
        scale = min(1.0, (max_tiles * TILE * TILE / (h * w)) ** 0.5)
    if scale >= 1.0:
        return rgb
    size = (max(1, int(w * scale)), max(1, int(h * scale)))
    picture = Image.fromarray(rgb)
    del rgb
    if let_go is not None:
        let_go()
    return np.asarray(picture.resize(size, Image.Resampling.LANCZOS))
