"""Answers are kept per image as they are made, privately, so an interrupted run resumes."""

from __future__ import annotations

import json
import stat

import pytest

from engine.evaluate.answers import AnswerCache
from engine.evaluate.coco import EvaluationInputError, load_predictions

SETTINGS = {"model": "model-Q4_K_M.gguf", "detail": "detailed", "second_look": False}


def test_a_new_run_on_the_same_folder_resumes_where_the_last_stopped(tmp_path):
    first = AnswerCache(tmp_path / "out", SETTINGS)
    first.put(11, "a.jpg", "A horse on a beach.", 1.25)
    # The process ends here (interrupted); a new one starts on the same folder.
    again = AnswerCache(tmp_path / "out", dict(SETTINGS))
    assert again.pending([11, 22, 33]) == [22, 33]
    assert again.get(11) == {"image_id": 11, "file_name": "a.jpg", "caption": "A horse on a beach.", "seconds": 1.25}


def test_a_damaged_answer_is_made_again(tmp_path):
    cache = AnswerCache(tmp_path, SETTINGS)
    cache.put(11, "a.jpg", "A horse.", 1.0)
    (tmp_path / "answers" / "11.json").write_text('{"image_id": 11, "capt')
    assert cache.pending([11]) == [11]


@pytest.mark.parametrize("seconds", [None, "1.5", -1, True])
def test_an_answer_kept_without_its_time_is_made_again(tmp_path, seconds):
    """A resumed run reports every image's time, so an answer without one cannot be kept."""
    cache = AnswerCache(tmp_path, SETTINGS)
    record = {"image_id": 11, "file_name": "a.jpg", "caption": "A horse."}
    kept = record if seconds is None else {**record, "seconds": seconds}
    (tmp_path / "answers" / "11.json").write_text(json.dumps(kept))
    assert cache.pending([11]) == [11]
    cache.put(11, "a.jpg", "A horse.", 0)
    assert cache.pending([11]) == []


def test_answers_made_with_other_settings_are_not_mixed_in(tmp_path):
    AnswerCache(tmp_path, SETTINGS).put(11, "a.jpg", "A horse.", 1.0)
    with pytest.raises(EvaluationInputError, match=r"other settings \(detail\)"):
        AnswerCache(tmp_path, {**SETTINGS, "detail": "brief"})


def test_answers_are_private_and_read_back_as_coco_results(tmp_path):
    cache = AnswerCache(tmp_path / "out", SETTINGS)
    cache.put(22, "b.jpg", "Two cats.", 2.0)
    cache.put(11, "a.jpg", "A horse.", 1.0)
    predictions = cache.write_predictions([11, 22, 33])
    assert load_predictions(predictions) == {11: "A horse.", 22: "Two cats."}
    for path in (tmp_path / "out", tmp_path / "out" / "answers", tmp_path / "out" / "answers" / "11.json", predictions,
                 tmp_path / "out" / "run.json"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    assert json.loads((tmp_path / "out" / "run.json").read_text()) == SETTINGS
