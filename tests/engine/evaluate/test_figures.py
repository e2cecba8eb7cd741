"""The figures for this app's users: known text's word recall, uniform images said so, length and time.

The predictions are made by hand so each figure has an answer worked out below; the images are real
files (a screen drawn with DejaVu Sans, black, white and red PNGs, noise) read as the app reads them.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from engine.evaluate.figures import NOT_MEASURED, says_uniform
from engine.images import SHADE_BLACK, SHADE_COLOUR, SHADE_WHITE, check_uniform
from tests.engine.evaluate.conftest import PREDICTIONS, REFERENCES, render_screen, run_evaluate, write_json

SETTINGS_TEXT = "Network settings\nSave changes to report\nCancel\nSave"  # 8 words, "save" twice
BATTERY_TEXT = ["Battery 85%", "Wireless connected"]
UNIFORM = {3: (0, 0, 0), 4: (200, 30, 30), 5: (255, 255, 255)}
IMAGES = [{"id": 1, "file_name": "settings.png", "text": SETTINGS_TEXT},
          {"id": 2, "file_name": "battery.png", "text": BATTERY_TEXT},
          {"id": 3, "file_name": "black.png"}, {"id": 4, "file_name": "red.png"},
          {"id": 5, "file_name": "white.png"}, {"id": 6, "file_name": "noise.png"}]
SCREENS = {1: SETTINGS_TEXT.splitlines(), 2: BATTERY_TEXT}
ANSWERS = {
    1: "The Network settings window has a Cancel button and a Save button.",  # 12 words; 4 of 8 known: 0.5
    2: "BATTERY at 85% and wireless, connected.",  # 6 words; all 4 known (case and commas aside): 1.0
    3: "The screen is completely black.",  # 5 words; black, said so
    4: "A photo of a red car.",  # 6 words; one colour, not said so
    5: "The page is white.",  # 4 words; white, said so
    6: "Some noise.",  # 2 words
}


@pytest.mark.parametrize("answer, shade, is_said", [
    ("The image is completely black.", SHADE_BLACK, True),
    ("The screen is blank.", SHADE_BLACK, True),
    ("Nothing is visible here.", SHADE_COLOUR, True),
    ("一片漆黑，看不见东西。", SHADE_BLACK, True),
    ("The image is completely white.", SHADE_BLACK, False),  # the wrong shade is not saying so
    ("A teacher writes on a blackboard.", SHADE_BLACK, False),  # whole words only
    ("A plain white page.", SHADE_WHITE, True),
    ("The picture is one COLOR from edge to edge.", SHADE_COLOUR, True),
    ("A single, solid colour fills it.", SHADE_COLOUR, True),
    ("整个画面是纯色的。", SHADE_COLOUR, True),
    ("A red square on a wooden table.", SHADE_COLOUR, False),
    ("One colourful kite.", SHADE_COLOUR, False),
    ("", SHADE_WHITE, False),
])
def test_what_counts_as_saying_an_image_is_uniform(answer, shade, is_said):
    assert says_uniform(answer, shade) is is_said


@pytest.mark.parametrize("colour, shade", [((0, 0, 0), SHADE_BLACK), ((255, 255, 255), SHADE_WHITE),
                                           ((40, 90, 160), SHADE_COLOUR)])
def test_the_apps_own_sentence_for_a_uniform_image_says_so(colour, shade):
    uniform = check_uniform(np.full((60, 80, 3), colour, np.uint8))
    assert uniform.shade == shade
    assert says_uniform(uniform.describe(), shade)


@pytest.fixture
def screens(tmp_path):
    """The six images, their references (with the known text) and the hand-made answers."""
    images = tmp_path / "images"
    images.mkdir()
    for image_id, lines in SCREENS.items():
        render_screen(lines, images / IMAGES[image_id - 1]["file_name"])
    for image_id, colour in UNIFORM.items():
        Image.new("RGB", (160, 120), colour).save(images / IMAGES[image_id - 1]["file_name"])
    noise = np.random.default_rng(5).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    Image.fromarray(noise).save(images / "noise.png")
    references = {"images": IMAGES, "annotations": [
        {"id": i, "image_id": i, "caption": f"A picture, number {i}."} for i in ANSWERS]}
    predictions = [{"image_id": i, "caption": caption} for i, caption in ANSWERS.items()]
    return (images, write_json(tmp_path / "captions.json", references),
            write_json(tmp_path / "results.json", predictions))


def test_given_answers_get_each_figure_worked_out_by_hand(java, screens, tmp_path):
    images, refs, preds = screens
    out = tmp_path / "out"
    proc = run_evaluate("--predictions", str(preds), "--images", str(images), "--references", str(refs),
                        "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout)["for_users"]
    assert figures["answer_words"] == {"mean": 5.83, "median": 5.5}  # 12, 6, 5, 6, 4, 2
    assert figures["seconds_per_image"] == NOT_MEASURED
    assert figures["known_text"] == {"images": 2, "word_recall_mean": 0.75, "word_recall": {"1": 0.5, "2": 1.0}}
    assert figures["uniform_images"] == {"images": 3, "said_so": 2, "share": 0.6667,
                                         "said_so_by_image": {"3": True, "4": False, "5": True}}
    written = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    assert written["for_users"] == figures
    assert written["per_image"]["1"]["word_recall"] == 0.5 and written["per_image"]["1"]["answer_words"] == 12
    assert written["per_image"]["4"]["uniform"] == "colour" and written["per_image"]["4"]["says_uniform"] is False
    assert "uniform" not in written["per_image"]["6"] and "word_recall" not in written["per_image"]["6"]
    table = (out / "scores.md").read_text(encoding="utf-8")
    assert "| for this app's users | this run |" in table
    assert "| words per answer, mean / median | 5.83 / 5.5 |" in table
    assert "| seconds per image, mean / median | not measured (answers given with --predictions) |" in table
    assert "| word recall of the text known to be in the image, mean over 2 images | 0.7500 |" in table
    assert "| black, blank or one-colour images whose answer says so | 2 of 3 (67%) |" in table


def test_without_images_the_uniform_figure_is_not_measured_and_without_text_recall_is_absent(java, tmp_path):
    refs = write_json(tmp_path / "captions.json", REFERENCES)
    preds = write_json(tmp_path / "results.json", PREDICTIONS)
    proc = run_evaluate("--predictions", str(preds), "--references", str(refs), "--json")
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout)["for_users"]
    assert figures["uniform_images"] == NOT_MEASURED and "known_text" not in figures
    table = run_evaluate("--predictions", str(preds), "--references", str(refs)).stdout
    assert "| black, blank or one-colour images whose answer says so | not measured (no --images) |" in table
    assert "word recall" not in table


def test_an_image_that_cannot_be_read_is_named(screens):
    images, refs, preds = screens
    (images / "red.png").write_bytes(b"not a picture")
    proc = run_evaluate("--predictions", str(preds), "--images", str(images), "--references", str(refs))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip() == "red.png (image 4): This file is not an image, or its format is not supported."
