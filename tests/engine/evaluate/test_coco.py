"""COCO references and results are checked before anything is scored; the subset is reproducible."""

from __future__ import annotations

import copy
import os

import pytest

from engine.evaluate.coco import (
    EvaluationInputError, choose_subset, find_images, load_predictions, load_references, matched,
)
from tests.engine.evaluate.conftest import PREDICTIONS, REFERENCES, write_json


def test_references_give_each_image_its_captions_and_file(tmp_path):
    refs = load_references(write_json(tmp_path / "c.json", REFERENCES))
    assert refs.image_ids == [11, 22, 33, 44]
    assert len(refs.captions[11]) == 2 and refs.file_names[33] == "COCO_val2014_000000000033.jpg"


def _broken(change) -> dict:
    data = copy.deepcopy(REFERENCES)
    change(data)
    return data


@pytest.mark.parametrize("data, phrase", [
    ([], "not in COCO captions format"),
    ({"images": REFERENCES["images"]}, "not in COCO captions format"),
    (_broken(lambda d: d["images"][0].pop("file_name")), "not in COCO captions format"),
    (_broken(lambda d: d["annotations"][0].update(image_id="11")), "not in COCO captions format"),
    (_broken(lambda d: d["annotations"].append({"image_id": 99, "caption": "x"})), "image 99"),
    (_broken(lambda d: d["images"].append({"id": 55, "file_name": "e.jpg"})), "no caption for image 55"),
    ({"images": [], "annotations": []}, "lists no images"),
])
def test_references_that_cannot_be_used_are_refused(tmp_path, data, phrase):
    with pytest.raises(EvaluationInputError, match=phrase):
        load_references(write_json(tmp_path / "c.json", data))


def test_known_text_is_one_string_of_lines_or_a_list_of_lines(tmp_path):
    data = _broken(lambda d: (d["images"][0].update(text="Save changes\nCancel"),
                              d["images"][1].update(text=["Battery 85%", "Wi-Fi"])))
    refs = load_references(write_json(tmp_path / "c.json", data))
    assert refs.known_text == {11: ["Save changes", "Cancel"], 22: ["Battery 85%", "Wi-Fi"]}
    assert load_references(write_json(tmp_path / "plain.json", REFERENCES)).known_text == {}


@pytest.mark.parametrize("text, phrase", [
    (5, "neither text nor a list of lines"),
    (["Save", 3], "neither text nor a list of lines"),
    ({"line": "Save"}, "neither text nor a list of lines"),
    (" \n ... ", "no words in it"),
    ([], "no words in it"),
])
def test_known_text_that_cannot_be_used_is_refused(tmp_path, text, phrase):
    data = _broken(lambda d: d["images"][2].update(text=text))
    with pytest.raises(EvaluationInputError, match=f"image 33 a 'text' .*{phrase}"):
        load_references(write_json(tmp_path / "c.json", data))


def test_a_named_pipe_is_not_waited_on(tmp_path):
    fifo = tmp_path / "captions.json"
    os.mkfifo(fifo)
    with pytest.raises(EvaluationInputError, match="not a regular file"):
        load_references(fifo)


@pytest.mark.parametrize("data, phrase", [
    ({"image_id": 11}, "not in COCO results format"),
    ([{"image_id": 11, "caption": 3}], "not in COCO results format"),
    (PREDICTIONS + [PREDICTIONS[0]], "more than one caption for image 11"),
    ([{"image_id": 11, "caption": "  "}], "empty caption for image 11"),
])
def test_predictions_that_cannot_be_scored_are_refused(tmp_path, data, phrase):
    with pytest.raises(EvaluationInputError, match=phrase):
        load_predictions(write_json(tmp_path / "r.json", data))


def test_predictions_must_cover_the_chosen_images_and_only_known_ones(tmp_path):
    refs = load_references(write_json(tmp_path / "c.json", REFERENCES))
    preds = {p["image_id"]: p["caption"] for p in PREDICTIONS}
    assert matched(refs, [11, 44], preds, tmp_path) == {11: preds[11], 44: preds[44]}  # others ignored
    with pytest.raises(EvaluationInputError, match="which the references do not list"):
        matched(refs, refs.image_ids, {**preds, 77: "a cat"}, tmp_path)
    with pytest.raises(EvaluationInputError, match="no caption for image 22"):
        matched(refs, refs.image_ids, {i: c for i, c in preds.items() if i != 22}, tmp_path)


def test_the_subset_is_the_same_everywhere_and_grows_by_adding():
    ids = list(range(1, 101))
    # Pinned: a change to how the subset is picked would change published comparisons.
    assert choose_subset(ids, 5, 0) == [15, 44, 46, 87, 99]
    assert choose_subset(list(reversed(ids)), 5, 0) == [15, 44, 46, 87, 99]
    assert choose_subset(ids, 5, 1) != choose_subset(ids, 5, 0)
    assert set(choose_subset(ids, 5, 3)) <= set(choose_subset(ids, 20, 3))
    assert choose_subset(ids, None, 0) == ids == choose_subset(ids, 500, 0)
    with pytest.raises(EvaluationInputError, match="at least 1"):
        choose_subset(ids, 0, 0)


def test_images_are_found_by_their_coco_file_names(tmp_path):
    refs = load_references(write_json(tmp_path / "c.json", REFERENCES))
    folder = tmp_path / "val2014"
    with pytest.raises(EvaluationInputError, match="does not exist"):
        find_images(folder, refs, refs.image_ids)
    folder.mkdir()
    with pytest.raises(EvaluationInputError, match="is empty"):
        find_images(folder, refs, refs.image_ids)
    for image in REFERENCES["images"][:3]:
        (folder / image["file_name"]).write_bytes(b"jpeg")
    with pytest.raises(EvaluationInputError, match="lacks 1 of the 4 images.*COCO_val2014_000000000044.jpg"):
        find_images(folder, refs, refs.image_ids)
    assert find_images(folder, refs, [11, 22]) == {i: folder / refs.file_names[i] for i in (11, 22)}
