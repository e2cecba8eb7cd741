"""Caption scores exactly as the COCO caption toolkit (pycocoevalcap) computes them.

The same steps as pycocoevalcap's COCOEvalCap.evaluate (eval.py): Stanford's PTB tokenizer on
references and answers, then BLEU-1..4, METEOR 1.5, ROUGE-L and CIDEr (SPICE is left out: it
downloads Stanford CoreNLP models on first use, and the paper does not report it). All on the
toolkit's 0-1 scale. The tokenizer and METEOR are Java programs, so a Java runtime must be on PATH.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from dataclasses import dataclass

# pycocoevalcap's metric names, in its order.
BLEU = ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4")
METRICS = BLEU + ("METEOR", "ROUGE_L", "CIDEr")
JAVA = "java"


class ScoringError(RuntimeError):
    """The toolkit could not run (no Java, a tokenizer that could not write its file); the message says why."""


@dataclass(frozen=True)
class Scores:
    corpus: dict[str, float]  # metric -> score over all images
    per_image: dict[int, dict[str, float]]  # image id -> metric -> score


def _one_line(text: str) -> str:
    # The PTB tokenizer reads one caption per line (-preserveLines) and the toolkit pairs its output
    # lines back with images by position, so a caption must not contain any line break.
    return " ".join(text.split())


@contextlib.contextmanager
def _quiet_java():
    """The tokenizer's Java child writes a line of statistics to the inherited stderr per call."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _close_meteor(meteor) -> None:
    # pycocoevalcap's Meteor only kills its Java child in __del__ and never waits for it.
    process = meteor.meteor_p
    for stream in (process.stdin, process.stdout, process.stderr):
        stream.close()
    process.wait()


def score(references: dict[int, list[str]], answers: dict[int, str]) -> Scores:
    """Score each image's one answer against its references (both keyed by the same image ids)."""
    if shutil.which(JAVA) is None:
        raise ScoringError("Scoring needs a Java runtime: the COCO caption toolkit's tokenizer and METEOR are Java "
                           "programs. Install one (on Debian or Ubuntu: apt-get install default-jre-headless) and run again.")
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    ids = sorted(answers)
    gts = {i: [{"caption": _one_line(c)} for c in references[i]] for i in ids}
    res = {i: [{"caption": _one_line(answers[i])}] for i in ids}
    try:
        tokenizer = PTBTokenizer()
        with _quiet_java():
            gts, res = tokenizer.tokenize(gts), tokenizer.tokenize(res)
    except OSError as exc:  # it writes its input next to its own jar, in the installed package
        raise ScoringError(f"The COCO caption toolkit's tokenizer could not run: {exc}.") from exc
    corpus: dict[str, float] = {}
    per_image: dict[int, dict[str, float]] = {i: {} for i in ids}

    def keep(metric: str, total: float, each) -> None:
        corpus[metric] = float(total)
        for image_id, value in zip(ids, each):
            per_image[image_id][metric] = float(value)

    bleu, bleu_each = Bleu(4).compute_score(gts, res, verbose=0)
    for n, metric in enumerate(BLEU):
        keep(metric, bleu[n], bleu_each[n])
    meteor = Meteor()
    try:
        keep("METEOR", *meteor.compute_score(gts, res))
    finally:
        _close_meteor(meteor)
    keep("ROUGE_L", *Rouge().compute_score(gts, res))
    keep("CIDEr", *Cider().compute_score(gts, res))
    return Scores(corpus, per_image)
