"""Hostile files, made on the spot: each is what a careless or malicious source could hand the app."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image

ZTXT_BOMB_MB = 200  # what the crafted text chunk inflates to


def noise_png(width: int = 64, height: int = 48, seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)).save(
        buffer, format="PNG")
    return buffer.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def ztxt_bomb_png(inflated_mb: int = ZTXT_BOMB_MB) -> bytes:
    """A valid PNG with a zTXt chunk of a few hundred kilobytes that inflates to `inflated_mb` MB."""
    packer = zlib.compressobj(9)
    megabyte = b"A" * (1 << 20)
    text = b"".join(packer.compress(megabyte) for _ in range(inflated_mb)) + packer.flush()
    png = noise_png()
    signature_and_header = 8 + 25  # the 8-byte signature, then IHDR (4 + 4 + 13 + 4)
    return png[:signature_and_header] + _png_chunk(b"zTXt", b"Comment\0\0" + text) + png[signature_and_header:]


def float_tiff_with_nan_and_inf() -> bytes:
    values = np.random.default_rng(0).random((48, 64)).astype(np.float32) * 1000
    values[0, 0], values[1, 1], values[2, 2] = np.nan, np.inf, -np.inf
    buffer = io.BytesIO()
    Image.fromarray(values, mode="F").save(buffer, format="TIFF")
    return buffer.getvalue()


def jpeg_with_garbage_exif() -> bytes:
    """An EXIF block whose first directory claims 65,535 entries and holds noise."""
    garbage = b"II*\0" + struct.pack("<I", 8) + b"\xff\xff" + bytes(range(256)) * 4
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(
        buffer, format="JPEG", exif=b"Exif\0\0" + garbage)
    return buffer.getvalue()
