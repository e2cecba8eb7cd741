"""`python main.py evaluate`: score captions against COCO references, as the paper's table does.

--predictions FILE scores answers already made (COCO results format). --images DIR describes
each image with the app's own engine, prompts and describe flow first (engine/evaluate/describing.py),
keeping each answer in --out as it is made (engine/evaluate/answers.py) so an interrupted run
resumes. Exit codes as `describe`: 0 done, 2 bad input, 3 model problem, 4 engine or scoring
failed, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.cli import EXIT_BAD_INPUT, EXIT_ENGINE, EXIT_INTERRUPTED, EXIT_MODEL, EXIT_OK, KIND_BAD_INPUT, fail
from engine.protocol import ErrorKind
from engine.evaluate.coco import (
    EvaluationInputError, choose_subset, find_images, load_predictions, load_references, matched,
)
from engine.evaluate.scoring import ScoringError, score
from engine.evaluate import report

DEFAULT_OUT = Path("evaluation")  # for --images without --out: answers must be kept somewhere to resume


def add_parser(sub: argparse._SubParsersAction) -> None:
    from engine.prompts import DEFAULT_DETAIL, DETAIL_LEVELS

    p = sub.add_parser("evaluate", help="score captions against COCO references with the COCO caption toolkit")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--predictions", type=Path, metavar="FILE",
                        help='answers to score, COCO results format: [{"image_id": N, "caption": "..."}]')
    source.add_argument("--images", type=Path, metavar="DIR",
                        help="describe these images (COCO val) with the app's engine, then score")
    p.add_argument("--references", type=Path, required=True, metavar="CAPTIONS.json",
                   help="COCO captions file with 'images' and 'annotations', e.g. captions_val2014.json")
    p.add_argument("--model-dir", help="folder with the GGUF pair, for --images")
    p.add_argument("--detail", choices=DETAIL_LEVELS, default=DEFAULT_DETAIL, help="detail level, for --images")
    p.add_argument("--second-look", action="store_true", help="add the second, sharper look, for --images")
    p.add_argument("--limit", type=int, help="score a reproducible subset of N images (the paper used 600)")
    p.add_argument("--seed", type=int, default=0, help="which subset --limit picks (default 0)")
    p.add_argument("--threads", type=int, help="CPU threads for the model, for --images (default: one per core)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="write scores.json and scores.md here, and for --images the answers, kept as they are made "
                        f"so a stopped run resumes (default for --images: ./{DEFAULT_OUT})")
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
    from engine.evaluate.answers import AnswerCache
    from engine.evaluate.describing import DescribeError, Progress, Settings, describe_pending
    from engine.images import ImageError
    from engine.model_files import ModelFileError, find_model_pair, resolve_model_dir

    paths = find_images(args.images, references, chosen)
    try:
        pair = find_model_pair(resolve_model_dir(args.model_dir))
    except ModelFileError as exc:
        return _fail(args, str(exc), EXIT_MODEL, ErrorKind.MODEL)
    args.out = args.out or DEFAULT_OUT
    settings = Settings(args.detail, args.second_look)
    cache = AnswerCache(args.out, settings.for_cache(pair))
    done = len(chosen) - len(cache.pending(chosen))
    progress = Progress(len(chosen), done, references.captions, cache, chosen, args.json)
    try:
        describe_pending(pair, settings, paths, cache, n_threads=args.threads, progress=progress)
    except DescribeError as exc:
        return _fail(args, f"{exc} The answers made so far are kept in {args.out}; run again to go on.",
                     exc.exit_code, exc.kind)
    except ImageError as exc:
        return _fail(args, f"{exc} The answers made so far are kept in {args.out}.", EXIT_BAD_INPUT, KIND_BAD_INPUT)
    finally:
        progress.close()
    cache.write_predictions(chosen)
    records = cache.answers(chosen)
    answers = {image_id: record["caption"] for image_id, record in records.items()}
    scores = score(references.captions, answers)
    seconds = [record["seconds"] for record in records.values()]
    summary = report.summary(scores, answers, {"limit": args.limit, "seed": args.seed},
                             run={"detail": args.detail, "second_look": args.second_look, "model": pair.model_path.name,
                                  "mmproj": pair.mmproj_path.name, "seconds_per_image_mean":
                                  round(sum(seconds) / len(seconds), 2)})
    report.write(args.out, summary, scores)
    print(json.dumps({"event": "scores", **summary}) if args.json else report.markdown(summary), flush=True)
    return EXIT_OK
