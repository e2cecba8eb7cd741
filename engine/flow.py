"""One describe flow: the glance, the close-ups of the second look, a follow-up; stop at any point.

Defined once, and driven by all who describe: the app (its controller, through the engine
bridge), `describe` and `bench` (engine/flow_run.py). Qt-free and single-threaded: the driver
starts a request, feeds in what the engine answered and what the planner chose, and the flow
sends the engine its next request and reports typed events. Each request has a ticket; what
arrives for another ticket (a replaced or stopped request) is dropped.

A description with close-ups: the glance (the overview tile alone, a short answer) is sent at
once; the close-ups are chosen once its first words arrive (while it is written), off the
driver's thread where it has one (scoring a large image takes 0.1-0.2 s, reading its text a few
seconds); then one request per close-up, most informative first, each written while the
previous answer is still being spoken.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

from engine.conversation import Conversation
# The events, declared in engine/flow_events.py, are part of the flow's interface: `flow.TextChunk`.
from engine.flow_events import (CloseUp, Failed, Finished, FlowEvent, Notice, PassDone, Stopped,  # noqa: F401
                                TextChunk, TextGiven)
from engine.notices import NoticeKind
from engine.protocol import Done, ErrorKind, StopReason
from engine.prompts import detail_level, grounded_instruction
from engine.regions import Region, choose_regions, has_close_ups

log = logging.getLogger(__name__)
GLANCE_DETAIL = "brief"  # the glance: the overview tile alone (256 image tokens), a short answer
Rect = tuple[int, int, int, int]


class Describer(Protocol):
    """The engine as the flow uses it: app/describe/engine_bridge.py, or engine/flow_run.py's client adapter."""

    def describe(self, ticket: int, conversation: Conversation) -> None: ...
    def ask(self, ticket: int, conversation: Conversation, question: str) -> None: ...
    def refine(self, ticket: int, conversation: Conversation, regions: list[Region]) -> None: ...
    def cancel(self) -> None: ...


# Chooses up to `count` close-ups of `image` and hands them to DescribeFlow.planned, now or later.
Planner = Callable[[int, np.ndarray, int, "Rect | None"], None]


@dataclass(frozen=True)
class ImageText:
    """The exact text read off the whole image, for a one-pass description's prompt."""

    text: str  # whole lines in reading order, one per line ("" if none was found)
    is_cut: bool = False  # lines were left out (engine.ocr.grounding.MAX_IMAGE_TEXT_CHARS)


@dataclass(frozen=True)
class Request:
    ticket: int
    conversation: Conversation
    question: str | None = None  # a follow-up; None: describe
    close_ups: int = 0  # after the description, a second look at up to this many regions
    window_hint: Rect | None = None  # the window the user works in (image pixels): it matters most
    # A one-pass description at a level that reads text (the detailed level, with no glance first):
    # the planner reads the image's text first (asked for 0 close-ups), and the description is given it.
    reads_text_first: bool = False

    @property
    def reads_text(self) -> bool:
        """Whether the planner reads the image's text for this request (close-ups, or a one pass first)."""
        return self.question is None and (self.close_ups > 0 or self.reads_text_first)


def description_request(ticket: int, image: np.ndarray, detail: str, language: str | None,
                        is_glance_first: bool, window_hint: Rect | None = None) -> Request:
    """A description at `detail`: glance first, then the level's close-ups, when asked and when the
    image is larger than the overview tile shows at full resolution; else one pass at `detail`."""
    level = detail_level(detail)
    close_ups = level.close_ups if is_glance_first and has_close_ups(image) else 0
    conversation = Conversation(image, GLANCE_DETAIL if close_ups else detail, language)
    return Request(ticket, conversation, close_ups=close_ups, window_hint=window_hint,
                   reads_text_first=not close_ups and level.reads_text)


def plan_close_ups(image: np.ndarray, count: int, hint: Rect | None,
                   lines: list | None = None) -> tuple[list[Region], bool, ImageText | None]:
    """(regions, whether choosing them failed, the whole image's text): a failure leaves the glance
    to stand alone. `count` 0: no close-ups, only the text (before a one-pass description).

    `lines`: the image's text (engine.ocr.reader.Line), if it was read: the regions are chosen with
    its boxes too, and each carries the exact text inside it for its close-up's prompt."""
    try:
        if lines is None:
            return (choose_regions(image, count, hint=hint) if count else []), False, None
        from engine.ocr.grounding import grounded, whole_text

        image_text = ImageText(*whole_text(lines))
        if not count:
            return [], False, image_text
        regions = choose_regions(image, count, hint=hint, text_boxes=[line.box for line in lines])
        return grounded(regions, lines), False, image_text
    except Exception:  # never seen; the glance then stands alone rather than the request hanging
        log.exception("choosing the close-ups failed")
        return [], True, None


Emit = Callable[[int, FlowEvent], None]  # (ticket, event)


class DescribeFlow:
    def __init__(self, describer: Describer | None, emit: Emit, planner: Planner):
        self._describer, self._emit, self._planner = describer, emit, planner
        self._request: Request | None = None
        self._regions: list[Region] | None = None  # None while being chosen
        self._next = 0  # the next close-up's index
        self._waiting_glance: Done | None = None  # a glance that ended before its close-ups were chosen
        self._notices: list[NoticeKind] = []
        self._is_reading_first = False  # a one-pass description waits for the image's text
        self._is_plan_due = False  # the close-ups are chosen once the glance's first words arrive

    def attach(self, describer: Describer | None) -> None:
        """The engine to send to from now on (None: none, while the app has no model)."""
        self._describer = describer

    @property
    def ticket(self) -> int | None:
        """The request in progress, or None."""
        return self._request.ticket if self._request is not None else None

    def start(self, request: Request) -> None:
        """Begin `request`, replacing (stopping) any in progress."""
        self.stop()
        self._request, self._next, self._waiting_glance, self._notices = request, 0, None, []
        self._is_plan_due = False
        conversation = request.conversation
        is_second_look = request.question is None and request.close_ups > 0
        self._is_reading_first = request.question is None and not is_second_look and request.reads_text_first
        self._regions = None if is_second_look or self._is_reading_first else []
        if self._is_reading_first:  # the description is sent once the text is read (planned)
            self._planner(request.ticket, conversation.image, 0, request.window_hint)
        elif request.question is None:
            self._describer.describe(request.ticket, conversation)
        else:
            self._describer.ask(request.ticket, conversation, request.question)
        # Not now: the glance's encoder and prefill need both cores for its first word, and choosing
        # the close-ups (the edge scoring, and the text read beside it, even below the worker's
        # priority) took a share of them; from its first words on, the glance is decoding.
        self._is_plan_due = is_second_look

    def stop(self) -> bool:
        """Stop what is in progress (the engine is told to cancel); False if nothing was."""
        if self._request is None:
            return False
        ticket, self._request = self._request.ticket, None
        if self._describer is not None:
            self._describer.cancel()
        self._emit(ticket, Stopped())
        return True

    # --- fed by the driver ------------------------------------------------------------------
    def planned(self, ticket: int, regions: list[Region], has_failed: bool, text: ImageText | None = None) -> None:
        """The planner's choice; `text`: the whole image's text (None: not read, or the read failed)."""
        if ticket != self.ticket or self._regions is not None:
            return  # replaced or stopped meanwhile
        if self._is_reading_first:
            self._is_reading_first, self._regions = False, []
            self._describe_with(text)
            return
        self._regions = list(regions)
        if has_failed:
            self._notices.append(NoticeKind.LOOK_FAILED)
        if self._waiting_glance is not None:
            self._waiting_glance = None
            self._after_pass()

    def chunk(self, ticket: int, text: str) -> None:
        if ticket == self.ticket:
            self._emit(ticket, TextChunk(text))
            self._plan_if_due()

    def done(self, ticket: int, done: Done) -> None:
        if ticket != self.ticket:
            return
        self._plan_if_due()  # a glance that ended without a word
        self._request.conversation.record(done)
        self._note(done)
        self._emit(ticket, PassDone(done.text, done.stop_reason, done.stats))
        if self._regions is None:  # its close-ups are still being chosen
            self._waiting_glance = done
            return
        self._after_pass()

    def failed(self, ticket: int, error: ErrorKind, message: str) -> None:
        if ticket == self.ticket:
            self._request = None
            self._emit(ticket, Failed(error, message))

    def cancelled(self, ticket: int) -> None:
        """The engine cancelled the request on its own (it was waiting behind a reload)."""
        if ticket == self.ticket:
            self._request = None
            self._emit(ticket, Stopped())

    # --- the sequence ---------------------------------------------------------------------------
    def _plan_if_due(self) -> None:
        if self._is_plan_due:
            self._is_plan_due = False
            request = self._request
            self._planner(request.ticket, request.conversation.image, request.close_ups, request.window_hint)

    def _describe_with(self, text: ImageText | None) -> None:
        """The one-pass description, given the image's text if it was read (else as it would be without)."""
        request = self._request
        conversation = request.conversation
        if text is not None:
            instruction = conversation.instruction or detail_level(conversation.detail).instruction
            conversation.instruction = grounded_instruction(instruction, text.text, text.is_cut)
            self._emit(request.ticket, TextGiven(text.text))
        self._describer.describe(request.ticket, conversation)

    def _note(self, done: Done) -> None:
        conversation = self._request.conversation
        if done.stats.set_aside_turns and not conversation.is_set_aside_told:
            conversation.is_set_aside_told = True  # once per image: answers no longer draw on the earliest questions
            self._notices.append(NoticeKind.SET_ASIDE)
        if done.stats.answer_room and done.stop_reason == StopReason.LIMIT:
            self._notices.append(NoticeKind.MEMORY_FULL)

    def _after_pass(self) -> None:
        request = self._request
        if self._next < len(self._regions):
            index, self._next = self._next, self._next + 1
            region = self._regions[index]
            self._emit(request.ticket, CloseUp(index + 1, len(self._regions), region))
            self._describer.refine(request.ticket, request.conversation, [region])
            return
        self._request = None
        for kind in self._notices:
            self._emit(request.ticket, Notice(kind))
        self._emit(request.ticket, Finished(is_answer=request.question is not None))
