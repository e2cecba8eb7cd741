"""One conversation about one image: what the model has read and answered, owned by the caller.

The caller (the describe flow, on the caller's thread) records each finished answer here; the
engine is handed a snapshot with every request, so a fresh worker can rebuild the whole
conversation after a crash, and nothing on the engine's side ever changes the caller's copy.
Saved with a history entry and reopened, it sends the engine the same requests as before.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field

import numpy as np

from engine.protocol import Describe, Done

ROLE_USER, ROLE_ASSISTANT = "user", "assistant"
SAVED_KEYS = ("detail", "language", "instruction", "turns")  # what a saved history entry keeps


@dataclass
class Conversation:
    image: np.ndarray
    detail: str  # the first description's level (the glance's, when close-ups followed)
    language: str | None
    instruction: str | None = None
    # After the first description: the assistant's description, then (user, assistant) pairs, each
    # user turn a question or a close-up (its "regions" in image pixels, as the model read them).
    turns: list[dict] = field(default_factory=list)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    is_set_aside_told: bool = False  # the user heard that the earliest follow-ups were set aside

    def record(self, done: Done) -> None:
        """A finished answer, with the follow-up turn it answered (a question or close-ups)."""
        if done.user_turn:
            self.turns.append(done.user_turn)
        self.turns.append({"role": ROLE_ASSISTANT, "content": done.text})

    def request(self, request_id: int, question: str | None = None, regions: list | None = None,
                region_texts: list[str] | None = None) -> Describe:
        """The engine's request for the next answer: the whole conversation, and what is asked now."""
        image = np.ascontiguousarray(self.image, dtype=np.uint8)
        return Describe(request_id, self.id, image.tobytes(), image.shape, self.detail, self.language,
                        self.instruction, [dict(turn) for turn in self.turns], question, regions, region_texts)

    def snapshot(self) -> Conversation:
        """A copy for the engine's thread: the same image (never written), its own list of turns."""
        return dataclasses.replace(self, turns=[dict(turn) for turn in self.turns])

    def saved(self) -> dict:
        return {key: getattr(self, key) for key in SAVED_KEYS}

    @classmethod
    def from_saved(cls, image: np.ndarray, record: dict) -> Conversation:
        """Raises KeyError, TypeError or ValueError for a damaged record."""
        turns = [_checked_turn(turn) for turn in record["turns"]]
        return cls(image, str(record["detail"]), _optional_str(record.get("language")),
                   _optional_str(record.get("instruction")), turns)


def _optional_str(value) -> str | None:
    return None if value is None else str(value)


def _checked_turn(turn: dict) -> dict:
    """A saved turn as the engine reads it: text stays text, regions stay four whole numbers each."""
    if not isinstance(turn, dict) or turn.get("role") not in (ROLE_USER, ROLE_ASSISTANT):
        raise ValueError("not a conversation turn")
    checked = {"role": turn["role"], "content": str(turn["content"])}
    if turn.get("regions"):
        regions = [[int(v) for v in region] for region in turn["regions"]]
        if any(len(region) != 4 for region in regions):
            raise ValueError("a close-up region is not x, y, width, height")
        checked.update(regions=regions, images=len(regions))
    return checked
