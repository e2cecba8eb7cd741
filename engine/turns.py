"""Prompt assembly for one request: the messages, the new turn, its close-ups and its budget."""

from __future__ import annotations

import numpy as np

from engine.prompts import detail_level, follow_up_max_tokens, refine_instruction, refine_max_tokens, system_prompt
from engine.protocol import Describe
from engine.regions import Region


class Picture:
    """The request's full-size image, let go as soon as what is needed from it exists.

    A 2688x2016 photo is 16 MB; a rebuild lets it go once its close-ups are cut and PIL holds
    the copy it scales, before mtmd's tokenizer makes its own buffers; an appended turn once
    mtmd holds its close-ups. That keeps it out of the worker's peak memory (README, "Results").
    """

    def __init__(self, req: Describe):
        pixels, req.pixels = req.pixels, None  # the worker does not keep them
        self._pixels: np.ndarray | None = np.frombuffer(pixels, dtype=np.uint8).reshape(req.shape)
        self.size = (int(self._pixels.shape[1]), int(self._pixels.shape[0]))

    @property
    def pixels(self) -> np.ndarray:
        if self._pixels is None:
            raise RuntimeError("the image was already released")
        return self._pixels

    def release(self) -> None:
        self._pixels = None


def base_messages(req: Describe) -> list[dict]:
    """The system prompt and the description's instruction, with the image."""
    instruction = req.instruction or detail_level(req.detail).instruction
    return [{"role": "system", "content": system_prompt(req.language)},
            {"role": "user", "content": instruction, "images": 1}]


def new_turn(req: Describe, image_size: tuple[int, int]) -> dict | None:
    """The follow-up's user turn (a question, or close-ups of regions); None for a description."""
    if req.regions:
        regions = [Region(*r) for r in req.regions]
        places = [r.where(*image_size) for r in regions]
        return {"role": "user", "content": refine_instruction(places, req.region_texts), "images": len(regions),
                "regions": req.regions}
    if req.question:
        return {"role": "user", "content": req.question}
    return None


def max_tokens(req: Describe, turn: dict | None) -> int:
    """The answer's whole budget (the context may leave it less)."""
    if turn is None:
        return detail_level(req.detail).max_tokens
    return refine_max_tokens(len(turn["regions"])) if "regions" in turn else follow_up_max_tokens()


def close_ups(image: Picture, turns: list[dict]) -> list[np.ndarray]:
    return [Region(*r).crop(image.pixels) for turn in turns for r in turn.get("regions") or []]


def too_long_message(turn: dict | None) -> str:
    if turn is None:
        return ("This image needs more of the model's memory than it has at this detail level. "
                "Choose a lower detail level.")
    return "This question is too long for the model's memory. Ask a shorter question."
