"""The benchmark's `read` rows: the text reader on the bench's images and on screens whose text is
known, through the OCR process as `read` runs it: first line, total, word recall, peak memory."""

from __future__ import annotations

import time

from engine.bench.images import BENCH_IMAGES, make
from engine.bench.text_screens import FontMissing, TextScreen, mixed_screen, two_column_page, ui_screen

BUSY_SCREEN = "text-1920x1080-12px"  # the "busy 1920x1080 screen"
TEXT_SCREENS = {
    BUSY_SCREEN: lambda: ui_screen(1920, 1080, 12, "light", seed=21),
    "text-1366x768-13px-dark": lambda: ui_screen(1366, 768, 13, "dark", seed=22),
    "text-two-column-14px": lambda: two_column_page(14),
    "text-chinese-english-16px": lambda: mixed_screen(16),
}


def read_once(ocr, image) -> dict:
    from engine.ocr.messages import LineRead, ReadDone, ReadFailed

    start, first, lines = time.perf_counter(), None, []
    ocr.read(image)
    while True:
        event = ocr.next_event(120.0)
        if isinstance(event, LineRead):
            first = time.perf_counter() - start if first is None else first
            lines.append(event.line.text)
        elif isinstance(event, ReadDone):
            total = time.perf_counter() - start
            return {"n_lines": len(lines), "first_line_s": total if first is None else first, "total_s": total,
                    "peak_rss_bytes": event.peak_rss_bytes, "lines": lines}
        elif isinstance(event, ReadFailed) or event is None:
            raise RuntimeError(f"benchmark read failed: {event}")


def read_rows(images: list[str], n_threads: int | None) -> list[dict]:
    """One row per image: the bench's own (text not known) and the known-text screens (recall)."""
    from engine.ocr.messages import Ready
    from engine.ocr.process import OcrClient
    from engine.ocr.recall import word_recall

    ocr = OcrClient(n_threads)
    ocr.start()
    try:
        ready = ocr.wait_ready()
        if not isinstance(ready, Ready):
            raise RuntimeError(ready.message)
        rows = [{"image": "(load)", "load_s": ready.load_s}]
        for name in images:
            row = read_once(ocr, make(name))
            rows.append({"image": name, "recall": None, **row})
        for name, draw in TEXT_SCREENS.items():
            try:
                screen: TextScreen = draw()
            except FontMissing as exc:
                rows.append({"image": name, "skipped": str(exc)})
                continue
            row = read_once(ocr, screen.image)
            rows.append({"image": name, "recall": word_recall(screen.lines, row["lines"]), **row})
        return rows
    finally:
        ocr.close()


def default_images() -> list[str]:
    return [name for name, (kind, _, _) in BENCH_IMAGES.items() if kind == "screen"]
