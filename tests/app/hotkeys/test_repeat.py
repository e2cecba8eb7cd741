"""RepeatFilter on the two event patterns X11 uses for a held key (the X11 tests see them for real)."""

from __future__ import annotations

from app.hotkeys.repeat import MAX_REPEAT_GAP_MS, RepeatFilter

KEY, OTHER = 40, 41
DELAY_MS, INTERVAL_MS = 660, 40  # Xorg's default auto-repeat timing


def test_detectable_autorepeat_press_press_release():
    keys = RepeatFilter()
    assert keys.press(KEY, 1000)
    assert [keys.press(KEY, 1000 + DELAY_MS + i * INTERVAL_MS) for i in range(5)] == [False] * 5
    keys.release(KEY, 2000)
    assert keys.press(KEY, 2500)  # a new press after the release
    assert keys.repeats_ignored == 5


def test_classic_autorepeat_release_and_press_at_the_same_time():
    keys = RepeatFilter()
    assert keys.press(KEY, 1000)
    for i in range(5):
        moment = 1000 + DELAY_MS + i * INTERVAL_MS
        keys.release(KEY, moment)
        assert not keys.press(KEY, moment)
    keys.release(KEY, 2000)
    assert keys.press(KEY, 2001)  # a real, quick second press: a different instant
    assert keys.repeats_ignored == 5


def test_keys_are_independent():
    keys = RepeatFilter()
    assert keys.press(KEY, 1000)
    assert keys.press(OTHER, 1010)


def test_a_lost_release_does_not_silence_the_key_for_good():
    keys = RepeatFilter()
    assert keys.press(KEY, 1000)
    assert keys.press(KEY, 1000 + MAX_REPEAT_GAP_MS + 1)


def test_reset_forgets_held_keys():
    keys = RepeatFilter()
    keys.press(KEY, 1000)
    keys.reset()
    assert keys.press(KEY, 1100)


def test_x_time_wraps_around():
    keys = RepeatFilter()
    assert keys.press(KEY, 2**32 - 10)
    assert not keys.press(KEY, 20)  # 30 ms later, after the 32-bit wrap
