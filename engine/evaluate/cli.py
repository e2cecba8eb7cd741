"""`python main.py evaluate`: score captions against COCO references, as the paper's table does.

--predictions FILE scores answers already made (COCO results format). --images DIR is to describe
each image with the app's own engine and prompts first, keeping each answer in --out as it is
made (engine/evaluate/answers.py) so an interrupted run resumes; driving the engine is not wired
yet (see `_describe_images`). Exit codes as `describe`: 0 done, 2 bad input, 4 scoring failed,
130 interrupted.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.cli import EXIT_BAD_INPUT, EXIT_ENGINE, EXIT_INTERRUPTED, EXIT_OK, KIND_BAD_INPUT, fail
from engine.protocol import ErrorKind
from engine.evaluate.coco import (
    EvaluationInputError, choose_subset, find_images, load_predictions, load_references, matched,
)
from engine.evaluate.scoring import ScoringError, score
from engine.evaluate import report

NOT_YET_AVAILABLE = ("Describing images for the evaluation needs the app's new describe flow, which is not yet "
                     "available in this version; score answers you already have with --predictions FILE.")


def add_parser(sub: argparse._SubParsersAction) -> None:
    from engine.prompts import DEFAULT_DETAIL, DETAIL_LEVELS

    p = sub.add_parser("evaluate", help="score captions against COCO references with the COCO caption toolkit")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--predictions", type=Path, metavar="FILE",
                        help='answers to score, COCO results format: [{"image_id": N, "caption": "..."}]')
    source.add_argument("--images", type=Path, metavar="DIR",
                        help="describe these images (COCO val) with the app's engine, then score (not yet available)")
    p.add_argument("--references", type=Path, required=True, metavar="CAPTIONS.json",
                   help="COCO captions file with 'images' and 'annotations', e.g. captions_val2014.json")
    p.add_argument("--model-dir", help="folder with the GGUF pair, for --images")
    p.add_argument("--detail", choices=DETAIL_LEVELS, default=DEFAULT_DETAIL, help="detail level, for --images")
    p.add_argument("--second-look", action="store_true", help="add the second, sharper look, for --images")
    p.add_argument("--limit", type=int, help="score a reproducible subset of N images (the paper used 600)")
    p.add_argument("--seed", type=int, default=0, help="which subset --limit picks (default 0)")
    p.add_argument("--out", type=Path, metavar="DIR", help="write scores.json and scores.md (and, for --images, the answers) here")
    p.add_argument("--json", action="store_true", help="print the result (or the error) as one JSON object")
    p.set_defaults(func=run_evaluate)


def _fail(args: argparse.Namespace, message: str, code: int, kind: str) -> int:
    if args.json:
        print(json.dumps({"event": "error", "kind": kind, "message": message, "exit_code": code}), flush=True)
    return fail(message, code)


def run_evaluate(args: argparse.Namespace) -> int:
    try:
        return _evaluate(args)
    except EvaluationInputError as exc:
        return _fail(args, str(exc), EXIT_BAD_INPUT, KIND_BAD_INPUT)
    except ScoringError as exc:
        return _fail(args, str(exc), EXIT_ENGINE, ErrorKind.ENGINE)
    except OSError as exc:  # writing the report
        return _fail(args, f"Could not write the results to {args.out}: {exc.strerror or exc}.", EXIT_BAD_INPUT,
                     KIND_BAD_INPUT)
    except KeyboardInterrupt:
        return fail("Stopped.", EXIT_INTERRUPTED)


def _evaluate(args: argparse.Namespace) -> int:
    references = load_references(args.references)
    chosen = choose_subset(references.image_ids, args.limit, args.seed)
    if args.images is not None:
        return _describe_images(args, references, chosen)
    answers = matched(references, chosen, load_predictions(args.predictions), args.predictions)
    scores = score(references.captions, answers)
    summary = report.summary(scores, answers, {"limit": args.limit, "seed": args.seed})
    if args.out is not None:
        report.write(args.out, summary, scores)
    print(json.dumps({"event": "scores", **summary}) if args.json else report.markdown(summary), flush=True)
    return EXIT_OK


def _describe_images(args: argparse.Namespace, references, chosen: list[int]) -> int:
    """NOT YET WIRED: the model-running mode.

    What is in place: the subset (`chosen`), the images checked against the references
    (`find_images`), and the per-image answer cache and report (answers.AnswerCache, report).
    What is left: for each `AnswerCache.pending` image, describe it through the app's describe
    flow with --model-dir/--detail/--second-look, `put` the answer with its time, show a progress
    bar with the running scores, then score `AnswerCache.answers` as the --predictions path does.
    """
    find_images(args.images, references, chosen)
    return _fail(args, NOT_YET_AVAILABLE, EXIT_BAD_INPUT, KIND_BAD_INPUT)
