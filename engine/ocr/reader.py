"""The text of an image, line by line in reading order, as it is recognised.

rapidocr's own call (RapidOCR.__call__) detects every line, then recognises them all, then
returns; here its steps are run one at a time so the first lines come before the whole image is
read: the lines are detected (one pass of the detection model over the image), put in reading
order (engine/ocr/reading_order.py), and recognised in small batches in that order, each batch's
lines handed out as soon as it is done. The steps are rapidocr's own methods
(rapidocr/main.py: preprocess_img, detect_and_crop; map_boxes_to_original), so the text is the
text rapidocr reads. No Qt, no llama.cpp.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from engine.ocr.models import TEXT_SCORE, packaged_models, rapidocr_params
from engine.ocr.reading_order import reading_order

# Lines per recognition call: the first call small, so the first lines come quickly; later ones
# larger, where rapidocr's batching by width (rapidocr/ch_ppocr_rec/main.py) pays off.
FIRST_BATCH = 4
LATER_BATCH = 24


@dataclass(frozen=True)
class Line:
    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels
    score: float
    block: int  # lines of one block (a paragraph, a column's run, a row of buttons) share it


class TextReader:
    """One loaded detection + recognition model pair; `lines` reads one image at a time."""

    def __init__(self, n_threads: int = 1):
        from rapidocr import RapidOCR

        self._ocr = RapidOCR(params=rapidocr_params(packaged_models(), n_threads))
        # Load both models now, not inside the first read (their first run also warms them up).
        self._ocr._load_det_model()
        self._ocr._load_rec_model()
        self.lines(np.full((64, 256, 3), 255, np.uint8))

    def lines(self, rgb: np.ndarray, should_stop: Callable[[], bool] = lambda: False) -> Iterator[Line]:
        """The lines of an RGB image in reading order; stops between batches once `should_stop()`."""
        from rapidocr.ch_ppocr_rec import TextRecInput
        from rapidocr.main import RapidOCRError
        from rapidocr.utils.process_img import map_boxes_to_original

        bgr = np.ascontiguousarray(rgb[..., ::-1])  # rapidocr's arrays are OpenCV's BGR
        img, op_record = self._ocr.preprocess_img(bgr)
        try:
            crops, detected = self._ocr.detect_and_crop(img, op_record)
        except RapidOCRError:  # "The text detection result is empty": no text
            return
        quads = map_boxes_to_original(detected.boxes.copy(), op_record, *rgb.shape[:2])
        boxes = [_bounds(q) for q in quads]
        order = [(block, i) for block, members in enumerate(reading_order(boxes)) for i in members]
        recogniser = self._ocr._load_rec_model()
        start = 0
        while start < len(order) and not should_stop():
            batch = order[start : start + (FIRST_BATCH if start == 0 else LATER_BATCH)]
            start += len(batch)
            result = recogniser(TextRecInput(img=[crops[i] for _, i in batch]))
            for (block, i), text, score in zip(batch, result.txts, result.scores):
                text = text.strip()
                if text and score >= TEXT_SCORE:  # rapidocr's own filter (RapidOCR.build_final_output)
                    yield Line(text, boxes[i], float(score), block)


def _bounds(quad: np.ndarray) -> tuple[int, int, int, int]:
    xs, ys = quad[:, 0], quad[:, 1]
    return int(np.floor(xs.min())), int(np.floor(ys.min())), int(np.ceil(xs.max())), int(np.ceil(ys.max()))

