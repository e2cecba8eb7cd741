"""What the user should know about an answer: the describe flow's notices, and their words, once.

engine/flow.py decides when a notice is due; the command line prints its words, the app shows
and speaks them through Qt's translation.
"""

from __future__ import annotations

from enum import StrEnum


class NoticeKind(StrEnum):
    LOOK_FAILED = "look_failed"  # no close-ups could be chosen: the glance is all there is
    SET_ASIDE = "set_aside"  # the model no longer holds the earliest follow-ups (once per conversation)
    MEMORY_FULL = "memory_full"  # the answer stopped for lack of room in the model's memory


NOTICE_TEXTS = {
    NoticeKind.LOOK_FAILED: "A sharper look was not possible this time, so this is the quick description.",
    NoticeKind.SET_ASIDE: "To make room, the model no longer remembers the earliest questions about this image.",
    NoticeKind.MEMORY_FULL: ("The answer stopped early: the model's memory for this image is full. "
                             "A lower detail level leaves more room."),
}
