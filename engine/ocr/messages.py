"""What the caller and the OCR process say to each other over their pipe (pickled dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.ocr.reader import Line

NO_TEXT_MESSAGE = "No text was found in the image."  # said by `read` and the app's Read text


# --- caller -> OCR process ----------------------------------------------------------------------
@dataclass(frozen=True)
class Read:
    ticket: int
    image: np.ndarray  # RGB, as engine.images.load_image gives it


@dataclass(frozen=True)
class CancelRead:
    ticket: int


@dataclass(frozen=True)
class Shutdown:
    pass


# --- OCR process -> caller ----------------------------------------------------------------------
@dataclass(frozen=True)
class Ready:
    load_s: float
    n_threads: int


@dataclass(frozen=True)
class LineRead:
    ticket: int
    line: Line


@dataclass(frozen=True)
class ReadDone:
    ticket: int
    n_lines: int
    is_stopped: bool  # stopped by a cancel or a newer read before the end
    peak_rss_bytes: int  # the OCR process's peak resident memory so far


@dataclass(frozen=True)
class ReadFailed:
    ticket: int | None  # None: the reader could not start
    message: str  # plain words


OcrEvent = Ready | LineRead | ReadDone | ReadFailed
