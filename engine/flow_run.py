"""The describe flow (engine/flow.py) driven in one thread, as `describe` and `bench` run it.

`run` starts one request and yields the flow's events until it has finished, failed or stopped,
reading the client's events in between. The close-ups are chosen once the glance's first words
arrive (engine/flow.py): in this thread from the edge signal alone, or, with a text reader
(an engine.ocr.process.OcrClient), in a planning thread that first reads the image's text, so the
glance's chunks keep coming meanwhile. A one-pass detailed description has its text read the
same way, before it is sent.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Iterator

from engine.client import EngineClient
from engine.conversation import Conversation
from engine.flow import DescribeFlow, Failed, Finished, FlowEvent, PassDone, Request, Stopped, plan_close_ups
from engine.protocol import Cancelled, Chunk, Done
from engine.protocol import Failed as EngineFailed
from engine.regions import Region

END_EVENTS = (Finished, Failed, Stopped)


class ClientDescriber:
    """engine.flow.Describer over an EngineClient: remembers which ticket each request id serves."""

    def __init__(self, client: EngineClient):
        self.client = client
        self._tickets: dict[int, int] = {}

    def describe(self, ticket: int, conversation: Conversation) -> None:
        self._tickets = {self.client.describe(conversation): ticket}

    def ask(self, ticket: int, conversation: Conversation, question: str) -> None:
        self._tickets = {self.client.ask(conversation, question): ticket}

    def refine(self, ticket: int, conversation: Conversation, regions: list[Region]) -> None:
        self._tickets = {self.client.refine(conversation, regions): ticket}

    def cancel(self) -> None:
        self.client.cancel()

    def ticket(self, request_id: int | None) -> int | None:
        return self._tickets.get(request_id)


def start_text_reader(n_threads: int | None):
    """The text reader requests that read text are grounded in (engine.flow.Request.reads_text),
    started beside the model below its CPU priority; if it cannot run, they go without text."""
    from engine.ocr.process import OcrClient

    ocr = OcrClient(n_threads, is_background=True)
    ocr.start()
    return ocr


PLANNING_POLL_S = 0.05  # how often the driver looks for the planning thread's result


def run(client: EngineClient, request: Request, event_timeout: float, ocr=None) -> Iterator[FlowEvent]:
    """The flow's events for `request`, up to and including the one that ends it; `ocr`: a started
    text reader, whose text the close-ups are chosen with and grounded in.

    Raises engine.client.WorkerLost if the worker died before it could take a request.
    """
    events: deque[FlowEvent] = deque()
    describer = ClientDescriber(client)
    flow: DescribeFlow | None = None
    planned: list[tuple] = []  # the planning thread's result: (ticket, regions, has_failed)
    glance_done = threading.Event()  # the planning thread then waits only a little longer for the text

    def plan(ticket, image, count, hint) -> None:
        if ocr is None:
            flow.planned(ticket, *plan_close_ups(image, count, hint))
            return

        def read_and_plan() -> None:
            from engine.ocr.grounding import read_timeout_s, read_whole

            lines = read_whole(ocr, image, glance_done, read_timeout_s(count))
            planned.append((ticket, *plan_close_ups(image, count, hint, lines)))

        threading.Thread(target=read_and_plan, daemon=True, name="close-up-planner").start()

    flow = DescribeFlow(describer, lambda _ticket, event: events.append(event), plan)
    flow.start(request)
    while True:
        while events:
            event = events.popleft()
            if isinstance(event, PassDone):
                glance_done.set()
            yield event
            if isinstance(event, END_EVENTS):
                return
        if planned:
            flow.planned(*planned.pop())
            continue
        is_planning = ocr is not None and flow.ticket is not None
        event = client.next_event(PLANNING_POLL_S if is_planning else event_timeout)
        if event is None:
            continue
        ticket = describer.ticket(event.request_id)
        if isinstance(event, Chunk):
            flow.chunk(ticket, event.text)
        elif isinstance(event, Done):
            flow.done(ticket, event)
        elif isinstance(event, EngineFailed):
            flow.failed(request.ticket if ticket is None else ticket, event.error, event.message)
        elif isinstance(event, Cancelled):
            flow.cancelled(ticket)
