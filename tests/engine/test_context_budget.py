"""The context budget with plain token counts: no model needed to decide what fits."""

from __future__ import annotations

import pytest

from engine.context_budget import (CLOSING_TOKENS, FOLLOW_UP_RESERVE_TOKENS, MIN_ANSWER_TOKENS, QUESTION_TOKENS,
                                   Budget, Fit, answer_budget)

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


# --- a description keeps room for a follow-up after itself ------------------------------------------
RESERVE = FOLLOW_UP_RESERVE_TOKENS


def test_a_description_with_room_for_its_budget_and_a_follow_up_gets_its_whole_budget():
    assert answer_budget(N_CTX, N_CTX - CLOSING_TOKENS - RESERVE - 768, 768, False, RESERVE) == Budget(Fit.FITS, 768)


def test_a_description_shrinks_to_keep_room_for_a_follow_up():
    budget = answer_budget(N_CTX, N_CTX - CLOSING_TOKENS - RESERVE - 700, 768, False, RESERVE)
    assert budget == Budget(Fit.SHORTENED, 700)


def test_the_reserve_gives_way_before_the_description_goes_below_a_few_sentences():
    budget = answer_budget(N_CTX, N_CTX - CLOSING_TOKENS - MIN_ANSWER_TOKENS - 10, 768, False, RESERVE)
    assert budget == Budget(Fit.SHORTENED, MIN_ANSWER_TOKENS)
    # a brief description's whole budget (under MIN_ANSWER_TOKENS) is never cut for the reserve
    assert answer_budget(N_CTX, N_CTX - CLOSING_TOKENS - 100, 96, False, RESERVE) == Budget(Fit.FITS, 96)
    assert answer_budget(N_CTX, N_CTX - CLOSING_TOKENS - 90, 96, False, RESERVE).fit == Fit.TOO_LONG


# the prompts of a detailed 13-tile description: the full-size model's (the tester's 4,295 tokens
# after a 768-token answer), the tiny test model's (its tokenizer spends more on the system prompt),
# and longer ones, up to a context with room for the shortest description only
@pytest.mark.parametrize("prompt", [4295 - 768 - CLOSING_TOKENS, 3741, 4000,
                                    N_CTX - CLOSING_TOKENS - RESERVE - MIN_ANSWER_TOKENS])
def test_after_a_description_that_used_its_budget_a_question_still_gets_a_few_sentences(prompt):
    description = answer_budget(N_CTX, prompt, 768, can_set_aside=False, reserve=RESERVE)
    assert description.fit in (Fit.FITS, Fit.SHORTENED)
    held = prompt + description.max_tokens + CLOSING_TOKENS  # the answer used its whole budget
    follow_up = answer_budget(N_CTX, held + QUESTION_TOKENS, 320, can_set_aside=False)
    assert follow_up.fit in (Fit.FITS, Fit.SHORTENED) and follow_up.max_tokens >= MIN_ANSWER_TOKENS


def test_the_testers_full_size_follow_up_gets_the_room_left():
    """4,295 tokens held after the detailed description, a 20-token question: a slightly smaller budget."""
    assert answer_budget(N_CTX, 4295 + 20, 320, can_set_aside=False) == Budget(Fit.SHORTENED, N_CTX - 4315 - 1)
