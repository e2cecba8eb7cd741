"""`python main.py evaluate`: score captions against COCO references, as the paper's table does.

--predictions FILE scores answers already made (COCO results format). --images DIR describes
each image with the app's own engine, prompts and describe flow first (engine/evaluate/describing.py),
keeping each answer in --out as it is made (engine/evaluate/answers.py) so an interrupted run
resumes; with --predictions, the images are only looked at, to find the black, blank and
one-colour ones. Beside the paper's scores, the figures for this app's users
(engine/evaluate/figures.py). Exit codes as `describe`: 0 done, 2 bad input, 3 model problem,
4 engine or scoring failed, 130 interrupted.
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
from engine.evaluate.figures import app_figures, find_uniform, says_so_rule
from engine.evaluate.scoring import ScoringError, score
from engine.evaluate import report

DEFAULT_OUT = Path("evaluation")  # for --images without --out: answers must be kept somewhere to resume


def add_parser(sub: argparse._SubParsersAction) -> None:
    from engine.prompts import DEFAULT_DETAIL, DETAIL_LEVELS

    p = sub.add_parser("evaluate", help="score captions against COCO references with the COCO caption toolkit",
                       description="Score captions as the paper does, and report beside its scores the figures for "
                                   "this app's users: words per answer, seconds per image, the word recall of text "
                                   "known to be in an image, and whether the answer to a black, blank or one-colour "
                                   "image says so. " + says_so_rule())
    p.add_argument("--predictions", type=Path, metavar="FILE",
                   help='answers to score, COCO results format: [{"image_id": N, "caption": "..."}]')
    p.add_argument("--images", type=Path, metavar="DIR",
                   help="describe these images (COCO val) with the app's engine, then score; with --predictions, "
                        "only look at them to find the black, blank and one-colour images")
    p.add_argument("--references", type=Path, required=True, metavar="CAPTIONS.json",
                   help="COCO captions file with 'images' and 'annotations', e.g. captions_val2014.json; an "
                        "'images' entry may add \"text\": the text known to be in it (a rendered screen), one string "
                        "or a list of lines, whose word recall in the answer is reported")
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
    if args.predictions is None and args.images is None:
        raise EvaluationInputError("Name the answers to score (--predictions FILE) or the images to describe "
                                   "(--images DIR).")
    references = load_references(args.references)
    chosen = choose_subset(references.image_ids, args.limit, args.seed)
    if args.predictions is None:
        return _describe_images(args, references, chosen)
    answers = matched(references, chosen, load_predictions(args.predictions), args.predictions)
    shades = None if args.images is None else find_uniform(find_images(args.images, references, chosen))
    return _report(args, references, answers, shades, None, None)


def _report(args: argparse.Namespace, references, answers: dict[int, str], shades: dict[int, str] | None,
            seconds: dict[int, float] | None, run: dict | None) -> int:
    scores = score(references.captions, answers)
    figures = app_figures(answers, references.known_text, shades, seconds)
    summary = report.summary(scores, figures, {"limit": args.limit, "seed": args.seed}, run)
    if args.out is not None:
        report.write(args.out, summary, scores, figures)
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
    seconds = {image_id: record["seconds"] for image_id, record in records.items()}
    run = {"detail": args.detail, "second_look": args.second_look, "model": pair.model_path.name,
           "mmproj": pair.mmproj_path.name}
    return _report(args, references, answers, find_uniform(paths), seconds, run)
