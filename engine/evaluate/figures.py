"""Figures this app's users care about, beside the paper's scores.

- Known text (an `images` entry's "text", engine/evaluate/coco.py): the share of its words the
  answer has, by engine.ocr.recall.word_recall (the measure `read` is tested and benchmarked
  with); per image and as the mean over the images with known text. Absent when none has any.
- Black, blank and one-colour images, found as the app finds them (engine.images.check_uniform):
  whether the answer says so (says_uniform), as a count and a share. It needs the images, so it
  is NOT_MEASURED for --predictions without --images, and absent when no image is uniform.
- Answer length in words (as engine.ocr.recall splits them: each CJK character is one) and the
  seconds each image took, mean and median; NOT_MEASURED for answers given with --predictions.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from engine.evaluate.coco import EvaluationInputError
from engine.images import SHADE_BLACK, SHADE_COLOUR, SHADE_WHITE
from engine.ocr.recall import word_recall, words

NOT_MEASURED = "not measured"

# "The answer says so" when one of these terms is in it as whole words, compared as
# engine.ocr.recall.words splits and case-folds text (each CJK character is a word, so a Chinese
# term is its characters in a row): a term for any such image, or one for the image's shade. A
# mention is counted, not understood: "not black" and "a black cat" count for a black image too.
ONE_COLOUR = tuple(f"{one} {colour}" for one in ("one", "single", "solid", "flat", "plain")
                   for colour in ("colour", "color")) + ("一种颜色", "纯色", "单色")
ANY_SHADE_TERMS = ("blank", "empty", "uniform", "nothing", "空白", "什么都没有", "没有内容") + ONE_COLOUR
SHADE_TERMS = {SHADE_BLACK: ("black", "dark", "黑"), SHADE_WHITE: ("white", "白"), SHADE_COLOUR: ()}

RECALL_DIGITS = 4
MEAN_DIGITS = 2


def says_uniform(answer: str, shade: str) -> bool:
    """Whether `answer` says its image is black, blank or one colour (`shade` as Uniformity.shade)."""
    said = words(answer)
    for term in ANY_SHADE_TERMS + SHADE_TERMS[shade]:
        wanted = words(term)
        if any(said[i:i + len(wanted)] == wanted for i in range(len(said) - len(wanted) + 1)):
            return True
    return False


def says_so_rule() -> str:
    """The rule of says_uniform in words, for `evaluate --help`."""
    return (f"An answer to a black, blank or one-colour image says so when it has, as whole words, one of: "
            f"{', '.join(ANY_SHADE_TERMS)}; for a black image also {', '.join(SHADE_TERMS[SHADE_BLACK])}, "
            f"for a white one also {', '.join(SHADE_TERMS[SHADE_WHITE])} (a mention counts: \"not black\" too).")


def find_uniform(paths: dict[int, Path]) -> dict[int, str]:
    """Image id -> shade, for the images the app would answer without the model (read as `describe` reads them)."""
    from engine.images import ImageError, check_uniform, load_image

    shades: dict[int, str] = {}
    for image_id, path in paths.items():
        try:
            uniform = check_uniform(load_image(path))
        except ImageError as exc:
            raise EvaluationInputError(f"{path.name} (image {image_id}): {exc}") from exc
        if uniform.is_uniform:
            shades[image_id] = uniform.shade
    return shades


@dataclass(frozen=True)
class Figures:
    summary: dict  # the figures over all images, as the report and --json give them
    per_image: dict[int, dict]  # image id -> its own figures, for scores.json


def _mean_median(values: list[float], digits: int = MEAN_DIGITS) -> dict:
    return {"mean": round(statistics.fmean(values), digits), "median": round(statistics.median(values), digits)}


def app_figures(answers: dict[int, str], known_text: dict[int, list[str]], shades: dict[int, str] | None,
                seconds: dict[int, float] | None) -> Figures:
    """`shades` from find_uniform (None: the images were not looked at); `seconds` None for given answers."""
    per_image: dict[int, dict] = {i: {"answer_words": len(words(text))} for i, text in answers.items()}
    summary: dict = {"answer_words": _mean_median([f["answer_words"] for f in per_image.values()])}
    if seconds is None:
        summary["seconds_per_image"] = NOT_MEASURED
    else:
        for image_id in answers:
            per_image[image_id]["seconds"] = seconds[image_id]
        summary["seconds_per_image"] = _mean_median([seconds[i] for i in answers])
    recalls = {i: round(word_recall(known_text[i], [answers[i]]), RECALL_DIGITS) for i in answers if i in known_text}
    if recalls:
        for image_id, recall in recalls.items():
            per_image[image_id]["word_recall"] = recall
        summary["known_text"] = {"images": len(recalls),
                                 "word_recall_mean": round(statistics.fmean(recalls.values()), RECALL_DIGITS),
                                 "word_recall": {str(i): r for i, r in sorted(recalls.items())}}
    if shades is None:
        summary["uniform_images"] = NOT_MEASURED
    elif uniform := {i: says_uniform(answers[i], shade) for i, shade in shades.items() if i in answers}:
        for image_id, is_said in uniform.items():
            per_image[image_id].update(uniform=shades[image_id], says_uniform=is_said)
        said = sum(uniform.values())
        summary["uniform_images"] = {"images": len(uniform), "said_so": said,
                                     "share": round(said / len(uniform), RECALL_DIGITS),
                                     "said_so_by_image": {str(i): s for i, s in sorted(uniform.items())}}
    return Figures(summary, per_image)
