"""One phrase queued for the voice, and its view of stop(), used by the voice's owner thread."""

from __future__ import annotations

from typing import NamedTuple


class Job(NamedTuple):
    generation: int
    sequence: int  # 1, 2, ... in say() order; names the files in file mode
    text: str
    queued_at: float  # time.monotonic() at say(): when the phrase was handed to speech


class Token:
    """A job's view of stop(): cancelled once the generation moved on or the engine is closing."""

    def __init__(self, owner, generation: int):
        self._owner = owner
        self._generation = generation

    def is_cancelled(self) -> bool:
        # Plain reads: an int and a bool are replaced atomically, and a stale read only delays by a poll.
        return self._owner._generation != self._generation or self._owner._is_closing

    def wait(self, seconds: float) -> bool:
        self._owner._interrupt.wait(seconds)
        return self.is_cancelled()
