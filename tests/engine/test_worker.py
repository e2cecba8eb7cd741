"""The worker process with the real llama.cpp on the tiny converted model.

Streaming order, cancel, a new request replacing the old, follow-ups without
re-encoding, SIGKILL mid-answer and a hung (SIGSTOPped) worker, each followed by a
request that works.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

import numpy as np
import pytest

from engine.client import EngineClient
from engine.conversation import Conversation
from engine.protocol import ErrorKind
from engine.model_files import find_model_pair

EVENT_WAIT_S = 60.0


def collect(client: EngineClient, request_id: int, until=("done", "cancelled", "error"), on_chunk=None,
            conversation: Conversation | None = None):
    """Events for `request_id` up to the first terminal one; fails rather than hangs. A finished answer
    is recorded in `conversation`, as the describe flow records it for the app and the command line."""
    events = []
    deadline = time.monotonic() + EVENT_WAIT_S
    while time.monotonic() < deadline:
        event = client.next_event(1.0)
        if event is None or event.request_id not in (request_id, None) or event.kind == "loaded":
            continue
        events.append(event)
        if event.kind == "chunk" and on_chunk:
            on_chunk(event)
        if event.kind == "done" and conversation is not None:
            conversation.record(event)
        if event.kind in until:
            return events
    pytest.fail(f"no terminal event for request {request_id}; got {[e.kind for e in events]}")


@pytest.fixture(scope="module")
def pair(conversions):
    return find_model_pair(conversions.get("internvl", "Q4_K_M", "f16").model_path.parent)


@contextlib.contextmanager
def started(pair, **options):
    """A loaded EngineClient of its own (not the shared fixture's), closed afterwards."""
    c = EngineClient(pair, n_threads=2, **options)
    c.start()
    try:
        assert c.wait_loaded(120).kind == "loaded"
        yield c
    finally:
        c.close()


@pytest.fixture
def client(pair):
    c = EngineClient(pair, n_threads=2, hang_timeout=3.0)
    c.start()
    loaded = c.wait_loaded(120)
    assert loaded.kind == "loaded", loaded
    yield c
    c.close()


def photo(seed=1, shape=(300, 400)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (*shape, 3), dtype=np.uint8)


def test_streams_chunks_then_done(client):
    events = collect(client, client.describe(Conversation(photo(), "brief", None)))
    kinds = [e.kind for e in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"chunk"} and len(kinds) > 2
    done = events[-1]
    assert done.text == "".join(e.text for e in events[:-1])
    stats = done.stats
    assert stats.image_encodes == 1 and stats.n_tokens > 0
    assert stats.image_tokens == 256  # brief: the overview tile only
    assert stats.prompt_tokens > 256 + 50  # image, system prompt and instruction all in the cache
    assert stats.first_token_s > 0 and stats.total_s >= stats.first_token_s


def test_same_request_gives_same_text(client):
    conversation = Conversation(photo(), "brief", None)
    first = collect(client, client.describe(conversation), conversation=conversation)[-1]
    second = collect(client, client.describe(Conversation(photo(), "brief", None)))[-1]
    assert first.text == second.text  # greedy decoding is repeatable
    assert second.stats.image_encodes == 0  # the unchanged image's tiles were reused
    assert second.stats.encoder_cache_hits >= 1


def test_cancel_stops_within_a_token_or_two(client):
    seen_after_cancel = []
    state = {"cancelled": False}
    request_id = client.describe(Conversation(photo(2), "detailed", None))

    def on_chunk(event):
        if state["cancelled"]:
            seen_after_cancel.append(event)
        else:
            client.cancel(request_id)
            state["cancelled"] = True

    events = collect(client, request_id, on_chunk=on_chunk)
    assert events[-1].kind == "cancelled"
    assert events[-1].chunks_after_cancel <= 2  # generated once the worker had the cancel
    assert seen_after_cancel == []  # what was already in the pipe is not delivered either


def test_new_request_replaces_the_one_in_flight(client):
    first = client.describe(Conversation(photo(3), "detailed", None))
    while True:  # wait until the first answer is streaming
        event = client.next_event(5.0)
        if event is not None and event.kind == "chunk":
            break
    second = client.describe(Conversation(photo(4), "brief", None))
    events = collect(client, second)
    assert events[-1].kind == "done"
    # nothing of the replaced request reaches the caller from now on
    late = [e for e in (client.next_event(0.3) for _ in range(3)) if e is not None and e.request_id == first]
    assert late == []


def test_follow_up_reuses_the_cached_image(client):
    conversation = Conversation(photo(5), "standard", "en")
    described = collect(client, client.describe(conversation), conversation=conversation)[-1]
    assert described.stats.image_encodes == 1
    answer = collect(client, client.ask(conversation, "What colour is the top left corner?"), conversation=conversation)[-1]
    assert answer.kind == "done"
    assert answer.stats.image_encodes == 0
    assert answer.stats.encode_s == 0.0  # the vision encoder never ran
    assert answer.stats.prompt_tokens < 40  # only the question was read
    assert [t["role"] for t in conversation.turns] == ["assistant", "user", "assistant"]
    again = collect(client, client.ask(conversation, "Is there any text?"), conversation=conversation)[-1]
    assert again.stats.image_encodes == 0


def test_follow_up_matches_a_full_rebuild(pair, client):
    """The cached continuation computes the same answer as a fresh worker rebuilding it all."""
    conversation = Conversation(photo(6), "brief", None)
    collect(client, client.describe(conversation), conversation=conversation)
    cached = collect(client, client.ask(conversation, "Describe the colours."), conversation=conversation)[-1]
    conversation.turns = conversation.turns[:-2]  # forget the answer, as after a crash
    with started(pair) as fresh:
        rebuilt = collect(fresh, fresh.ask(conversation, "Describe the colours."), conversation=conversation)[-1]
    assert rebuilt.stats.image_encodes == 1
    assert rebuilt.text == cached.text


def test_worker_killed_mid_answer_then_recovers(client):
    request_id = client.describe(Conversation(photo(7), "detailed", None))
    killed = {"pid": None}

    def on_chunk(_event):
        if killed["pid"] is None:
            killed["pid"] = client.pid
            os.kill(client.pid, signal.SIGKILL)

    started = time.monotonic()
    events = collect(client, request_id, on_chunk=on_chunk)
    assert events[-1].kind == "error" and events[-1].error == ErrorKind.WORKER_DIED
    assert "stopped unexpectedly" in events[-1].message
    assert time.monotonic() - started < 10
    events = collect(client, client.describe(Conversation(photo(8), "brief", None)))
    assert events[-1].kind == "done"
    assert client.restarts == 1 and client.pid != killed["pid"]


def test_hung_worker_is_detected_then_recovers(client):
    request_id = client.describe(Conversation(photo(9), "detailed", None))
    stopped = {"pid": None}

    def on_chunk(_event):
        if stopped["pid"] is None:
            stopped["pid"] = client.pid
            os.kill(client.pid, signal.SIGSTOP)

    events = collect(client, request_id, on_chunk=on_chunk)
    assert events[-1].kind == "error" and events[-1].error == ErrorKind.WORKER_HUNG
    assert "stopped responding" in events[-1].message
    events = collect(client, client.describe(Conversation(photo(10), "brief", None)))
    assert events[-1].kind == "done"
    with pytest.raises(ProcessLookupError):
        os.kill(stopped["pid"], 0)  # the hung worker was ended, not left behind


def test_conversation_survives_a_crash(client):
    conversation = Conversation(photo(11), "brief", None)
    collect(client, client.describe(conversation), conversation=conversation)
    os.kill(client.pid, signal.SIGKILL)
    time.sleep(0.2)
    events = collect(client, client.ask(conversation, "What is in the middle?"), conversation=conversation)
    if events[-1].kind == "error":  # the death may be noticed on this request: then the next one works
        assert events[-1].error == ErrorKind.WORKER_DIED
        events = collect(client, client.ask(conversation, "What is in the middle?"), conversation=conversation)
    assert events[-1].kind == "done"
    assert events[-1].stats.image_encodes == 1  # rebuilt in the new worker
    assert [t["role"] for t in conversation.turns] == ["assistant", "user", "assistant"]


def test_glance_then_second_look_then_question(client):
    from engine.prompts import refine_max_tokens
    from engine.regions import choose_regions

    image = photo(12, shape=(1080, 1920))
    conversation = Conversation(image, "brief", None)
    glance = collect(client, client.describe(conversation), conversation=conversation)[-1]
    assert glance.stats.image_tokens == 256  # the overview only
    regions = choose_regions(image, 3)
    assert len(regions) == 3
    for region in regions:  # as the app and the command line do: one close-up per request
        look = collect(client, client.refine(conversation, [region]), conversation=conversation)[-1]
        assert look.kind == "done"
        assert look.stats.image_encodes == 1  # only this close-up was encoded
        assert look.stats.image_tokens == 256
        # a rebuild would read the glance's whole prompt and answers again before the close-up
        assert look.stats.prompt_tokens < glance.stats.prompt_tokens
        assert look.stats.n_tokens <= refine_max_tokens(1)
    assert [t.get("regions") for t in conversation.turns[1::2]] == [[r.as_list()] for r in regions]
    assert all("a close-up view of one part" in t["content"] for t in conversation.turns[1::2])
    answer = collect(client, client.ask(conversation, "What does the text say?"), conversation=conversation)[-1]
    assert answer.stats.image_encodes == 0


def test_several_close_ups_in_one_request(client):
    from engine.regions import choose_regions

    image = photo(15, shape=(1080, 1920))
    conversation = Conversation(image, "brief", None)
    glance = collect(client, client.describe(conversation), conversation=conversation)[-1]
    regions = choose_regions(image, 3)
    look = collect(client, client.refine(conversation, regions), conversation=conversation)[-1]
    assert look.stats.image_encodes == 3 and look.stats.image_tokens == 3 * 256
    assert look.stats.prompt_tokens < glance.stats.prompt_tokens + 3 * 256
    assert conversation.turns[1]["regions"] == [r.as_list() for r in regions]
    assert "close-up views of 3 parts" in conversation.turns[1]["content"]


def test_second_look_survives_a_crash(client):
    from engine.regions import choose_regions

    image = photo(13, shape=(900, 1400))
    conversation = Conversation(image, "brief", None)
    collect(client, client.describe(conversation), conversation=conversation)
    collect(client, client.refine(conversation, choose_regions(image, 2)), conversation=conversation)
    os.kill(client.pid, signal.SIGKILL)
    time.sleep(0.2)
    events = collect(client, client.ask(conversation, "Anything else?"), conversation=conversation)
    if events[-1].kind == "error":
        events = collect(client, client.ask(conversation, "Anything else?"), conversation=conversation)
    assert events[-1].kind == "done"
    assert events[-1].stats.image_encodes == 3  # overview and both close-ups, rebuilt


def test_system_prompt_prefix_is_reused_and_exact(client):
    first = collect(client, client.describe(Conversation(photo(14), "brief", "zh")))[-1]
    assert first.stats.prefix_cached_tokens == 0  # a new language: a new system prompt
    second = collect(client, client.describe(Conversation(photo(14), "brief", "zh")))[-1]
    assert second.stats.prefix_cached_tokens > 50
    assert second.text == first.text
    other = collect(client, client.describe(Conversation(photo(15), "brief", "zh")))[-1]
    assert other.stats.prefix_cached_tokens == second.stats.prefix_cached_tokens
    assert other.stats.image_encodes == 1


def test_first_request_after_load_finds_the_prefix_ready(client):
    first = collect(client, client.describe(Conversation(photo(16), "brief", None)))[-1]
    assert first.stats.prefix_cached_tokens > 50


def test_every_tile_of_a_large_image_is_encoded(client):
    """mtmd yields one chunk per tile, all with the image's id: each must be encoded on its own."""
    first = collect(client, client.describe(Conversation(photo(17, shape=(480, 640)), "standard", None)))[-1]
    assert first.stats.image_encodes == 5  # a 2x2 grid and the overview
    assert first.stats.image_tokens == 5 * 256
    again = collect(client, client.describe(Conversation(photo(17, shape=(480, 640)), "standard", None)))[-1]
    assert again.stats.image_encodes == 0 and again.stats.encoder_cache_hits == 5
    assert again.text == first.text


def test_warm_up_caches_the_chosen_language(pair):
    with started(pair, language="zh") as client:
        done = collect(client, client.describe(Conversation(photo(18), "brief", "zh")))[-1]
        assert done.stats.prefix_cached_tokens > 50


def test_a_long_conversation_sets_aside_its_oldest_follow_ups(pair):
    """A small context fills after a few follow-ups: the oldest are set aside, never the image."""
    with started(pair, n_ctx=1280) as client:
        conversation = Conversation(photo(19), "brief", None)
        described = collect(client, client.describe(conversation), conversation=conversation)[-1]
        assert described.kind == "done"
        set_aside = []
        for n in range(6):
            answer = collect(client, client.ask(conversation, f"Question number {n}: what else is there?"), conversation=conversation)[-1]
            assert answer.kind == "done", answer  # never "too long"
            assert answer.stats.image_encodes == 0  # the image's tiles came from the cache
            # set aside in place (removed from the cache, the rest shifted back): only the question is read
            assert answer.stats.prompt_tokens < 60 and answer.stats.encode_s == 0
            set_aside.append(answer.stats.set_aside_turns)
        assert set_aside[0] == 0 and max(set_aside) >= 1, set_aside
        assert len(conversation.turns) == 13  # the caller's history keeps everything
        # a fresh worker rebuilds the same long conversation: it sets the oldest aside too, and answers
        with started(pair, n_ctx=1280) as fresh:
            rebuilt = collect(fresh, fresh.ask(conversation, "And the last question?"), conversation=conversation)[-1]
        assert rebuilt.kind == "done" and rebuilt.stats.set_aside_turns >= 1
        assert rebuilt.stats.image_encodes == 1
        # a question that cannot fit even alone with the description: a plain error
        error = collect(client, client.ask(conversation, "word " * 2000), conversation=conversation)[-1]
        assert error.kind == "error" and "too long" in error.message


def test_a_follow_up_with_little_room_gets_the_room_that_is_left(pair):
    """With no follow-up left to set aside, an answer that would not fit whole gets what room is left."""
    from engine.prompts import follow_up_max_tokens
    from engine.context_budget import MIN_ANSWER_TOKENS

    conversation = Conversation(photo(23), "brief", None)
    question = "What colour is the largest shape?"
    with started(pair, n_ctx=1280) as roomy:
        described = collect(roomy, roomy.describe(conversation), conversation=conversation)[-1]
        whole = collect(roomy, roomy.ask(conversation, question), conversation=conversation)[-1]
    assert whole.kind == "done" and whole.stats.answer_room == 0
    # the conversation so far (prompt, description), the question's tokens, and room for only part of an answer
    read = described.stats.prompt_tokens + described.stats.n_tokens
    asked = whole.stats.prompt_tokens
    room = (MIN_ANSWER_TOKENS + follow_up_max_tokens()) // 2
    conversation.turns = conversation.turns[:1]  # the description only: nothing to set aside
    with started(pair, n_ctx=read + asked + room + 8) as tight:
        short = collect(tight, tight.ask(conversation, question), conversation=conversation)[-1]
    assert short.kind == "done", short
    assert MIN_ANSWER_TOKENS <= short.stats.answer_room < follow_up_max_tokens()
    assert short.stats.n_tokens <= short.stats.answer_room
    with started(pair, n_ctx=read + asked + MIN_ANSWER_TOKENS // 2) as full:
        refused = collect(full, full.ask(conversation, question), conversation=conversation)[-1]
    assert refused.kind == "error" and "too long" in refused.message


def test_ctrl_c_handed_to_another_thread_during_a_spawn_waits_until_the_child_has_started():
    """The kernel may hand a process's SIGINT to any thread that does not block it (numpy's OpenBLAS
    threads, here a Python thread started before the spawn). Python then raises KeyboardInterrupt in
    the main thread, which inside multiprocessing's start() left the child with half its start-up
    data ("EOFError: Ran out of input" on the shared stderr)."""
    import threading

    from engine.worker import sigint_blocked

    release = threading.Event()
    other = threading.Thread(target=release.wait, args=(10,), daemon=True)
    other.start()
    steps = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with sigint_blocked():
                signal.pthread_kill(other.ident, signal.SIGINT)  # a thread that does not block SIGINT
                for step in range(20):  # bytecodes run: the interrupt would be raised among them
                    time.sleep(0.01)
                    steps.append(step)
        assert steps == list(range(20))  # the whole block ran; the interrupt came after it
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # Python's own handler is back
    finally:
        release.set()
        other.join()
