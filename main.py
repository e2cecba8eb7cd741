"""VisionPangu Assistant: offline screen and image descriptions for blind and low-vision people.

Run without a command to open the desktop app. `python main.py --help` lists the commands.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable


def build_parser(has_app: bool = True) -> argparse.ArgumentParser:
    """The whole command line; without `has_app`, the commands alone: a command that needs no Qt
    (describe, convert, bench) then imports nothing of the desktop app."""
    from convert import cli as convert_cli
    from engine import cli as engine_cli
    from engine.bench import cli as bench_cli
    from engine.evaluate import cli as evaluate_cli
    from engine.ocr import cli as ocr_cli

    from engine import invocation

    parser = argparse.ArgumentParser(prog=invocation.program_name(), description=__doc__.splitlines()[0])
    if has_app:
        from app.launch import launcher

        launcher.add_arguments(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    engine_cli.add_parser(sub)
    ocr_cli.add_parser(sub)
    bench_cli.add_parser(sub)
    evaluate_cli.add_parser(sub)
    convert_cli.add_parsers(sub)
    parser.commands = tuple(sub.choices)  # the subcommands' names, for main()
    return parser


def _with_ctrl_c_held(build: Callable[[], argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """build() with Ctrl+C held until it returns, then raised as KeyboardInterrupt. build() imports
    most modules, and a KeyboardInterrupt raised inside an extension module's own import comes out
    as an ImportError with a traceback (numpy's C core importing datetime: "PyCapsule_Import could
    not import module"), which no handler can tell from a broken install."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return build()
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, _frame: pressed.append(number))
    try:
        parser = build()
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt
    return parser


def stopped() -> int:
    """Ctrl+C outside a command's own handling (while the app's modules import): no traceback."""
    from engine.cli import EXIT_INTERRUPTED, fail

    return fail("Stopped.", EXIT_INTERRUPTED)


def main(argv: list[str] | None = None) -> int:
    try:
        argv = sys.argv[1:] if argv is None else argv
        parser = _with_ctrl_c_held(lambda: build_parser(has_app=False))
        if not (argv and argv[0] in parser.commands):
            parser = _with_ctrl_c_held(build_parser)  # imports most of the app: Ctrl+C often lands here
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            from app.launch import launcher

            return launcher.run(args)
        return args.func(args)
    except KeyboardInterrupt:  # the commands catch their own; this is for the moments before and between
        return stopped()


if __name__ == "__main__":
    try:
        import multiprocessing

        multiprocessing.freeze_support()  # the engine worker is a spawned process; needed in a packaged app
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(stopped())
