"""`python main.py evaluate`: each bad input is one plain message with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.engine.evaluate.conftest import PREDICTIONS, REFERENCES, ROOT, run_evaluate, write_json

EXIT_BAD_INPUT = 2


def assert_refused(proc, *phrases: str) -> None:
    assert proc.returncode == EXIT_BAD_INPUT, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    for phrase in phrases:
        assert phrase in lines[0]


@pytest.fixture
def refs(tmp_path):
    return write_json(tmp_path / "captions.json", REFERENCES)


def _help(*command: str) -> str:
    proc = subprocess.run([sys.executable, "main.py", *command, "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    return " ".join(proc.stdout.split())


def test_help_lists_evaluate():
    assert "evaluate" in _help()


def test_neither_answers_nor_images(refs):
    assert_refused(run_evaluate("--references", str(refs)), "--predictions FILE", "--images DIR")


def test_references_not_in_coco_format(tmp_path):
    bad = write_json(tmp_path / "captions.json", [{"image_id": 1, "caption": "a cat"}])
    preds = write_json(tmp_path / "results.json", PREDICTIONS)
    assert_refused(run_evaluate("--predictions", str(preds), "--references", str(bad)), "not in COCO captions format")


def test_an_image_listed_but_missing_from_the_predictions(refs, tmp_path):
    preds = write_json(tmp_path / "results.json", PREDICTIONS[:3])
    proc = run_evaluate("--predictions", str(preds), "--references", str(refs), "--json")
    assert_refused(proc, "no caption for image 44", "1 of 4 images missing")
    event = json.loads(proc.stdout)
    assert event == {"event": "error", "kind": "bad_input", "message": proc.stderr.strip(), "exit_code": 2}


@pytest.mark.parametrize("content, phrase", [("", "is empty"), ("[]", "holds no captions"), ("{", "not JSON")])
def test_an_empty_or_broken_predictions_file(refs, tmp_path, content, phrase):
    preds = tmp_path / "results.json"
    preds.write_text(content)
    assert_refused(run_evaluate("--predictions", str(preds), "--references", str(refs)), phrase)


def test_an_empty_images_folder(refs, tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    assert_refused(run_evaluate("--images", str(images), "--references", str(refs)), "is empty")


def test_limit_and_seed_pick_the_same_subset_every_time(java, refs, tmp_path):
    preds = write_json(tmp_path / "results.json", PREDICTIONS)
    runs = [run_evaluate("--predictions", str(preds), "--references", str(refs), "--limit", "2", "--seed", str(seed),
                         "--json") for seed in (5, 5, 6)]
    first, again, other = (json.loads(p.stdout) for p in runs)
    assert first["images"] == 2 and first["selection"] == {"limit": 2, "seed": 5}
    assert first["scores"] == again["scores"]
    assert other["scores"] != first["scores"]  # seed 6 picks another pair of these four images


def test_help_says_how_known_text_is_given_and_what_says_so_means():
    text = _help("evaluate")
    assert "'images' entry may add \"text\"" in text and "one string or a list of lines" in text
    assert "says so when it has, as whole words, one of: blank, empty" in text
