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

from engine.notices import NOTICE_TEXTS
from engine.protocol import ErrorKind

EXIT_OK, EXIT_BAD_INPUT, EXIT_MODEL, EXIT_ENGINE, EXIT_INTERRUPTED = 0, 2, 3, 4, 130
EVENT_TIMEOUT_S = 0.5
# The "kind" of a --json error event: the engine's own (engine.protocol.ErrorKind), and "bad_input"
# for what is refused before the model runs.
KIND_BAD_INPUT = "bad_input"


def add_parser(sub: argparse._SubParsersAction) -> None:
    from engine.device import DEVICES, Device
    from engine.encoder.choice import AUTO as ENCODER_AUTO
    from engine.encoder.choice import SETTINGS as ENCODER_SETTINGS
    from engine.prompts import DEFAULT_DETAIL, DETAIL_LEVELS

    p = sub.add_parser("describe", help="describe an image file, streaming to stdout, then answer questions")
    p.add_argument("image", help="image file, or - to read the image from standard input")
    p.add_argument("--model-dir", help="folder with the GGUF pair (default: $VISIONPANGU_MODEL_DIR, then the user data folder)")
    p.add_argument("--detail", choices=DETAIL_LEVELS, default=DEFAULT_DETAIL)
    p.add_argument("--question", action="append", default=[], metavar="TEXT", help="a follow-up question (repeatable)")
    p.add_argument("--second-look", action="store_true",
                   help="as the app does: a brief glance first, then a look at the most informative regions at full "
                        "resolution, one at a time (3 at --detail standard, 6 at detailed), adding what was missed "
                        "and correcting mistakes")
    p.add_argument("--language", help="answer language: en, zh, or a language named in words")
    p.add_argument("--threads", type=int, help="CPU threads (default: the physical cores)")
    p.add_argument("--device", choices=DEVICES, default=Device.AUTO.value,
                   help="auto: the GPU where llama.cpp was built with one, else the CPU (default); cpu: the CPU only")
    p.add_argument("--encoder", choices=ENCODER_SETTINGS, default=ENCODER_AUTO,
                   help="the vision encoder: auto, OpenVINO's where it is the faster one (x86-64 CPUs with native "
                        "BF16 and a BF16 mmproj), else llama.cpp's (default); llama.cpp; openvino")
    p.add_argument("--json", action="store_true", help="print one JSON object per event")
    p.add_argument("--debug", action="store_true", help="show tracebacks and llama.cpp logs")
    p.set_defaults(func=run_describe)


class _Output:
    def __init__(self, as_json: bool):
        self.as_json = as_json

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
    return guarded(args, lambda: _describe(args))


def guarded(args: argparse.Namespace, body) -> int:
    """`body()`'s exit code, with every failure (Ctrl+C, a closed stdout, no memory, a bug) turned
    into one plain sentence and its exit code: the commands `describe` and `read` share this."""
    import logging

    logging.basicConfig(level=logging.DEBUG if args.debug else logging.CRITICAL, stream=sys.stderr)
    try:
        return body()
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
    from engine.client import EngineClient, WorkerLost
    from engine import flow_run
    from engine.flow import Request, description_request
    from engine.protocol import Failed
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
        return out.fail(str(exc), EXIT_MODEL, ErrorKind.MODEL)
    client = EngineClient(pair, n_threads=args.threads, device=args.device, encoder=args.encoder)
    request = description_request(1, image, args.detail, args.language, is_glance_first=args.second_look)
    ocr = flow_run.start_text_reader(args.threads) if request.reads_text else None
    try:
        client.start()
        loaded = client.wait_loaded()
        if isinstance(loaded, Failed):
            return out.fail(loaded.message, EXIT_MODEL, ErrorKind.MODEL)
        out.event("loaded", load_s=round(loaded.load_s, 3), n_threads=loaded.n_threads, device=loaded.device,
                  device_reason=loaded.device_reason, encoder=loaded.encoder, encoder_reason=loaded.encoder_reason)
        code = _run(client, request, out, ocr)
        for ticket, question in enumerate(args.question, start=2):
            if code != EXIT_OK:
                break
            out.event("question", text=question)
            code = _run(client, Request(ticket, request.conversation, question), out)
        return code
    except WorkerLost as exc:  # it died before it could take the request: an engine failure, not a closed stdout
        return out.fail(str(exc), EXIT_ENGINE, exc.kind)
    finally:
        client.close()
        if ocr is not None:
            ocr.kill()


def _run(client, request, out: _Output, ocr=None) -> int:
    """One request through the describe flow: every close-up is printed while the next is read."""
    from engine import flow, flow_run

    image = request.conversation.image
    for event in flow_run.run(client, request, EVENT_TIMEOUT_S, ocr):
        if isinstance(event, flow.TextChunk):
            out.event("chunk", text=event.text)
        elif isinstance(event, flow.CloseUp):
            out.event("second_look", places=event.region.where(image.shape[1], image.shape[0]),
                      regions=[event.region.as_list()])
            if ocr is not None and out.as_json:  # the exact text handed to the model with this close-up
                out.event("grounding", region=event.region.as_list(), text=event.region.text)
        elif isinstance(event, flow.TextGiven) and out.as_json:  # the same, for the whole image
            out.event("grounding", region=None, text=event.text)
        elif isinstance(event, flow.PassDone):
            out.event("done", text=event.text, stop_reason=event.stop_reason, stats=event.stats.as_dict())
        elif isinstance(event, flow.Notice) and not out.as_json:
            print(f"({NOTICE_TEXTS[event.kind]})", file=sys.stderr)
        elif isinstance(event, flow.Failed):
            code = EXIT_MODEL if event.error == ErrorKind.MODEL else EXIT_ENGINE
            return out.fail(event.message, code, event.error)
        elif isinstance(event, flow.Stopped):
            return out.fail("The description was cancelled.", EXIT_ENGINE, ErrorKind.ENGINE)
    return EXIT_OK
