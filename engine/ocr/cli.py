"""`python main.py read IMAGE [--json]`: the text of an image in reading order, line by line as found.

Exit codes as `describe` (engine/cli.py): 0 done, 2 bad input, 3 the text reader cannot run here,
4 it failed while reading, 130 interrupted (Ctrl+C stops the read at once: the OCR process is
ended, not waited for).
"""

from __future__ import annotations

import argparse
import sys
import time

from engine.cli import (EXIT_BAD_INPUT, EXIT_ENGINE, EXIT_MODEL, EXIT_OK, KIND_BAD_INPUT,
                        _Output, guarded)
from engine.ocr.messages import NO_TEXT_MESSAGE

KIND_OCR_UNAVAILABLE = "ocr_unavailable"
KIND_OCR_FAILED = "ocr_failed"
WAIT_S = 0.25


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("read", help="read the text of an image file, line by line in reading order")
    p.add_argument("image", help="image file, or - to read the image from standard input")
    p.add_argument("--language", help="the language of the text (as describe's answer language): en, zh, ...")
    p.add_argument("--threads", type=int, help="CPU threads (default: the physical cores)")
    p.add_argument("--json", action="store_true", help="print one JSON object per event")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    p.set_defaults(func=run_read)


def run_read(args: argparse.Namespace) -> int:
    client = None

    def read() -> int:
        nonlocal client
        from engine.ocr.process import OcrClient

        client = OcrClient(args.threads)
        return _read(args, client)

    try:
        return guarded(args, read)
    finally:
        if client is not None:
            client.kill()  # Ctrl+C or done: nothing in the OCR process is worth waiting for


def _read(args: argparse.Namespace, client) -> int:
    from engine.image_file import read_stream
    from engine.images import ImageError, check_uniform, load_image
    from engine.ocr.languages import is_read
    from engine.ocr.messages import LineRead, ReadDone, ReadFailed
    from engine.user_text import TextError, check_language

    out = _Output(args.json)
    try:
        check_language(args.language)
        image = load_image(read_stream(sys.stdin.buffer) if args.image == "-" else args.image)
    except (ImageError, TextError) as exc:
        return out.fail(str(exc), EXIT_BAD_INPUT, KIND_BAD_INPUT)
    uniform = check_uniform(image)
    if uniform.is_uniform:  # honest and instant: a black screen is not "no text"
        out.event("notice", text=uniform.describe())
        if out.as_json:
            out.event("done", first_line_s=None, total_s=0.0, n_lines=0)
        return EXIT_OK
    if not is_read(args.language):
        out.event("notice", text=f"The text reader reads Chinese, English, Japanese and languages written in "
                                 f"Latin script; text in {args.language.strip()}'s script may be missed.")
    client.start()
    ready = client.wait_ready()
    if isinstance(ready, ReadFailed):
        return out.fail(ready.message, EXIT_MODEL, KIND_OCR_UNAVAILABLE)
    start = time.perf_counter()
    first, block, count = None, None, 0
    client.read(image)
    while True:
        event = client.next_event(WAIT_S)
        if isinstance(event, LineRead):
            first = time.perf_counter() - start if first is None else first
            line = event.line
            if out.as_json:
                out.event("line", text=line.text, box=list(line.box), score=round(line.score, 4))
            else:
                print(("\n" if block is not None and line.block != block else "") + line.text, flush=True)
            block, count = line.block, count + 1
        elif isinstance(event, ReadFailed):
            return out.fail(event.message, EXIT_ENGINE, KIND_OCR_FAILED)
        elif isinstance(event, ReadDone):
            if count == 0:
                out.event("notice", text=NO_TEXT_MESSAGE)
            total = time.perf_counter() - start
            if out.as_json:  # in text, the lines themselves are the whole output
                    out.event("done", first_line_s=None if first is None else round(first, 3),
                          total_s=round(total, 3), n_lines=count)
            return EXIT_OK
