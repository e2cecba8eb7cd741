"""Whether a follow-up can be asked: each refusal is one plain sentence, decided before anything is stopped."""

from __future__ import annotations

import numpy as np

from app.describe.follow_up import follow_up_problem
from app.storage.history import HistoryEntry


def _entry() -> HistoryEntry:
    return HistoryEntry(source="Screen", image=np.zeros((8, 8, 3), np.uint8))


def test_an_empty_question_asks_for_one():
    assert "Type a question first" in follow_up_problem("", _entry(), True, "brief", None)


def test_a_question_with_nothing_described_yet():
    assert "no image to ask about" in follow_up_problem("What is this?", None, True, "brief", None)


def test_no_model_yet():
    assert "not set up yet" in follow_up_problem("What is this?", _entry(), False, "brief", None)


def test_a_fair_question_can_be_asked():
    assert follow_up_problem("What is this?", _entry(), True, "brief", None) is None


def test_a_question_too_long_says_so():
    assert follow_up_problem("why " * 6000, _entry(), True, "brief", None) is not None


def test_a_reopened_entry_whose_saved_language_is_too_long_says_so():
    entry = _entry()
    entry.saved_conversation = {"detail": "brief", "language": "x" * 10_000, "turns": [
        {"role": "assistant", "content": "A dot."}]}
    assert "language name is too long" in follow_up_problem("What is this?", entry, True, "brief", None)


def test_an_entry_saved_before_conversations_gets_the_language_of_now_checked():
    assert "language name is too long" in follow_up_problem("What is this?", _entry(), True, "brief", "x" * 100)
