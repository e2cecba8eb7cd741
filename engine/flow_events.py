"""What the describe flow (engine/flow.py) reports to whoever drives it: typed events, in order.

A description's events: TextChunk while an answer streams, TextGiven before a one-pass
description that was given the image's text, CloseUp before each close-up is asked for, PassDone
after each answer, Notice (said once the request is complete), and one of Finished, Failed or
Stopped to end it.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.notices import NoticeKind
from engine.protocol import ErrorKind, Stats, StopReason
from engine.regions import Region


@dataclass(frozen=True)
class TextChunk:
    text: str


@dataclass(frozen=True)
class CloseUp:
    """Sent just before close-up `index` (1-based) of `total` is asked for."""

    index: int
    total: int
    region: Region


@dataclass(frozen=True)
class TextGiven:
    """The exact text read off the image, given to the model with a one-pass description."""

    text: str


@dataclass(frozen=True)
class PassDone:
    """One pass (the description, a close-up or an answer) is complete."""

    text: str
    stop_reason: StopReason
    stats: Stats


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind


@dataclass(frozen=True)
class Finished:
    """The whole request is complete (after its last PassDone and its notices)."""

    is_answer: bool


@dataclass(frozen=True)
class Failed:
    error: ErrorKind
    message: str  # plain words


@dataclass(frozen=True)
class Stopped:
    pass


FlowEvent = TextChunk | CloseUp | TextGiven | PassDone | Notice | Finished | Failed | Stopped
