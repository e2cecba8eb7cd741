"""The request's moments: the first of each kind, never one from a request before, written privately."""

from __future__ import annotations

import json
import stat
import time

from engine.timeline import CAPTURED, COMMAND, FIRST_SAMPLE, MODEL_READY, Timeline


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_only_the_first_moment_of_each_kind_is_kept_and_written(tmp_path):
    path = tmp_path / "timeline.jsonl"
    timeline = Timeline(str(path))
    timeline.event(MODEL_READY)
    timeline.begin()
    timeline.mark(CAPTURED, 5.0 + time.monotonic())
    timeline.mark(CAPTURED)  # a later capture of the same request (none today) is not the first
    assert set(timeline.last()) == {COMMAND, CAPTURED} and timeline.last()[CAPTURED] > 4.9
    written = lines(path)
    assert [(line["request"], line["mark"]) for line in written] == [(0, MODEL_READY), (1, COMMAND), (1, CAPTURED)]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_moment_of_a_request_before_this_one_is_dropped(tmp_path):
    timeline = Timeline(None)  # no file: kept for the status query only
    asked = time.monotonic()
    timeline.begin()  # a new request after the phrase was queued, e.g. Stop and describe again
    timeline.mark(FIRST_SAMPLE, time.monotonic(), since=asked)
    assert FIRST_SAMPLE not in timeline.last()
    timeline.mark(FIRST_SAMPLE, time.monotonic(), since=time.monotonic())
    assert FIRST_SAMPLE in timeline.last()


def test_a_timeline_file_that_cannot_be_written_is_given_up_quietly(tmp_path, caplog):
    timeline = Timeline(str(tmp_path / "no-such-folder" / "timeline.jsonl"))
    timeline.begin()
    timeline.mark(CAPTURED)  # no exception: the request goes on
    assert set(timeline.last()) == {COMMAND, CAPTURED}
    assert "cannot be written" in caplog.text
