"""The describe flow's states in plain Python: a fake describer stands in for the engine.

No model and no Qt: these check the sequence the app, `describe` and `bench` share (glance,
close-ups, follow-up, stop), not what the model writes; the real engine runs it in
tests/engine/test_cli.py and tests/app/test_application.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import flow
from engine.conversation import Conversation
from engine.flow import DescribeFlow, Request, description_request
from engine.notices import NoticeKind
from engine.protocol import Done, ErrorKind, Stats, StopReason
from engine.regions import Region

SCREEN = np.zeros((1080, 1920, 3), dtype=np.uint8)
REGIONS = [Region(0, 0, 448, 448), Region(448, 0, 448, 448), Region(896, 0, 448, 448)]


class FakeDescriber:
    """Notes what the flow asks the engine for; the test answers in its place."""

    def __init__(self):
        self.sent: list[tuple] = []
        self.cancels = 0

    def describe(self, ticket, conversation):
        self.sent.append(("describe", ticket, conversation.detail))

    def ask(self, ticket, conversation, question):
        self.sent.append(("ask", ticket, question))

    def refine(self, ticket, conversation, regions):
        self.sent.append(("refine", ticket, list(regions)))

    def cancel(self):
        self.cancels += 1


class Harness:
    def __init__(self):
        self.describer = FakeDescriber()
        self.events: list[tuple[int, object]] = []
        self.plans: list[tuple] = []  # (ticket, count, hint): delivered by the test
        self.flow = DescribeFlow(self.describer, lambda ticket, event: self.events.append((ticket, event)),
                                 lambda ticket, image, count, hint: self.plans.append((ticket, count, hint)))

    def kinds(self) -> list[str]:
        return [type(event).__name__ for _, event in self.events]

    def answer(self, ticket: int, text: str = "Text.", stats: Stats | None = None,
               stop_reason: StopReason = StopReason.END) -> None:
        self.flow.chunk(ticket, text)
        self.flow.done(ticket, Done(0, text, stop_reason, stats or Stats()))


@pytest.fixture
def h():
    return Harness()


def glance_request(ticket=1, hint=None) -> Request:
    return description_request(ticket, SCREEN, "standard", None, is_glance_first=True, window_hint=hint)


def test_glance_then_each_close_up_then_finished(h):
    h.flow.start(glance_request(hint=(10, 20, 300, 200)))
    assert h.describer.sent == [("describe", 1, "brief")]  # the glance, sent before the close-ups are chosen
    assert h.plans == []  # not while the glance's encoder and prefill need the cores
    h.flow.chunk(1, "A")
    h.flow.chunk(1, " window.")
    assert h.plans == [(1, 3, (10, 20, 300, 200))]  # at its first words, once: the level's count, the window hint
    h.flow.planned(1, REGIONS[:2], False)
    h.answer(1)
    h.answer(1)
    h.answer(1)
    assert h.describer.sent[1:] == [("refine", 1, [REGIONS[0]]), ("refine", 1, [REGIONS[1]])]
    assert h.kinds()[2:] == ["TextChunk", "PassDone", "CloseUp", "TextChunk", "PassDone", "CloseUp", "TextChunk",
                             "PassDone", "Finished"]
    close_ups = [event for _, event in h.events if isinstance(event, flow.CloseUp)]
    assert [(c.index, c.total, c.region) for c in close_ups] == [(1, 2, REGIONS[0]), (2, 2, REGIONS[1])]
    assert h.flow.ticket is None and h.events[-1][1] == flow.Finished(is_answer=False)


def test_the_levels_decide_the_close_ups():
    assert description_request(1, SCREEN, "detailed", None, True).close_ups == 6
    brief = description_request(1, SCREEN, "brief", None, True)
    assert brief.close_ups == 0 and brief.conversation.detail == "brief"
    one_pass = description_request(1, SCREEN, "detailed", None, False)  # glance first turned off
    assert one_pass.close_ups == 0 and one_pass.conversation.detail == "detailed"
    small = description_request(1, np.zeros((300, 400, 3), np.uint8), "standard", None, True)
    assert small.close_ups == 0 and small.conversation.detail == "standard"  # the overview sees it all


def test_a_glance_that_ends_first_waits_for_its_close_ups(h):
    h.flow.start(glance_request())
    h.answer(1)
    assert h.kinds() == ["TextChunk", "PassDone"] and len(h.describer.sent) == 1
    h.flow.planned(1, REGIONS[:1], False)
    assert h.describer.sent[-1] == ("refine", 1, [REGIONS[0]])
    h.answer(1)
    assert h.kinds()[-1] == "Finished"


def test_a_failed_close_up_plan_leaves_the_glance_and_says_so(h):
    h.flow.start(glance_request())
    h.answer(1)
    h.flow.planned(1, *flow_plan_that_fails())
    assert [type(e).__name__ for _, e in h.events][-2:] == ["Notice", "Finished"]
    assert h.events[-2][1] == flow.Notice(NoticeKind.LOOK_FAILED)
    assert [s[0] for s in h.describer.sent] == ["describe"]


def flow_plan_that_fails():
    def broken(*_args, **_kwargs):
        raise RuntimeError("scoring failed")

    real, flow.choose_regions = flow.choose_regions, broken
    try:
        return flow.plan_close_ups(SCREEN, 3, None)
    finally:
        flow.choose_regions = real


@pytest.mark.parametrize("state", ["planning", "glance", "glance_done_planning", "close_up", "answer"])
def test_stop_in_each_state_cancels_and_drops_what_comes_later(h, state):
    if state == "answer":
        h.flow.start(Request(1, Conversation(SCREEN, "brief", None), question="What is it?"))
    else:
        h.flow.start(glance_request())
    if state in ("glance", "close_up"):
        h.flow.planned(1, REGIONS, False)
    if state in ("glance_done_planning", "close_up"):
        h.answer(1)
    sent = list(h.describer.sent)
    assert h.flow.stop() is True
    assert h.describer.cancels == 1 and h.events[-1] == (1, flow.Stopped())
    count = len(h.events)
    h.answer(1)  # what the engine had already written
    h.flow.planned(1, REGIONS, False)
    assert len(h.events) == count and h.describer.sent == sent  # nothing shown, nothing more asked
    assert h.flow.stop() is False and h.describer.cancels == 1


def test_a_replaced_request_is_dropped(h):
    h.flow.start(glance_request(ticket=1))
    h.flow.start(Request(2, Conversation(SCREEN, "brief", None), question="And the corner?"))
    assert h.describer.cancels == 1 and h.events == [(1, flow.Stopped())]
    h.answer(1)
    h.flow.planned(1, REGIONS, False)
    assert h.events == [(1, flow.Stopped())] and h.describer.sent[-1] == ("ask", 2, "And the corner?")
    h.answer(2)
    assert [ticket for ticket, _ in h.events[1:]] == [2, 2, 2] and h.events[-1][1] == flow.Finished(is_answer=True)


def test_notices_set_aside_once_per_conversation_and_memory_full_each_time(h):
    conversation = Conversation(SCREEN, "brief", None)
    full = Stats(set_aside_turns=1, answer_room=130)
    for ticket in (1, 2):
        h.flow.start(Request(ticket, conversation, question="More?"))
        h.answer(ticket, stats=full, stop_reason=StopReason.LIMIT)
    notices = [event.kind for _, event in h.events if isinstance(event, flow.Notice)]
    assert notices == [NoticeKind.SET_ASIDE, NoticeKind.MEMORY_FULL, NoticeKind.MEMORY_FULL]


def test_an_engine_failure_ends_the_request(h):
    h.flow.start(glance_request())
    h.flow.failed(1, ErrorKind.WORKER_DIED, "The description engine stopped unexpectedly.")
    assert h.events[-1] == (1, flow.Failed(ErrorKind.WORKER_DIED, "The description engine stopped unexpectedly."))
    h.flow.planned(1, REGIONS, False)
    assert h.flow.ticket is None and [s[0] for s in h.describer.sent] == ["describe"]


def test_a_one_pass_detailed_description_reads_the_text_first_and_is_given_it(h):
    request = description_request(1, SCREEN, "detailed", None, is_glance_first=False)
    assert request.reads_text_first and request.close_ups == 0
    h.flow.start(request)
    assert h.plans == [(1, 0, None)] and h.describer.sent == []  # the text is read before anything is sent
    h.flow.planned(1, [], False, flow.ImageText("Save changes?\nCancel"))
    assert h.describer.sent == [("describe", 1, "detailed")]
    assert h.events == [(1, flow.TextGiven("Save changes?\nCancel"))]
    instruction = request.conversation.instruction
    assert instruction.startswith("Describe this image in detail") and instruction.endswith("Save changes?\nCancel")
    h.answer(1)
    assert h.kinds()[-3:] == ["TextChunk", "PassDone", "Finished"]


def test_a_failed_read_sends_the_one_pass_description_as_it_would_be_without(h):
    request = description_request(1, SCREEN, "detailed", None, is_glance_first=False)
    h.flow.start(request)
    h.flow.planned(1, [], False, None)  # the reader failed or took too long
    assert h.describer.sent == [("describe", 1, "detailed")] and request.conversation.instruction is None
    assert h.events == []


@pytest.mark.parametrize("detail,is_glance_first", [("brief", False), ("standard", False), ("detailed", True)])
def test_only_a_one_pass_detailed_description_reads_first(detail, is_glance_first):
    request = description_request(1, SCREEN, detail, None, is_glance_first=is_glance_first)
    assert not request.reads_text_first


def test_stop_while_the_text_is_read_sends_nothing(h):
    h.flow.start(description_request(1, SCREEN, "detailed", None, is_glance_first=False))
    assert h.flow.stop() is True and h.events[-1] == (1, flow.Stopped())
    h.flow.planned(1, [], False, flow.ImageText("late"))
    assert h.describer.sent == [] and h.events == [(1, flow.Stopped())]


def test_a_glance_without_a_word_still_has_its_close_ups_chosen(h):
    h.flow.start(glance_request())
    h.flow.done(1, Done(0, "", StopReason.END, Stats()))
    assert h.plans == [(1, 3, None)] and h.kinds() == ["PassDone"]
    h.flow.planned(1, REGIONS[:1], False)
    assert h.describer.sent[1:] == [("refine", 1, [REGIONS[0]])]
