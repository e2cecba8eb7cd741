"""Follow-ups after a description at any level continue the conversation held in llama.cpp's cache.

The real worker and llama.cpp on the tiny converted model, at the default context (the app's and
the command line's). A detailed description of a 1920x1080 screen (13 tiles) that uses its whole
answer budget leaves the context nearly full: a short question after it must still be accepted,
read on top of what is cached (only the question is read), and answered in the room that is left.
"""

from __future__ import annotations

import pytest

from engine.client import DEFAULT_CONTEXT
from engine.context_budget import CLOSING_TOKENS, FOLLOW_UP_RESERVE_TOKENS, MIN_ANSWER_TOKENS
from engine.conversation import Conversation
from engine.prompts import follow_up_max_tokens
from engine.protocol import StopReason
from tests.engine.test_worker import collect, pair, photo, started  # noqa: F401 (pair: a fixture)

SCREEN = (1080, 1920)
QUESTION = "What does the top line say?"  # six words


@pytest.fixture(scope="module")
def client(pair):  # noqa: F811 (the imported fixture)
    with started(pair) as c:  # the default context
        yield c


def described_in_full(client, conversation: Conversation):
    """The description, and the tokens it left in the cache (what a follow-up can reuse)."""
    described = collect(client, client.describe(conversation), conversation=conversation)[-1]
    assert described.kind == "done", described
    assert described.stop_reason == StopReason.LIMIT  # the random model writes until its budget ends
    stats = described.stats
    return described, stats.reused_tokens + stats.read_tokens + stats.n_tokens + CLOSING_TOKENS


def ask(client, conversation: Conversation, question: str):
    return collect(client, client.ask(conversation, question), conversation=conversation)[-1]


def assert_continued(answer, held: int) -> None:
    """Read on top of the cache: everything cached is reused, only the question is read, no tile encoded."""
    assert answer.kind == "done", answer
    stats = answer.stats
    assert stats.reused_tokens >= held and stats.read_tokens < 40, stats
    assert stats.image_encodes == 0 and stats.encoder_cache_hits == 0 and stats.encode_s == 0


@pytest.mark.parametrize("detail", ["brief", "standard"])
def test_a_follow_up_after_a_description_continues_the_cache(client, detail):
    conversation = Conversation(photo(40, shape=SCREEN), detail, None)
    _, held = described_in_full(client, conversation)
    answer = ask(client, conversation, QUESTION)
    assert_continued(answer, held)
    assert answer.stats.reused_tokens == held and answer.stats.answer_room == 0  # room for the whole answer


def test_after_a_detailed_description_that_filled_its_budget_a_short_question_continues(client):
    """The tester's case: the question was refused as too long (tiny model), or read the whole
    conversation again (full-size: 4,295 tokens read again, 42.3 s to the first token)."""
    conversation = Conversation(photo(41, shape=SCREEN), "detailed", None)
    described, held = described_in_full(client, conversation)
    assert described.stats.image_tokens == 13 * 256  # 12 tiles and the overview
    # the description kept room for a follow-up after itself (it is never set aside)
    assert DEFAULT_CONTEXT - held >= FOLLOW_UP_RESERVE_TOKENS
    answer = ask(client, conversation, QUESTION)
    assert_continued(answer, held)  # (a) accepted, (b) the cached conversation reused
    assert answer.stats.reused_tokens == held
    # (c) the answer's budget shrinks to the room that is left, instead of reading everything again
    assert MIN_ANSWER_TOKENS <= answer.stats.answer_room < follow_up_max_tokens(), answer.stats
    assert answer.stats.n_tokens <= answer.stats.answer_room
    # the next question sets that answer aside in place and continues again
    again = ask(client, conversation, "And the bottom line?")
    assert_continued(again, held)
    assert again.stats.set_aside_turns == 1 and again.stats.answer_room >= MIN_ANSWER_TOKENS
    # a question too long for the room is refused in plain words, and the cache is kept:
    refused = ask(client, conversation, "word " * 400)
    assert refused.kind == "error" and "too long" in refused.message
    assert_continued(ask(client, conversation, "Any buttons?"), held)  # still continued, not read again
