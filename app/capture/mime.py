"""Images from the clipboard and from drag and drop: image data, or copied image files.

The QMimeData is read on the GUI thread and its bytes copied into an ImageSource;
decoding (which may be slow for a big photo) happens later, off the GUI thread. So does every
look at the file system: even a stat of a path copied as text blocks in the kernel when the path
is on a network mount that stopped answering, and the GUI thread must never wait on it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, QMimeData, QUrl

from app.capture.errors import CaptureError
from app.capture.qimage import qimage_to_rgb
from engine.images import at_most_max_side

# Encoded formats are preferred over the platform's bitmap: they keep the exact pixels.
PREFERRED_MIME = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp", "image/tiff")


def _tr(text: str) -> str:
    return QCoreApplication.translate("Capture", text)


@dataclass(frozen=True)
class ImageSource:
    label: str  # what the history shows: a file name, "Clipboard image", ...
    path: Path | None = None
    data: bytes | None = None
    rgb: np.ndarray | None = None
    # For a path copied as text, which may name no file at all: what to say if it is not a file.
    not_a_file_message: str | None = None

    def load(self, abort: threading.Event | None = None) -> np.ndarray:
        """Decode to RGB (any thread but the GUI's); raises engine.images.ImageError in plain words.

        A file is read by engine.image_file: never a named pipe or device, bounded, and given up
        when the read stalls or `abort` is set.
        """
        from engine.image_file import NotAFileError
        from engine.images import load_image

        if self.rgb is not None:
            return at_most_max_side(self.rgb)
        try:
            return load_image(self.path if self.path is not None else self.data, abort)
        except NotAFileError:
            if self.not_a_file_message is None:
                raise
            raise CaptureError(self.not_a_file_message) from None


def _local_paths(urls: list[QUrl]) -> list[Path]:
    return [Path(url.toLocalFile()) for url in urls if url.isLocalFile() and url.toLocalFile()]


def _path_from_text(text: str) -> Path | None:
    """The absolute path `text` may be (looked at here as text only: the file system is not asked)."""
    text = text.strip().strip('"')
    if not text or "\n" in text or len(text) > 4096:
        return None
    if text.startswith("file://"):
        text = QUrl(text).toLocalFile()
    path = Path(text).expanduser()
    return path if path.is_absolute() else None


def _nothing_usable(origin: str) -> str:
    if origin == "clipboard":
        return _tr("The clipboard has no image. Copy an image, or an image file in your file "
                   "manager, then try again.")
    return _tr("Only images and image files can be dropped here.")


def source_from_mime(mime: QMimeData | None, origin: str) -> ImageSource:
    """The image in `mime` ('clipboard' or 'drop'); raises CaptureError if there is none."""
    if mime is None:
        raise CaptureError(_tr("The clipboard could not be read."))
    if mime.hasUrls():
        paths = _local_paths(mime.urls())
        if paths:
            return ImageSource(label=paths[0].name, path=paths[0])
        raise CaptureError(_tr("That is a web address, not an image on this computer. This app works offline: "
                               "save the image first, then open it."))
    for mime_type in PREFERRED_MIME + tuple(f for f in mime.formats() if f.startswith("image/")):
        if mime.hasFormat(mime_type):
            data = bytes(mime.data(mime_type).data())
            if data:
                label = _tr("Clipboard image") if origin == "clipboard" else _tr("Dropped image")
                return ImageSource(label=label, data=data)
    if mime.hasImage():
        image = mime.imageData()
        if image is not None and not image.isNull():
            label = _tr("Clipboard image") if origin == "clipboard" else _tr("Dropped image")
            return ImageSource(label=label, rgb=qimage_to_rgb(image))
    if mime.hasText():
        path = _path_from_text(mime.text())
        if path is not None:
            return ImageSource(label=path.name or str(path), path=path, not_a_file_message=_nothing_usable(origin))
    raise CaptureError(_nothing_usable(origin))


def can_accept(mime: QMimeData | None) -> bool:
    """Whether a drag might carry an image (checked fully on drop)."""
    if mime is None:
        return False
    return mime.hasUrls() or mime.hasImage() or any(f.startswith("image/") for f in mime.formats())
