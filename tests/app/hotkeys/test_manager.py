"""HotkeyManager's own logic, over NullBackend (which grabs nothing) and UnsupportedBackend."""

from __future__ import annotations

import threading

import pytest

from app.hotkeys import (HOTKEYS_ENV, HotkeyManager, NullBackend, Outcome, Status, UnsupportedBackend,
                         choose_backend, default_bindings, session_kind)
from app.hotkeys.backend import HotkeyBackend
from app.hotkeys.settings import ENABLED, HOTKEY_SETTINGS, KEYS, read_bindings, write_binding
from app.storage.settings import Settings
from tests.app.hotkeys.conftest import Recorder

SIGNAL_TIMEOUT_MS = 2000
DEBOUNCE_S = 0.25


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def null_manager(qapp):
    backend, clock = NullBackend(), FakeClock()
    manager = HotkeyManager(backend, debounce_s=DEBOUNCE_S, clock=clock)
    yield manager, backend, clock
    manager.shutdown()


def _trigger_from_another_thread(backend: NullBackend, action_id: str) -> None:
    worker = threading.Thread(target=backend.trigger, args=(action_id,))
    worker.start()
    worker.join()


def test_presses_from_a_backend_thread_arrive_on_the_gui_thread(qtbot, null_manager):
    manager, backend, _ = null_manager
    recorder = Recorder(manager)
    manager.apply(default_bindings())
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        _trigger_from_another_thread(backend, "stop")
    assert recorder.calls == [("stop", threading.main_thread().ident)]


def test_presses_closer_than_the_debounce_interval_count_once(qapp, null_manager):
    manager, backend, clock = null_manager
    recorder = Recorder(manager)
    manager.apply(default_bindings())
    presses = [(0.0, "describe_screen"),  # fires
               (0.1, "describe_screen"),  # a bounce: ignored
               (DEBOUNCE_S + 0.05, "describe_screen"),  # a deliberate second press: fires
               (0.0, "describe_window")]  # another action is never held back: fires
    for step, action_id in presses:
        clock.now += step
        backend.trigger(action_id)
        qapp.processEvents()  # delivers the queued press at this clock reading
    assert recorder.ids == ["describe_screen", "describe_screen", "describe_window"]


def test_every_action_gets_a_result_with_a_message(null_manager):
    manager, backend, _ = null_manager
    results = manager.apply({"describe_screen": "Ctrl+Alt+Shift+D", "describe_window": "Insert+W",
                             "stop": "Ctrl+Alt+Shift+D", "repeat_last": None})
    assert results["describe_screen"].status is Status.OK
    assert results["describe_screen"].message == "Control + Alt + Shift + D: Describe the screen."
    assert results["describe_window"].status is Status.INVALID and "NVDA" in results["describe_window"].message
    assert results["stop"].status is Status.INVALID and "already the shortcut" in results["stop"].message
    assert results["repeat_last"].status is Status.OFF
    assert results["ask_followup"].status is Status.OFF  # left out means off
    assert set(results) == {a for a in default_bindings()}
    assert all(r.message for r in results.values())
    assert set(backend.bindings) == {"describe_screen"}  # only valid ones reach the backend
    assert len(manager.problems()) == 2


def test_turned_off_action_does_not_fire_even_if_a_press_was_in_flight(qtbot, null_manager):
    manager, backend, _ = null_manager
    recorder = Recorder(manager)
    manager.apply(default_bindings())
    backend.trigger("describe_screen")  # queued for the GUI thread ...
    manager.apply({**default_bindings(), "describe_screen": None})  # ... when it is turned off
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        backend.trigger("describe_window")
    assert recorder.ids == ["describe_window"]


def test_unknown_action_id_is_a_programming_error(null_manager):
    with pytest.raises(KeyError, match="describe_everything"):
        null_manager[0].apply({"describe_everything": "Ctrl+Alt+Shift+E"})


class _FailingStart(HotkeyBackend):
    name = "failing"

    def start(self, on_activated, on_outcomes, on_failed):
        return "No display."

    def register(self, bindings):
        raise AssertionError("never registers after a failed start")

    def close(self):
        pass


def test_a_backend_that_cannot_start_makes_every_shortcut_unsupported(qapp):
    manager = HotkeyManager(_FailingStart())
    results = manager.apply(default_bindings())
    assert {r.status for r in results.values()} == {Status.UNSUPPORTED}
    assert {r.message for r in results.values()} == {"No display."} and manager.unsupported_reason == "No display."


def test_later_outcomes_and_failures_reach_the_results(qtbot, qapp):
    class Later(NullBackend):
        def start(self, on_activated, on_outcomes, on_failed):
            self.report, self.fail = on_outcomes, on_failed
            return super().start(on_activated, on_outcomes, on_failed)

        def register(self, bindings):
            super().register(bindings)
            return {action_id: Outcome(Status.PENDING) for action_id in bindings}

    backend = Later()
    manager = HotkeyManager(backend)
    assert manager.apply(default_bindings())["stop"].status is Status.PENDING
    with qtbot.waitSignal(manager.results_changed, timeout=SIGNAL_TIMEOUT_MS):
        backend.report({"stop": Outcome(Status.OK)}, backend.bindings)
    assert manager.results()["stop"].status is Status.OK
    stale = dict(backend.bindings)
    manager.apply({**default_bindings(), "stop": "Ctrl+Alt+Shift+X"})
    backend.report({"stop": Outcome(Status.BUSY)}, stale)  # about the replaced bindings: ignored
    qapp.processEvents()  # delivers it
    assert manager.results()["stop"].status is Status.PENDING
    with qtbot.waitSignal(manager.failed, timeout=SIGNAL_TIMEOUT_MS) as failed:
        backend.fail("Lost it.")
    assert failed.args == ["Lost it."]
    assert manager.results()["stop"].status is Status.UNSUPPORTED and manager.results()["stop"].message == "Lost it."
    manager.shutdown()


def test_follow_settings_reapplies_once_after_a_change(qtbot, tmp_path, null_manager):
    manager, backend, _ = null_manager
    settings = Settings(tmp_path / "settings.ini")
    assert read_bindings(settings) == default_bindings()
    manager.follow_settings(settings)
    with qtbot.waitSignal(manager.results_changed, timeout=SIGNAL_TIMEOUT_MS):
        write_binding(settings, "describe_screen", "Ctrl+Alt+Shift+E")
    assert manager.results()["describe_screen"].keys == "Ctrl+Alt+Shift+E"
    with qtbot.waitSignal(manager.results_changed, timeout=SIGNAL_TIMEOUT_MS):
        write_binding(settings, "describe_screen", None)
    assert manager.results()["describe_screen"].status is Status.OFF
    assert settings.get(KEYS["describe_screen"]) == "Ctrl+Alt+Shift+E"  # kept for turning it on again
    assert not settings.get(ENABLED["describe_screen"])
    assert len(HOTKEY_SETTINGS) == 2 * len(default_bindings())


@pytest.mark.parametrize("environ, kind", [
    ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "wayland"),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "wayland"),
    ({"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "x11"),
    ({"XDG_SESSION_TYPE": "tty", "DISPLAY": ":0"}, "x11"),  # startx
    ({}, "none"),
])
def test_session_kind(environ, kind):
    assert session_kind(environ) == kind


def test_backend_choice():
    assert choose_backend({HOTKEYS_ENV: "null", "DISPLAY": ":0"}, "linux").name == "null"
    assert choose_backend({"DISPLAY": ":0"}, "linux").name == "x11"
    assert choose_backend({"XDG_SESSION_TYPE": "wayland", "DISPLAY": ":0"}, "linux").name == "portal"
    assert choose_backend({}, "win32").name == "windows"
    assert choose_backend({}, "darwin").name == "macos"
    nothing = choose_backend({}, "linux")
    assert isinstance(nothing, UnsupportedBackend) and "No graphical desktop session" in nothing.message
