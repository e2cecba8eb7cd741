"""The exact text the model is given with each close-up: the lines read inside its region.

The describe flow's planner reads the whole image once (in the OCR process, below the model
worker's priority, while the glance is written), chooses the close-ups with the text boxes as
well as the edge signal (engine/regions.py), and gives each region the lines mostly inside it,
in reading order. The close-up's prompt then quotes them (engine/prompts.py,
refine_instruction): plain text in a TEXT piece, never read as special tokens.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np

from engine.ocr.reader import Line
from engine.regions import Region

# Longest wait for the whole image's text before the close-ups go without it: a busy 2688 px
# image reads in a few seconds alone, far longer while the glance keeps both cores (below the
# worker's priority, the read gets almost no CPU until the glance ends). Once the glance is done
# the first close-up waits for the read, so then at most AFTER_GLANCE_WAIT_S more: a 1920x1080
# screen reads in 2-4 s with both cores free; a host busy with other work gets edges alone.
READ_TIMEOUT_S = 60.0
AFTER_GLANCE_WAIT_S = 5.0
POLL_S = 0.25
MIN_SHARE_INSIDE = 0.4  # of a line's box, for its text to count as the close-up's
# A close-up's text: about 150 tokens (some 600 characters of English: 15 lines of interface text).
# Its answer is a few sentences (80 tokens), so more text cannot be quoted, and every token of it is
# read before the close-up's first word: on these 2 cores at about 100 tokens a second, a tile of
# 12 px text given whole (1,100 characters) made each close-up 2-5 s slower to start.
MAX_REGION_TEXT_TOKENS = 150
# A one-pass description's text, for the whole image: about 600 tokens. A detailed 1920x1080 screen
# (9 tiles, 2,304 image tokens) then still has its whole 768-token answer and the follow-up's
# reserve within the model's 4,608-token context; a 12-tile photo full of text gets a shorter answer
# (engine/context_budget.py). Estimated without the tokenizer (the flow has none): English text
# takes about 4 characters a token, Chinese about one character a token.
MAX_IMAGE_TEXT_TOKENS = 600
LATIN_CHARS_PER_TOKEN = 4
# Before a one-pass description nothing else runs, so the read has both cores: a busy 1920x1080
# screen reads in 2-4 s. Longer than this and the description goes without the text.
READ_FIRST_TIMEOUT_S = 15.0


def text_inside(region: Region, lines: list[Line]) -> str:
    """The lines at least MIN_SHARE_INSIDE inside `region`, whole, one per line, in reading order
    (a line the close-up cuts is given whole: the model sees the part inside, and the rest helps)."""
    inside = []
    for line in lines:
        x0, y0, x1, y1 = line.box
        ix = max(0, min(x1, region.x + region.w) - max(x0, region.x))
        iy = max(0, min(y1, region.y + region.h) - max(y0, region.y))
        if ix * iy >= MIN_SHARE_INSIDE * max(1, (x1 - x0) * (y1 - y0)):
            inside.append(line.text)
    return whole_lines(inside, MAX_REGION_TEXT_TOKENS)[0]


def estimated_tokens(text: str) -> float:
    from engine.sentences import is_cjk

    cjk = sum(1 for ch in text if is_cjk(ch))
    return cjk + (len(text) - cjk) / LATIN_CHARS_PER_TOKEN


def whole_lines(texts: list[str], max_tokens: float) -> tuple[str, bool]:
    """(whole lines, one per line, up to about `max_tokens`; whether some were left out)."""
    kept, size = [], 0.0
    for text in texts:
        size += estimated_tokens(text + "\n")
        if size > max_tokens:
            return "\n".join(kept), True
        kept.append(text)
    return "\n".join(kept), False


def whole_text(lines: list[Line]) -> tuple[str, bool]:
    """The lines of the whole image in reading order, up to about MAX_IMAGE_TEXT_TOKENS (`whole_lines`)."""
    return whole_lines([line.text for line in lines], MAX_IMAGE_TEXT_TOKENS)


def grounded(regions: list[Region], lines: list[Line]) -> list[Region]:
    return [dataclasses.replace(region, text=text_inside(region, lines)) for region in regions]


def read_timeout_s(close_ups: int) -> float:
    """How long the planner waits for the text: beside a glance (close-ups), or before a one-pass description (0)."""
    return READ_TIMEOUT_S if close_ups else READ_FIRST_TIMEOUT_S


def read_whole(ocr, image: np.ndarray, glance_done: threading.Event | None = None,
               timeout: float = READ_TIMEOUT_S, stop: threading.Event | None = None) -> list[Line] | None:
    """Every line of `image` through an engine.ocr.process.OcrClient; None if the reader failed or
    took too long (the close-ups then go without text): READ_TIMEOUT_S in all, and at most
    AFTER_GLANCE_WAIT_S once `glance_done` is set, since the first close-up waits for this.
    `stop` set (the request was replaced or stopped): the read is cancelled at once, None."""
    from engine.ocr.messages import LineRead, ReadDone, ReadFailed, Ready

    deadline = time.monotonic() + timeout
    ocr.read(image)
    lines: list[Line] = []
    while (remaining := deadline - time.monotonic()) > 0 and not (stop is not None and stop.is_set()):
        if glance_done is not None and glance_done.is_set():
            deadline, glance_done = min(deadline, time.monotonic() + AFTER_GLANCE_WAIT_S), None
        event = ocr.next_event(min(remaining, POLL_S))
        if isinstance(event, LineRead):
            lines.append(event.line)
        elif isinstance(event, ReadDone):
            return lines
        elif isinstance(event, ReadFailed) or (event is None and not ocr.is_alive()):
            return None
        elif isinstance(event, Ready):
            continue
    ocr.cancel()
    return None
