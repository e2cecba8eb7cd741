"""The context budget with plain token counts: no model needed to decide what fits."""

from __future__ import annotations

import pytest

from engine.context_budget import CLOSING_TOKENS, MIN_ANSWER_TOKENS, Budget, Fit, answer_budget

N_CTX = 4608


def test_an_answer_that_fits_gets_its_whole_budget():
    assert answer_budget(N_CTX, N_CTX - 768 - CLOSING_TOKENS, 768, can_set_aside=True) == Budget(Fit.FITS, 768)


def test_one_token_short_sets_the_oldest_follow_up_aside_when_there_is_one():
    assert answer_budget(N_CTX, N_CTX - 768, 768, can_set_aside=True).fit == Fit.SET_ASIDE


@pytest.mark.parametrize("room", [MIN_ANSWER_TOKENS, 500])
def test_with_nothing_to_set_aside_the_answer_gets_the_room_left(room):
    budget = answer_budget(N_CTX, N_CTX - room - CLOSING_TOKENS, 768, can_set_aside=False)
    assert budget == Budget(Fit.SHORTENED, room)


def test_less_than_a_few_sentences_of_room_is_too_long():
    budget = answer_budget(N_CTX, N_CTX - MIN_ANSWER_TOKENS, 768, can_set_aside=False)
    assert budget == Budget(Fit.TOO_LONG, MIN_ANSWER_TOKENS - CLOSING_TOKENS)


def test_a_prompt_longer_than_the_context_is_too_long():
    assert answer_budget(N_CTX, N_CTX + 10, 256, can_set_aside=False).fit == Fit.TOO_LONG
