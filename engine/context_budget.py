"""How an answer fits the model's context: one decision for both ways a session reads a turn.

Pure arithmetic on token counts, so it is tested with plain numbers (tests/engine/test_context_budget.py).
A session asks it after tokenizing what it is about to read: whether the answer's full budget fits,
or the oldest follow-up must be set aside first, or the answer gets only the room that is left, or
the conversation is too long for the model at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# An answer cut short by a full context still gets at least this many tokens (a few sentences);
# with less room than that, the user is told the conversation is too long.
MIN_ANSWER_TOKENS = 128
# After the answer, the end-of-turn token is read into the cache too (engine/generation.py), so a
# follow-up continues a well-formed conversation: every answer's room leaves a slot for it.
CLOSING_TOKENS = 1
# A question of a sentence or two with the chat format's turn markers around it (a six-word
# question takes about 20 tokens, Pangu's markers included).
QUESTION_TOKENS = 64
# The description is never set aside, so it keeps this much room free after itself: a question,
# a few sentences of answer and its closing token. Without it, a detailed description of a large
# screen that used its whole budget could leave a follow-up less than MIN_ANSWER_TOKENS.
FOLLOW_UP_RESERVE_TOKENS = QUESTION_TOKENS + MIN_ANSWER_TOKENS + CLOSING_TOKENS


class Fit(Enum):
    FITS = "fits"  # the answer gets its whole budget
    SET_ASIDE = "set_aside"  # set the oldest follow-up aside, then ask again
    SHORTENED = "shortened"  # nothing left to set aside: the answer gets the room that is left
    TOO_LONG = "too_long"  # not even MIN_ANSWER_TOKENS of room


@dataclass(frozen=True)
class Budget:
    fit: Fit
    max_tokens: int  # the answer's budget (FITS, SHORTENED); the room left otherwise


def answer_budget(n_ctx: int, context_tokens: int, max_tokens: int, can_set_aside: bool,
                  reserve: int = 0) -> Budget:
    """`context_tokens`: everything the model holds once this turn is read (cached and new).

    `reserve`: room to keep free after the answer (a description's FOLLOW_UP_RESERVE_TOKENS). The
    answer is shortened to keep it, but never below MIN_ANSWER_TOKENS (or its whole budget, if
    that is smaller): then the reserve gives way instead.
    """
    room = n_ctx - context_tokens - CLOSING_TOKENS
    if room - reserve >= max_tokens:
        return Budget(Fit.FITS, max_tokens)
    if can_set_aside:
        return Budget(Fit.SET_ASIDE, room)
    least = min(max_tokens, MIN_ANSWER_TOKENS)
    if room < least:
        return Budget(Fit.TOO_LONG, room)
    budget = max(least, room - reserve)
    return Budget(Fit.FITS if budget == max_tokens else Fit.SHORTENED, budget)
