"""`evaluate --predictions` gives the numbers the COCO caption toolkit gives when called directly."""

from __future__ import annotations

import json

import pytest

from engine.evaluate.scoring import METRICS, score
from tests.engine.evaluate.conftest import PREDICTIONS, REFERENCES, run_evaluate, write_json


def toolkit_directly(references: dict, predictions: list[dict]) -> dict[str, float]:
    """pycocoevalcap's own steps (COCOEvalCap.evaluate), without this app's code."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

    gts = {image["id"]: [] for image in references["images"]}
    for note in references["annotations"]:
        gts[note["image_id"]].append({"caption": note["caption"]})
    res = {p["image_id"]: [{"caption": p["caption"]}] for p in predictions}
    tokenizer = PTBTokenizer()
    gts, res = tokenizer.tokenize(gts), tokenizer.tokenize(res)
    bleu, _ = Bleu(4).compute_score(gts, res, verbose=0)
    meteor = Meteor()
    meteor_score, _ = meteor.compute_score(gts, res)
    meteor.meteor_p.stdin.close()
    meteor.meteor_p.stdout.close()
    meteor.meteor_p.stderr.close()
    meteor.meteor_p.wait()
    rouge, _ = Rouge().compute_score(gts, res)
    cider, _ = Cider().compute_score(gts, res)
    return dict(zip(METRICS, [*bleu, meteor_score, rouge, cider]))


def test_predictions_score_as_the_toolkit_called_directly(java, tmp_path):
    refs = write_json(tmp_path / "captions.json", REFERENCES)
    preds = write_json(tmp_path / "results.json", PREDICTIONS)
    proc = run_evaluate("--predictions", str(preds), "--references", str(refs), "--out", str(tmp_path / "out"), "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # the toolkit's Java chatter is kept off the user's terminal
    got = json.loads(proc.stdout)
    want = toolkit_directly(REFERENCES, PREDICTIONS)
    assert got["scores"] == pytest.approx(want, rel=1e-12)
    assert got["scores_x100"] == pytest.approx({m: round(v * 100, 2) for m, v in want.items()})
    assert got["images"] == 4 and got["paper"]["value"] == 28.59
    written = json.loads((tmp_path / "out" / "scores.json").read_text())
    assert written["scores"] == got["scores"] and set(written["per_image"]) == {"11", "22", "33", "44"}
    table = (tmp_path / "out" / "scores.md").read_text()
    assert f"| BLEU-4 | {want['Bleu_4']:.4f} | {want['Bleu_4'] * 100:.2f} |" in table
    assert "| 28.59 |" in table


def test_an_identical_caption_scores_one_and_a_half_right_one_half(java):
    # By hand: the same words give every n-gram precision 1 and no brevity penalty, so BLEU-4 = 1;
    # "a cat" against "a dog" matches one unigram of two at equal length, so BLEU-1 = 1/2.
    same = score({1: ["a dog runs on the grass"]}, {1: "a dog runs on the grass"})
    assert same.corpus["Bleu_4"] == pytest.approx(1.0, abs=1e-6)
    assert same.corpus["METEOR"] == pytest.approx(1.0, abs=1e-6)
    assert same.corpus["ROUGE_L"] == pytest.approx(1.0)
    half = score({1: ["a dog"]}, {1: "a cat"})
    assert half.corpus["Bleu_1"] == pytest.approx(0.5, abs=1e-6)
