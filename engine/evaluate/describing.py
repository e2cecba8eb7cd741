"""`evaluate --images`: each image described through the app's own describe flow, answers kept as made.

The same path as `describe`: the image file read and checked as the app reads it, a black, blank
or one-colour image answered honestly without the model, the request built by
engine.flow.description_request (the glance, then the level's close-ups with --second-look), and
engine/flow_run.py driving the one flow, with the text reader beside it where the app has one (the
close-ups and a one-pass detailed description are grounded in the image's text). The caption scored is the whole description: the first
answer and every close-up's answer, in order. Each answer is kept in the output folder the moment
it is made (engine/evaluate/answers.py), so an interrupted run resumes with the next image.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from engine.cli import EXIT_ENGINE, EXIT_MODEL
from engine.evaluate.answers import AnswerCache

EVENT_TIMEOUT_S = 0.5  # how often the wait for the worker looks up (Ctrl+C is seen between waits)


class DescribeError(RuntimeError):
    """The engine could not describe an image; `exit_code` and `kind` as `describe` uses them."""

    def __init__(self, message: str, exit_code: int, kind: str):
        super().__init__(message)
        self.exit_code, self.kind = exit_code, kind


@dataclass(frozen=True)
class Settings:
    detail: str
    is_second_look: bool

    @property
    def reads_text(self) -> bool:
        """Whether descriptions are grounded in the image's text, as in the app: the close-ups, or a
        one-pass description at a level that reads text."""
        from engine.prompts import detail_level

        return self.is_second_look or detail_level(self.detail).reads_text

    def for_cache(self, pair) -> dict:
        """What the answers depend on: a folder made with other settings is refused, never mixed."""
        files = {path.name: path.stat().st_size for path in (pair.model_path, pair.mmproj_path)}
        return {"model_files": files, "detail": self.detail, "second_look": self.is_second_look,
                "text_grounding": self.reads_text}


def whole_description(texts: list[str]) -> str:
    """The first answer and the close-ups' answers as one caption (one line: the toolkit reads lines)."""
    return " ".join(" ".join(text.split()) for text in texts if text.strip())


def describe_pending(pair, settings: Settings, paths: dict[int, Path], cache: AnswerCache, *, n_threads: int | None,
                     progress) -> None:
    """Describe every image of `paths` that `cache` lacks, keeping each answer at once.

    `progress(image_id, seconds)` is called after each. Raises DescribeError (the model or the
    worker failed), engine.images.ImageError (an image could not be read) or KeyboardInterrupt.
    """
    from engine import flow_run
    from engine.client import EngineClient, WorkerLost
    from engine.protocol import ErrorKind, Failed

    pending = cache.pending(list(paths))
    if not pending:
        return
    client = EngineClient(pair, n_threads=n_threads)
    ocr = flow_run.start_text_reader(n_threads) if settings.reads_text else None
    try:
        client.start()
        loaded = client.wait_loaded()
        if isinstance(loaded, Failed):
            raise DescribeError(loaded.message, EXIT_MODEL, ErrorKind.MODEL)
        for ticket, image_id in enumerate(pending, start=1):
            started = time.monotonic()
            caption = _describe_one(client, ticket, paths[image_id], settings, ocr)
            seconds = time.monotonic() - started
            cache.put(image_id, paths[image_id].name, caption, seconds)
            progress(image_id, seconds)
    except WorkerLost as exc:
        raise DescribeError(str(exc), EXIT_ENGINE, exc.kind) from exc
    finally:
        client.close()
        if ocr is not None:
            ocr.close()


def _describe_one(client, ticket: int, path: Path, settings: Settings, ocr=None) -> str:
    from engine import flow, flow_run
    from engine.images import check_uniform, load_image
    from engine.protocol import ErrorKind

    image = load_image(path)  # as `describe` reads a file: regular files only, size-capped, plain errors
    uniform = check_uniform(image)
    if uniform.is_uniform:  # what the app says of such an image, with no model
        return uniform.describe()
    request = flow.description_request(ticket, image, settings.detail, None, is_glance_first=settings.is_second_look)
    texts: list[str] = []
    for event in flow_run.run(client, request, EVENT_TIMEOUT_S, ocr if request.reads_text else None):
        if isinstance(event, flow.PassDone):
            texts.append(event.text)
        elif isinstance(event, flow.Failed):
            raise DescribeError(f"{path.name}: {event.message}",
                                EXIT_MODEL if event.error == ErrorKind.MODEL else EXIT_ENGINE, event.error)
        elif isinstance(event, flow.Stopped):
            raise DescribeError(f"The description of {path.name} was cancelled.", EXIT_ENGINE, ErrorKind.ENGINE)
    return whole_description(texts)


class Progress:
    """A bar on stderr with a rough running BLEU-4, or with --json one event per image on stdout.

    The running score is pycocoevalcap's BLEU on lower-cased words split at spaces: quick enough
    to recompute after every image, but not the PTB tokenizer's tokens, so the final scores (the
    toolkit's whole pipeline) differ from it and are the ones to quote.
    """

    def __init__(self, total: int, done: int, references: dict[int, list[str]], cache: AnswerCache,
                 image_ids: list[int], as_json: bool):
        self._references, self._cache, self._ids, self._as_json = references, cache, image_ids, as_json
        self._total, self._done = total, done
        self._bar = None
        if not as_json:
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=done, desc="Describing", unit="image", file=sys.stderr,
                             dynamic_ncols=True)

    def __call__(self, image_id: int, seconds: float) -> None:
        self._done += 1
        bleu = self.rough_bleu4()
        if self._as_json:
            print(json.dumps({"event": "answer", "image_id": image_id, "seconds": round(seconds, 3),
                              "done": self._done, "total": self._total, "rough_bleu_4": round(bleu, 4)}), flush=True)
        else:
            self._bar.set_postfix_str(f"BLEU-4 about {bleu * 100:.1f}")
            self._bar.update(1)

    def rough_bleu4(self) -> float:
        from pycocoevalcap.bleu.bleu import Bleu

        answers = {i: r["caption"] for i, r in self._cache.answers(self._ids).items()}
        if not answers:
            return 0.0
        gts = {i: [" ".join(c.lower().split()) for c in self._references[i]] for i in answers}
        res = {i: [" ".join(answers[i].lower().split()) or "."] for i in answers}
        scores, _ = Bleu(4).compute_score(gts, res, verbose=0)
        return float(scores[3])

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
