"""Tells a real key press from keyboard auto-repeat, from key press/release events alone.

X11 sends auto-repeat in one of two ways (Xlib manual, XkbSetDetectableAutoRepeat):
- detectable auto-repeat (the X11 backend asks for it): press, press, press ..., release;
- classic: release + press pairs with the same timestamp, as seen under Xorg and Xvfb.
Both are recognised here, so repeat is ignored even where the XKB request is refused.

A release can be missed (the grab was replaced while the key was held); a key seen as held
is therefore forgotten if nothing was heard from it for longer than any auto-repeat gap, so
a lost release never silences the shortcut for good.
"""

from __future__ import annotations

# Longer than any auto-repeat delay a desktop offers (GNOME and KDE allow up to 1 s, Xorg
# defaults to 660 ms) plus scheduling slack.
MAX_REPEAT_GAP_MS = 2000
X_TIME_MODULUS = 1 << 32  # X timestamps are 32-bit milliseconds and wrap


def _elapsed_ms(earlier: int, later: int) -> int:
    return (later - earlier) % X_TIME_MODULUS


class RepeatFilter:
    """Feed it every key press and release of one keyboard; `press()` says if it is a new press."""

    def __init__(self):
        self._held: dict[int, int] = {}  # keycode -> time of its last press or repeat
        self._released_at: dict[int, int] = {}  # keycode -> time of its last release
        self.held_repeats = 0  # detectable form seen (diagnostics and tests)
        self.paired_repeats = 0  # classic form seen

    def press(self, keycode: int, time_ms: int) -> bool:
        last = self._held.get(keycode)
        self._held[keycode] = time_ms
        if last is not None and _elapsed_ms(last, time_ms) <= MAX_REPEAT_GAP_MS:
            self.held_repeats += 1  # detectable auto-repeat: press while held
            return False
        if self._released_at.get(keycode) == time_ms:
            self.paired_repeats += 1  # classic auto-repeat: release and press at the same instant
            return False
        return True

    @property
    def repeats_ignored(self) -> int:
        return self.held_repeats + self.paired_repeats

    def release(self, keycode: int, time_ms: int) -> None:
        self._held.pop(keycode, None)
        self._released_at[keycode] = time_ms

    def reset(self) -> None:
        """Forget held keys (the grabs changed, so their releases may never come)."""
        self._held.clear()
        self._released_at.clear()
