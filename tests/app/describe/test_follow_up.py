"""Whether a follow-up can be asked: each refusal is one plain sentence, decided before anything is stopped."""

from __future__ import annotations

import numpy as np

from app.describe.follow_up import follow_up_problem
from app.storage.history import HistoryEntry


def _entry() -> HistoryEntry:
    return HistoryEntry(source="Screen", image=np.zeros((8, 8, 3), np.uint8))


def test_an_empty_question_asks_for_one():
    assert "Type a question first" in follow_up_problem("", _entry(), True)


def test_a_question_with_nothing_described_yet():
    assert "no image to ask about" in follow_up_problem("What is this?", None, True)


def test_no_model_yet():
    assert "not set up yet" in follow_up_problem("What is this?", _entry(), False)


def test_a_fair_question_can_be_asked():
    assert follow_up_problem("What is this?", _entry(), True) is None


def test_a_question_too_long_says_so():
    assert follow_up_problem("why " * 6000, _entry(), True) is not None
