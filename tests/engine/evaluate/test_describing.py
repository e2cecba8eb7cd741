"""`evaluate --images` end to end: the tiny real model describes generated images through the describe flow.

The answers are gibberish (random weights): these tests prove the pipeline (the flow, the answer
cache, resuming, the report), not the scores.
"""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from engine.evaluate.describing import whole_description
from tests.engine.evaluate.conftest import REFERENCES, ROOT, render_screen, run_evaluate, write_json

EXIT_OK, EXIT_BAD_INPUT, EXIT_MODEL, EXIT_INTERRUPTED = 0, 2, 3, 130
N_IMAGES = len(REFERENCES["images"])
SCREEN_ID, BLACK_ID = 22, 33
SCREEN_TEXT = ["Save changes", "Cancel"]


@pytest.fixture(scope="module")
def model_dir(conversions):
    return conversions.get("internvl", "Q4_K_M", "f16").model_path.parent


@pytest.fixture
def coco(tmp_path):
    """The references and their images as COCO ships them (JPEG); image 33 is all black, and image 22
    a screen whose text the references give."""
    images = tmp_path / "val2014"
    images.mkdir()
    rng = np.random.default_rng(7)
    for entry in REFERENCES["images"]:
        pixels = (np.zeros((120, 160, 3), np.uint8) if entry["id"] == BLACK_ID
                  else rng.integers(0, 256, (120, 160, 3), dtype=np.uint8))
        Image.fromarray(pixels).save(images / entry["file_name"], "JPEG")
    screen = REFERENCES["images"][1]
    assert screen["id"] == SCREEN_ID
    render_screen(SCREEN_TEXT, images / screen["file_name"], (160, 120))
    references = {**REFERENCES, "images": [{**entry, "text": SCREEN_TEXT} if entry is screen else entry
                                           for entry in REFERENCES["images"]]}
    return images, write_json(tmp_path / "captions.json", references)


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_whole_description_joins_the_answers_on_one_line():
    assert whole_description(["A room.\n", "", "  A chair\nby the door. "]) == "A room. A chair by the door."


def test_describes_scores_and_resumes_after_an_interruption(java, model_dir, coco, tmp_path):
    images, refs = coco
    out = tmp_path / "run"
    args = ["--images", str(images), "--references", str(refs), "--model-dir", str(model_dir), "--detail", "brief",
            "--out", str(out), "--json"]
    first = subprocess.Popen([sys.executable, "main.py", "evaluate", *args], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        answered = json.loads(first.stdout.readline())  # the first image is described and kept: stop now
        assert answered["event"] == "answer" and answered["done"] == 1 and answered["total"] == N_IMAGES
        first.send_signal(signal.SIGINT)
        rest, stderr = first.communicate(timeout=120)
    finally:
        first.kill()
    assert first.returncode == EXIT_INTERRUPTED, stderr
    assert stderr.strip() == "Stopped."
    kept = sorted(out.glob("answers/*.json"))
    assert 1 <= len(kept) < N_IMAGES, "stopped part way, with the finished answers kept"
    assert stat.S_IMODE((out / "answers").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in kept)
    kept_seconds = {int(path.stem): json.loads(path.read_text(encoding="utf-8"))["seconds"] for path in kept}

    again = run_evaluate(*args)
    assert again.returncode == EXIT_OK, again.stderr
    events = _events(again.stdout)
    answers = [e for e in events if e["event"] == "answer"]
    assert len(answers) == N_IMAGES - len(kept), "only the images not yet answered are described again"
    assert answers[-1]["done"] == N_IMAGES
    scores = events[-1]
    assert scores["event"] == "scores" and scores["images"] == N_IMAGES
    assert scores["run"]["detail"] == "brief" and scores["run"]["second_look"] is False
    assert set(scores["scores"]) == {"Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr"}
    black = json.loads((out / "answers" / "33.json").read_text(encoding="utf-8"))
    assert "black" in black["caption"].lower(), "a black image is said to be black, without the model"
    _check_figures(out, scores["for_users"], kept_seconds)
    predictions = json.loads((out / "predictions.json").read_text(encoding="utf-8"))
    assert sorted(p["image_id"] for p in predictions) == [11, 22, 33, 44]
    table = (out / "scores.md").read_text(encoding="utf-8")
    assert "BLEU-4" in table and "28.59" in table and "brief level" in table

    rescored = json.loads(run_evaluate("--predictions", str(out / "predictions.json"), "--references", str(refs),
                                       "--json").stdout)
    assert rescored["scores"] == scores["scores"], "the kept answers score the same again"
    assert rescored["for_users"]["seconds_per_image"] == "not measured"
    assert rescored["for_users"]["known_text"] == scores["for_users"]["known_text"]


def _check_figures(out, figures: dict, kept_seconds: dict[int, float]) -> None:
    """The figures for this app's users, with the times of the answers made before the interruption."""
    per_image = json.loads((out / "scores.json").read_text(encoding="utf-8"))["per_image"]
    seconds = {int(i): figure["seconds"] for i, figure in per_image.items()}
    assert sorted(seconds) == [11, 22, 33, 44]
    assert {i: seconds[i] for i in kept_seconds} == kept_seconds, "the times kept before the stop are reported"
    assert all(seconds[i] > 0 for i in seconds if i != BLACK_ID), "the model's answers take time"
    assert figures["seconds_per_image"]["mean"] == pytest.approx(sum(seconds.values()) / N_IMAGES, abs=0.006)
    assert figures["answer_words"]["mean"] > 0
    known = figures["known_text"]
    assert known["images"] == 1 and set(known["word_recall"]) == {str(SCREEN_ID)}
    assert 0 <= known["word_recall_mean"] <= 1
    assert figures["uniform_images"] == {"images": 1, "said_so": 1, "share": 1.0, "said_so_by_image": {"33": True}}
    table = (out / "scores.md").read_text(encoding="utf-8")
    assert "| for this app's users | this run |" in table and "| seconds per image, mean / median |" in table
    assert "not measured" not in table


def test_a_folder_made_with_other_settings_is_refused(java, model_dir, coco, tmp_path):
    images, refs = coco
    out = tmp_path / "run"
    base = ["--images", str(images), "--references", str(refs), "--model-dir", str(model_dir), "--out", str(out),
            "--limit", "1"]
    assert run_evaluate(*base, "--detail", "brief").returncode == EXIT_OK
    refused = run_evaluate(*base, "--detail", "detailed")
    # detailed in one pass is also grounded in the text (the text reader runs beside it), brief is not
    assert refused.returncode == EXIT_BAD_INPUT and "other settings (detail, text_grounding)" in refused.stderr, \
        refused.stderr
    assert "Traceback" not in refused.stderr


def test_the_second_look_is_part_of_the_caption(java, model_dir, tmp_path):
    """A picture larger than the overview tile: the glance and its close-ups, all in the one caption."""
    images = tmp_path / "val2014"
    images.mkdir()
    refs = write_json(tmp_path / "captions.json", {"images": [REFERENCES["images"][0]],
                                                     "annotations": [REFERENCES["annotations"][0]]})
    big = np.random.default_rng(3).integers(0, 256, (900, 1600, 3), dtype=np.uint8)
    Image.fromarray(big).save(images / REFERENCES["images"][0]["file_name"], "JPEG")
    out = tmp_path / "run"
    proc = run_evaluate("--images", str(images), "--references", str(refs), "--model-dir", str(model_dir),
                        "--detail", "brief", "--second-look", "--out", str(out), "--json")
    assert proc.returncode == EXIT_OK, proc.stderr
    assert _events(proc.stdout)[-1]["run"]["second_look"] is True
    caption = json.loads((out / "answers" / "11.json").read_text(encoding="utf-8"))["caption"]
    assert "\n" not in caption and caption.strip()


def test_no_model_is_a_model_problem(coco, tmp_path):
    images, refs = coco
    proc = run_evaluate("--images", str(images), "--references", str(refs), "--model-dir", str(tmp_path / "none"))
    assert proc.returncode == EXIT_MODEL and "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("detail,is_second_look,reads", [("brief", False, False), ("standard", False, False),
                                                         ("detailed", False, True), ("standard", True, True)])
def test_evaluate_grounds_descriptions_in_the_text_as_the_app_does(detail, is_second_look, reads):
    from engine.evaluate.describing import Settings

    assert Settings(detail, is_second_look).reads_text is reads  # the text reader then runs beside the model
