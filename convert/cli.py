"""`python main.py convert` and `python main.py make-checkpoint`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import traceback
from pathlib import Path

from convert.layouts import LAYOUT_INTERNVL, LAYOUT_NAMES
from convert.errors import ConversionError
from convert.pipeline import MMPROJ_AUTO, MMPROJ_TYPES, TEXT_QUANTS, convert_checkpoint

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130
# Every failure ends with one "Conversion failed: ..." line in plain words; these two are for what
# the converter cannot name more closely. A failed run removes its temporary files (convert/pipeline.py).
OUT_OF_MEMORY = ("This computer ran out of memory while converting; nothing was written. Close other programs "
                 "and convert again.")
UNEXPECTED = ("The converter stopped on an error of its own; nothing was written. Convert again with --debug "
              "to see the details.")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert", help="convert a VisionPangu Hugging Face checkpoint to a quantized GGUF pair")
    p.add_argument("checkpoint", type=Path, help="folder with config.json, *.safetensors and tokenizer.model")
    p.add_argument("--out", type=Path, required=True, help="folder to write model-*.gguf, mmproj-*.gguf and manifest.json")
    p.add_argument("--quant", default="Q4_K_M", choices=TEXT_QUANTS, help="language model type (default Q4_K_M)")
    p.add_argument("--mmproj-type", default=MMPROJ_AUTO, choices=MMPROJ_TYPES,
                   help="vision encoder type (default auto: bf16 where llama.cpp reports AVX512_BF16, else f16)")
    p.add_argument("--progress", choices=("bar", "json"), default="bar",
                   help="'json' prints {\"done\": N, \"total\": M} lines on stdout, for the app's progress bar")
    p.add_argument("--debug", action="store_true", help="also log the system's own error text and each step")
    p.set_defaults(func=run_convert)

    m = sub.add_parser("make-checkpoint", help="write a synthetic checkpoint with random weights (tests, benchmark)")
    m.add_argument("--size", choices=("tiny", "full"), default="tiny")
    m.add_argument("--layout", choices=LAYOUT_NAMES, default=LAYOUT_INTERNVL,
                   help="on-disk layout: internvl (InternVLChatModel), internvl-hf (transformers' "
                        "InternVLForConditionalGeneration), llava, llava-nested (tower at model.vision_tower.vision_tower.)")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--speaks-words", action="store_true",
                   help="favour whole English words, so the random model's answers can be spoken (speech tests)")
    m.add_argument("--out", type=Path, required=True)
    m.set_defaults(func=run_make_checkpoint)


class _JsonProgress:
    """One JSON object per step on stdout, for a parent process (the app's first-run page)."""

    def __call__(self, total: int, label: str):
        done = [0]

        def step(n: int) -> None:
            done[0] += n
            print(json.dumps({"done": done[0], "total": total, "label": label}), flush=True)

        return step

    def close(self) -> None:
        pass


class ProgressBars:
    """Hands tqdm bars to the converter and closes them, so messages start on a fresh line."""

    def __init__(self):
        self._bars = []

    def __call__(self, total: int, label: str):
        from tqdm import tqdm

        bar = tqdm(total=total, desc=label, unit="tensor", file=sys.stderr, dynamic_ncols=True)
        self._bars.append(bar)
        return bar.update

    def close(self) -> None:
        for bar in self._bars:
            bar.close()


def run_convert(args: argparse.Namespace) -> int:
    if args.debug:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    started = time.perf_counter()
    bars = _JsonProgress() if args.progress == "json" else ProgressBars()
    try:
        result = convert_checkpoint(args.checkpoint, args.out, args.quant, args.mmproj_type, bars)
    except (KeyboardInterrupt, Exception) as exc:
        bars.close()  # messages start on a fresh line
        message, code = _failure(exc, args.debug)
        print(message, file=sys.stderr)
        return code
    bars.close()
    print(f"Wrote {result.model_path} and {result.mmproj_path} ({result.layout} layout) "
          f"in {time.perf_counter() - started:.1f} s{_peak_memory_note()}.")
    print(f"Vision encoder: {result.mmproj_choice.type.upper()} ({result.mmproj_choice.reason}).")
    return EXIT_OK


def _failure(exc: BaseException, is_debug: bool) -> tuple[str, int]:
    """The one line a failed run ends with, and its exit code."""
    if isinstance(exc, KeyboardInterrupt):
        return "Conversion cancelled; nothing was written.", EXIT_INTERRUPTED
    if isinstance(exc, ConversionError):
        return f"Conversion failed: {exc}", EXIT_FAILED
    if isinstance(exc, MemoryError):
        return f"Conversion failed: {OUT_OF_MEMORY}", EXIT_FAILED
    if is_debug:  # a fault of the converter's own, not of what it was given: no traceback unless asked
        traceback.print_exception(exc)
    return f"Conversion failed: {UNEXPECTED}", EXIT_FAILED


def _peak_memory_note() -> str:
    """Peak resident memory of this process and of the quantizer child (Unix only)."""
    try:
        import resource
    except ImportError:  # Windows
        return ""
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    gib = 1024**3
    return f", peak memory {own / gib:.2f} GiB (quantizer {child / gib:.2f} GiB)"


def run_make_checkpoint(args: argparse.Namespace) -> int:
    from convert.synthetic import make_checkpoint

    started = time.perf_counter()
    try:
        make_checkpoint(args.out, args.size, args.layout, args.seed, speaks_words=args.speaks_words)
    except OSError as exc:
        print(f"Could not write the checkpoint to {args.out}: {exc.strerror or exc}.", file=sys.stderr)
        return EXIT_FAILED
    print(f"Wrote a {args.size} {args.layout} checkpoint to {args.out} in {time.perf_counter() - started:.1f} s.")
    return EXIT_OK
