"""`python main.py describe IMAGE`: stream a description, then answer follow-up questions.

Exit codes: 0 done, 2 bad input, 3 model problem, 4 engine failure, 130 interrupted.
Messages go to stderr in plain words; a traceback only with --debug.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT, EXIT_MODEL, EXIT_ENGINE, EXIT_INTERRUPTED = 0, 2, 3, 4, 130
EVENT_TIMEOUT_S = 0.5
# The "kind" of a --json error event: the engine's own kinds (engine.worker: "model", "engine",
# engine.client: "worker_died", "worker_hung"), and "bad_input" for what is refused before the model runs.
KIND_BAD_INPUT, KIND_MODEL, KIND_ENGINE = "bad_input", "model", "engine"


def add_parser(sub: argparse._SubParsersAction) -> None:
    from engine.prompts import DEFAULT_DETAIL, DETAIL_LEVELS

    p = sub.add_parser("describe", help="describe an image file, streaming to stdout, then answer questions")
    p.add_argument("image", help="image file, or - to read the image from standard input")
    p.add_argument("--model-dir", help="folder with the GGUF pair (default: $VISIONPANGU_MODEL_DIR, then the user data folder)")
    p.add_argument("--detail", choices=DETAIL_LEVELS, default=DEFAULT_DETAIL)
    p.add_argument("--question", action="append", default=[], metavar="TEXT", help="a follow-up question (repeatable)")
    p.add_argument("--second-look", action="store_true",
                   help="after the description, look again at the most informative regions at full resolution, "
                        "one at a time, adding what was missed and correcting mistakes (best with --detail brief)")
    p.add_argument("--language", help="answer language: en, zh, or a language named in words")
    p.add_argument("--threads", type=int, help="CPU threads (default: the physical cores)")
    p.add_argument("--json", action="store_true", help="print one JSON object per event")
    p.add_argument("--debug", action="store_true", help="show tracebacks and llama.cpp logs")
    p.set_defaults(func=run_describe)


class _Output:
    def __init__(self, as_json: bool):
        self.as_json = as_json
        self.told_set_aside = False

    def event(self, kind: str, /, **data) -> None:  # positional-only: an error event has its own "kind"
        if self.as_json:
            print(json.dumps({"event": kind, **data}, ensure_ascii=False), flush=True)
        elif kind == "chunk":
            print(data["text"], end="", flush=True)
        elif kind == "done":
            print(flush=True)
        elif kind == "question":
            print(f"\nQ: {data['text']}\nA: ", end="", flush=True)
        elif kind == "second_look":
            print(f"\nA closer look at {data['places']}:\n", end="", flush=True)
        elif kind == "notice":
            print(data["text"], flush=True)


    def fail(self, message: str, code: int, kind: str) -> int:
        """Every failure: one plain sentence on stderr, and with --json an error event as well."""
        if self.as_json:
            self.event("error", kind=kind, message=message, exit_code=code)
        return fail(message, code)


def fail(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code


def run_describe(args: argparse.Namespace) -> int:
    import logging

    logging.basicConfig(level=logging.DEBUG if args.debug else logging.CRITICAL, stream=sys.stderr)
    try:
        return _describe(args)
    except KeyboardInterrupt:
        return fail("Stopped.", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`describe ... | head`): stop quietly, as Unix tools do. Point stdout
        # at /dev/null so Python's exit-time flush does not fail again (Python docs, "SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 0
    except MemoryError:
        return fail("The computer ran out of memory while working on this image.", EXIT_ENGINE)
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        return fail(f"Something went wrong inside the app ({type(exc).__name__}). Run again with --debug for "
                    "details.", EXIT_ENGINE)


def _describe(args: argparse.Namespace) -> int:
    from engine.client import Conversation, EngineClient, WorkerLost
    from engine.image_file import read_stream
    from engine.images import ImageError, check_uniform, load_image
    from engine.model_files import ModelFileError, find_model_pair, resolve_model_dir
    from engine.user_text import TextError, check_language, check_question

    out = _Output(args.json)
    try:
        for question in args.question:
            check_question(question)
        check_language(args.language)
        image = load_image(read_stream(sys.stdin.buffer) if args.image == "-" else args.image)
    except (ImageError, TextError) as exc:
        return out.fail(str(exc), EXIT_BAD_INPUT, KIND_BAD_INPUT)
    uniform = check_uniform(image)
    if uniform.is_uniform:  # honest, instant, and no model needed
        out.event("chunk", text=uniform.describe())
        out.event("done", text=uniform.describe(), stop_reason="uniform", stats={})
        return EXIT_OK
    try:
        pair = find_model_pair(resolve_model_dir(args.model_dir))
    except ModelFileError as exc:
        return out.fail(str(exc), EXIT_MODEL, KIND_MODEL)
    client = EngineClient(pair, n_threads=args.threads)
    try:
        client.start()
        loaded = client.wait_loaded()
        if loaded.kind == "error":
            return out.fail(loaded.data["message"], EXIT_MODEL, KIND_MODEL)
        out.event("loaded", load_s=round(loaded.data["load_s"], 3), n_threads=loaded.data["n_threads"])
        conversation = Conversation(image, args.detail, args.language)
        code = _stream(client, client.describe(conversation), out)
        if code == EXIT_OK and args.second_look:
            code = _second_look(client, conversation, out)
        for question in args.question:
            if code != EXIT_OK:
                break
            out.event("question", text=question)
            code = _stream(client, client.ask(conversation, question), out)
        return code
    except WorkerLost as exc:  # it died before it could take the request: an engine failure, not a closed stdout
        return out.fail(str(exc), EXIT_ENGINE, exc.kind)
    finally:
        client.close()


def _second_look(client, conversation, out: _Output) -> int:
    """One request per close-up, most informative first: each is printed while the next is read."""
    from engine.regions import choose_regions

    image = conversation.image
    for region in choose_regions(image):  # none when the overview already saw the image at full resolution
        out.event("second_look", places=region.where(image.shape[1], image.shape[0]), regions=[region.as_list()])
        code = _stream(client, client.refine(conversation, [region]), out)
        if code != EXIT_OK:
            return code
    return EXIT_OK


def _stream(client, request_id: int, out: _Output) -> int:
    while True:
        event = client.next_event(EVENT_TIMEOUT_S)
        if event is None or event.request_id not in (request_id, None):
            continue
        if event.kind == "chunk":
            out.event("chunk", text=event.data["text"])
        elif event.kind == "done":
            out.event("done", text=event.data["text"], stop_reason=event.data["stop_reason"],
                      stats=event.data["stats"])
            if event.data["stats"].get("set_aside_turns") and not out.as_json and not out.told_set_aside:
                out.told_set_aside = True
                print("(To make room, the model no longer remembers the earliest questions.)", file=sys.stderr)
            if event.data["stats"].get("answer_room") and event.data["stop_reason"] == "limit" and not out.as_json:
                print("(The answer stopped early: the model's memory for this image is full.)", file=sys.stderr)
            return EXIT_OK
        elif event.kind == "error":
            kind = event.data["kind"]
            return out.fail(event.data["message"], EXIT_MODEL if kind == KIND_MODEL else EXIT_ENGINE, kind)
        elif event.kind == "cancelled":
            return out.fail("The description was cancelled.", EXIT_ENGINE, KIND_ENGINE)
