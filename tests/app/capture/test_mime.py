"""Clipboard and drop contents: image data, copied files, and plain refusals for everything else."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QImage

from app.capture.errors import CaptureError
from app.capture.mime import can_accept, source_from_mime
from engine.images import ImageError


def _png(colour=(10, 200, 30), size=(16, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_encoded_image_data_is_kept_exactly(qapp):
    mime = QMimeData()
    mime.setData("image/png", _png())
    source = source_from_mime(mime, "clipboard")
    assert source.label == "Clipboard image"
    rgb = source.load()
    assert rgb.shape == (8, 16, 3) and rgb[0, 0].tolist() == [10, 200, 30]
    assert can_accept(mime)


def test_a_bitmap_without_encoded_data_is_converted(qapp):
    image = QImage(5, 4, QImage.Format.Format_RGB32)
    image.fill(0x0000FF)
    mime = QMimeData()
    mime.setImageData(image)
    source = source_from_mime(mime, "drop")
    rgb = source.load()
    assert rgb.shape == (4, 5, 3) and rgb[2, 2].tolist() == [0, 0, 255]


def test_copied_image_files_are_opened_by_path(qapp, tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(_png((1, 2, 3)))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    source = source_from_mime(mime, "clipboard")
    assert source.label == "photo.png" and source.path == path
    assert source.load()[0, 0].tolist() == [1, 2, 3]


def test_a_copied_path_as_text_is_understood(qapp, tmp_path):
    path = tmp_path / "shot.png"
    path.write_bytes(_png())
    mime = QMimeData()
    mime.setText(f'"{path}"')
    assert source_from_mime(mime, "clipboard").path == path


def test_web_addresses_are_refused_because_the_app_is_offline(qapp):
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/cat.jpg")])
    with pytest.raises(CaptureError, match="offline"):
        source_from_mime(mime, "drop")


@pytest.mark.parametrize("origin, words", [("clipboard", "clipboard has no image"), ("drop", "Only images")])
def test_text_that_is_not_an_image_gets_a_plain_refusal(qapp, origin, words):
    mime = QMimeData()
    mime.setText("hello")
    with pytest.raises(CaptureError, match=words):
        source_from_mime(mime, origin)
    assert not can_accept(mime)


def test_a_non_image_file_fails_when_decoded_with_a_plain_message(qapp, tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image at all")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    with pytest.raises(ImageError, match="not an image"):
        source_from_mime(mime, "drop").load()


def test_an_rgb_source_is_capped_in_size(qapp):
    from app.capture.mime import ImageSource

    huge = np.zeros((6000, 100, 3), dtype=np.uint8)
    assert max(ImageSource(label="x", rgb=huge).load().shape) <= 2688


@pytest.mark.parametrize("origin, words", [("clipboard", "clipboard has no image"), ("drop", "Only images")])
def test_a_copied_path_as_text_is_looked_at_only_when_loaded(qapp, tmp_path, origin, words):
    """The file system is asked off the GUI thread, when the capture job loads the source."""
    mime = QMimeData()
    mime.setText(str(tmp_path / "not-there.png"))
    source = source_from_mime(mime, origin)
    with pytest.raises(CaptureError, match=words):
        source.load()
