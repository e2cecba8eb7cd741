"""The X11 backend against a real X server (Xvfb): real grabs, real key presses (xdotool).

"Did not fire" is never checked by sleeping: after the key that must do nothing, a key that
must fire is pressed; X delivers events in order, so once the second arrives the first has
been handled.
"""

from __future__ import annotations

import threading

import pytest

from app.hotkeys import HotkeyManager, Status, action, default_bindings
from app.hotkeys.x11 import X11Backend
from tests.app.hotkeys.conftest import linux_only

pytestmark = linux_only

SIGNAL_TIMEOUT_MS = 5000
SCREEN, WINDOW, CLIPBOARD = "describe_screen", "describe_window", "describe_clipboard"
PRESS_SCREEN, PRESS_WINDOW = "ctrl+alt+shift+d", "ctrl+alt+shift+w"
MIN_REPEATS_SEEN = 3  # enough auto-repeat events to be sure the hold really repeated


def press_and_wait(qtbot, server, manager, keys: str, action_id: str) -> None:
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS,
                          check_params_cb=lambda fired: fired == action_id):
        server.press(keys)


def test_hotkey_emits_activated_on_the_gui_thread(qtbot, xserver, make_x11_manager):
    manager, _, recorder = make_x11_manager(xserver)
    results = manager.apply(default_bindings())
    assert {r.status for r in results.values()} == {Status.OK}, [r.message for r in results.values()]
    assert results[SCREEN].keys == action(SCREEN).default_keys == "Ctrl+Alt+Shift+D"

    press_and_wait(qtbot, xserver, manager, PRESS_SCREEN, SCREEN)

    assert recorder.calls == [(SCREEN, threading.main_thread().ident)]


def test_hotkey_works_whatever_the_lock_keys(qtbot, xserver, make_x11_manager):
    manager, _, recorder = make_x11_manager(xserver)
    manager.apply(default_bindings())
    xserver.xdotool("key", "Num_Lock")
    press_and_wait(qtbot, xserver, manager, PRESS_SCREEN, SCREEN)
    xserver.xdotool("key", "Caps_Lock")  # Num Lock and Caps Lock both on
    press_and_wait(qtbot, xserver, manager, PRESS_WINDOW, WINDOW)
    assert recorder.ids == [SCREEN, WINDOW]


def _focus_snapshot(server) -> tuple[str, str]:
    return server.xdotool("getactivewindow"), server.xdotool("getwindowfocus")


def test_works_while_another_app_has_focus_and_never_moves_focus(qtbot, desktop, make_x11_manager):
    other = desktop.spawn(["xmessage", "-name", "otherapp", "Another application"], "xmessage")
    window = desktop.xdotool("search", "--sync", "--onlyvisible", "--classname", "otherapp").splitlines()[0]
    desktop.xdotool("windowactivate", "--sync", window)
    before = _focus_snapshot(desktop)
    assert before[0] == window  # the other application is the active window
    manager, _, recorder = make_x11_manager(desktop)
    manager.apply(default_bindings())

    press_and_wait(qtbot, desktop, manager, PRESS_SCREEN, SCREEN)
    press_and_wait(qtbot, desktop, manager, PRESS_WINDOW, WINDOW)

    assert _focus_snapshot(desktop) == before
    assert other.poll() is None
    assert recorder.ids == [SCREEN, WINDOW]


def test_keeps_input_focus_without_a_window_manager(qtbot, xserver, make_x11_manager):
    xserver.spawn(["xmessage", "-name", "otherapp", "Another application"], "xmessage")
    window = xserver.xdotool("search", "--sync", "--onlyvisible", "--classname", "otherapp").splitlines()[0]
    xserver.xdotool("windowfocus", "--sync", window)
    before = xserver.xdotool("getwindowfocus")
    manager, _, _ = make_x11_manager(xserver)
    manager.apply(default_bindings())

    press_and_wait(qtbot, xserver, manager, PRESS_SCREEN, SCREEN)

    assert xserver.xdotool("getwindowfocus") == before == window


def test_combination_taken_by_another_program_is_busy_and_the_rest_still_work(qtbot, xserver, make_x11_manager):
    other, verdict = xserver.grab_in_other_program(PRESS_SCREEN)
    assert verdict == "grabbed"
    manager, _, recorder = make_x11_manager(xserver)

    results = manager.apply(default_bindings())

    assert results[SCREEN].status is Status.BUSY
    assert "Control + Alt + Shift + D is already used by another program" in results[SCREEN].message
    assert all(r.status is Status.OK for action_id, r in results.items() if action_id != SCREEN)
    assert manager.problems() == [results[SCREEN].message]
    xserver.press(PRESS_SCREEN)  # goes to the other program, not to us
    press_and_wait(qtbot, xserver, manager, PRESS_WINDOW, WINDOW)
    assert recorder.ids == [WINDOW]

    xserver.release_other_program(other)
    assert manager.apply(default_bindings())[SCREEN].status is Status.OK
    press_and_wait(qtbot, xserver, manager, PRESS_SCREEN, SCREEN)


def test_turning_a_shortcut_off_ungrabs_it(qtbot, xserver, make_x11_manager):
    manager, _, recorder = make_x11_manager(xserver)
    manager.apply(default_bindings())
    press_and_wait(qtbot, xserver, manager, PRESS_SCREEN, SCREEN)

    results = manager.apply({**default_bindings(), SCREEN: None})

    assert results[SCREEN].status is Status.OFF
    xserver.press(PRESS_SCREEN)
    press_and_wait(qtbot, xserver, manager, PRESS_WINDOW, WINDOW)
    assert recorder.ids == [SCREEN, WINDOW]
    other, verdict = xserver.grab_in_other_program(PRESS_SCREEN)  # the server agrees it is free
    assert verdict == "grabbed"
    xserver.release_other_program(other)


def test_changing_a_combination_ungrabs_the_old_one(qtbot, xserver, make_x11_manager):
    manager, _, recorder = make_x11_manager(xserver)
    manager.apply(default_bindings())

    results = manager.apply({**default_bindings(), SCREEN: "Ctrl+Alt+Shift+E"})

    assert results[SCREEN].status is Status.OK and results[SCREEN].keys == "Ctrl+Alt+Shift+E"
    xserver.press(PRESS_SCREEN)
    press_and_wait(qtbot, xserver, manager, "ctrl+alt+shift+e", SCREEN)
    assert recorder.ids == [SCREEN]
    other, verdict = xserver.grab_in_other_program(PRESS_SCREEN)
    assert verdict == "grabbed"
    xserver.release_other_program(other)


@pytest.mark.parametrize("detectable", [True, False], ids=["xkb-detectable-repeat", "classic-repeat"])
def test_held_key_fires_once(qtbot, xserver, make_x11_manager, detectable):
    # No debounce here: only auto-repeat detection may keep the held key from firing again.
    manager, backend, recorder = make_x11_manager(xserver, debounce_s=0.0, use_detectable_autorepeat=detectable)
    manager.apply(default_bindings())
    assert backend.detectable_autorepeat is detectable

    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        xserver.xdotool("keydown", PRESS_SCREEN)
    qtbot.waitUntil(lambda: backend.repeats.repeats_ignored >= MIN_REPEATS_SEEN, timeout=SIGNAL_TIMEOUT_MS)
    xserver.xdotool("keyup", PRESS_SCREEN)
    press_and_wait(qtbot, xserver, manager, PRESS_WINDOW, WINDOW)

    assert recorder.ids == [SCREEN, WINDOW]
    # The server really sent the form asked for (XKB's per-client flag took effect, or not asked).
    seen = backend.repeats.held_repeats if detectable else backend.repeats.paired_repeats
    assert seen == backend.repeats.repeats_ignored


def test_pressing_again_fires_again(qtbot, xserver, make_x11_manager):
    manager, _, recorder = make_x11_manager(xserver, debounce_s=0.0)
    manager.apply(default_bindings())
    press_and_wait(qtbot, xserver, manager, PRESS_SCREEN, SCREEN)
    press_and_wait(qtbot, xserver, manager, PRESS_SCREEN, SCREEN)
    assert recorder.ids == [SCREEN, SCREEN]


def test_shutdown_releases_every_grab(qtbot, xserver, make_x11_manager):
    manager, _, _ = make_x11_manager(xserver)
    manager.apply(default_bindings())
    manager.shutdown()
    for keys in (PRESS_SCREEN, PRESS_WINDOW):
        other, verdict = xserver.grab_in_other_program(keys)
        assert verdict == "grabbed"
        xserver.release_other_program(other)


def test_losing_the_display_is_reported_not_silent(qtbot, xserver, make_x11_manager):
    manager, _, _ = make_x11_manager(xserver)
    manager.apply(default_bindings())
    with qtbot.waitSignal(manager.failed, timeout=SIGNAL_TIMEOUT_MS) as blocker:
        xserver.kill_server()
    assert "stopped working" in blocker.args[0]
    assert {r.status for r in manager.results().values()} == {Status.UNSUPPORTED}


def test_unreachable_display_is_explained(qapp):
    manager = HotkeyManager(X11Backend(":4095"))
    results = manager.apply(default_bindings())
    manager.shutdown()
    assert {r.status for r in results.values()} == {Status.UNSUPPORTED}
    assert "could not connect to the display :4095" in manager.unsupported_reason
