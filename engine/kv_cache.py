"""What llama.cpp's KV cache holds for the session, and the edits made to it in place.

The system-prompt prefix (shared by every description, never recomputed), which conversation
and how many of its turns, and the positions of the follow-ups appended since it was built:
when the context fills, the oldest of those is removed and the rest moved back, so nothing is
read again (llama.cpp re-rotates the moved keys: a RoPE shift, llama.h llama_memory_seq_add).
"""

from __future__ import annotations

SEQ = 0  # the one sequence the session uses


class KvCache:
    def __init__(self, lib, ctx):
        self._lib, self._ctx = lib, ctx
        self.prefix: tuple[int, ...] | None = None  # the first text chunk's tokens, at positions [0, len)
        self._conversation: tuple[str, int] | None = None  # (conversation id, turns in the cache)
        # Cache positions [start, end) of the follow-ups appended to the cached conversation, oldest first.
        self._spans: list[tuple[int, int]] = []

    @property
    def _memory(self):
        return self._lib.llama_get_memory(self._ctx)

    def end(self) -> int:
        """The position after the last token in the cache (0 when empty)."""
        return self._lib.llama_memory_seq_pos_max(self._memory, SEQ) + 1

    def holds(self, conversation: str, n_turns: int) -> bool:
        return self._conversation == (conversation, n_turns)

    @property
    def has_follow_ups(self) -> bool:
        """Appended follow-ups that can be set aside in place."""
        return bool(self._spans)

    def forget_conversation(self) -> None:
        """What the cache holds past the prefix can no longer be continued (stopped, or being replaced)."""
        self._conversation = None

    def holding(self, conversation: str, n_turns: int, appended_at: int | None) -> None:
        """The cache now ends with this conversation's `n_turns` turns; the last one (a follow-up
        read from `appended_at`) can be set aside in place later."""
        self._conversation = (conversation, n_turns)
        if appended_at is not None:
            self._spans.append((appended_at, self.end()))

    def clear(self) -> None:
        self._lib.llama_memory_clear(self._memory, True)
        self.prefix = None
        self._conversation = None
        self._spans = []

    def keep_prefix(self, first_tokens: tuple[int, ...]) -> None:
        """Before a conversation is read from the start: keep the system prompt if it begins the same way."""
        self._conversation = None
        self._spans = []  # turns read in a rebuild are set aside by rebuilding, not in place
        if self.prefix is not None and first_tokens == self.prefix:
            # llama.cpp removes positions [len(prefix), end)
            if not self._lib.llama_memory_seq_rm(self._memory, SEQ, len(self.prefix), -1):
                self.clear()
        else:
            self.clear()

    def set_aside_oldest(self) -> bool:
        """Remove the oldest appended follow-up and move what follows it back.

        False if this model's cache cannot shift; the caller then rebuilds a shorter conversation.
        """
        lib, memory = self._lib, self._memory
        if not self._spans or not lib.llama_memory_can_shift(memory):
            return False
        start, end = self._spans.pop(0)
        removed = end - start
        if not lib.llama_memory_seq_rm(memory, SEQ, start, end):
            self.clear()
            return False
        lib.llama_memory_seq_add(memory, SEQ, end, -1, -removed)
        self._spans = [(s - removed, e - removed) for s, e in self._spans]
        return True
