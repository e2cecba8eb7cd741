"""Wayland: the GlobalShortcuts portal over a real (private) D-Bus, and the fallback without it."""

from __future__ import annotations

import threading

import pytest

from app.hotkeys import HotkeyManager, Status, choose_backend, default_bindings
from app.hotkeys.portal import PortalBackend
from tests.app.hotkeys.conftest import Recorder, linux_only
from tests.app.hotkeys.dbus_helpers import read_line, tell

pytestmark = linux_only

SIGNAL_TIMEOUT_MS = 5000
COMMANDS = ("--describe screen", "--describe window", "--describe clipboard", "--stop")


@pytest.fixture
def make_manager(qapp):
    made: list[HotkeyManager] = []

    def make(backend=None) -> HotkeyManager:
        manager = HotkeyManager(backend, debounce_s=0.0)
        made.append(manager)
        return manager

    yield make
    for manager in made:
        manager.shutdown()


def _assert_desktop_shortcut_steps(message: str) -> None:
    assert "Wayland" in message
    assert "keyboard shortcut settings" in message
    for command in COMMANDS:
        assert command in message, command


def test_wayland_without_a_portal_explains_desktop_shortcuts(qtbot, session_bus, wayland_session, make_manager):
    backend = choose_backend()
    assert isinstance(backend, PortalBackend)  # never X11 grabs under Wayland, even with DISPLAY set
    manager = make_manager(backend)

    results = manager.apply(default_bindings())

    assert {r.status for r in results.values()} == {Status.UNSUPPORTED}
    _assert_desktop_shortcut_steps(manager.unsupported_reason)
    assert all(r.message == manager.unsupported_reason for r in results.values())
    assert manager.backend_name == "portal"


def test_wayland_without_a_session_bus_explains_desktop_shortcuts(qtbot, tmp_path, wayland_session, monkeypatch,
                                                                  make_manager):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus-here'}")
    manager = make_manager(choose_backend())
    results = manager.apply(default_bindings())
    assert {r.status for r in results.values()} == {Status.UNSUPPORTED}
    _assert_desktop_shortcut_steps(manager.unsupported_reason)


def _wait_all(qtbot, manager, status: Status) -> dict:
    with qtbot.waitSignal(manager.results_changed, timeout=SIGNAL_TIMEOUT_MS,
                          check_params_cb=lambda results: {r.status for r in results.values()} == {status}) as got:
        pass
    return got.args[0]


def test_portal_binds_the_shortcuts_and_delivers_presses(qtbot, session_bus, make_manager):
    portal = session_bus.start_portal("accept")
    manager = make_manager(PortalBackend())
    recorder = Recorder(manager)

    with qtbot.waitSignal(manager.results_changed, timeout=SIGNAL_TIMEOUT_MS,
                          check_params_cb=lambda r: r["describe_screen"].status is Status.OK):
        pending = manager.apply(default_bindings())
        assert {r.status for r in pending.values()} == {Status.PENDING}
    assert {r.status for r in manager.results().values()} == {Status.OK}
    assert read_line(portal.stdout).startswith("session ")
    bound = read_line(portal.stdout)
    assert "describe_screen=CTRL+ALT+SHIFT+d" in bound and "stop=CTRL+ALT+SHIFT+s" in bound

    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        tell(portal, "activate describe_screen")
    tell(portal, "activate describe_screen")  # held: some desktops repeat Activated
    tell(portal, "deactivate describe_screen")
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        tell(portal, "activate describe_window")
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        tell(portal, "activate describe_screen")  # released and pressed again: fires again

    main = threading.main_thread().ident
    assert recorder.calls == [("describe_screen", main), ("describe_window", main), ("describe_screen", main)]


def test_changing_shortcuts_closes_the_old_session(qtbot, session_bus, make_manager):
    portal = session_bus.start_portal("accept")
    manager = make_manager(PortalBackend())
    recorder = Recorder(manager)
    manager.apply(default_bindings())
    _wait_all(qtbot, manager, Status.OK)
    first_session = read_line(portal.stdout).split()[1]
    read_line(portal.stdout)  # bound

    manager.apply({**default_bindings(), "describe_screen": None})

    assert read_line(portal.stdout) == f"closed {first_session}"
    assert read_line(portal.stdout).startswith("session ")
    assert "describe_screen" not in read_line(portal.stdout)
    qtbot.waitUntil(lambda: manager.results()["describe_window"].status is Status.OK, timeout=SIGNAL_TIMEOUT_MS)
    assert manager.results()["describe_screen"].status is Status.OFF
    tell(portal, "activate describe_screen")
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        tell(portal, "activate describe_window")
    assert recorder.ids == ["describe_window"]


def test_portal_refusal_is_reported_with_what_to_do(qtbot, session_bus, make_manager):
    session_bus.start_portal("refuse")
    manager = make_manager(PortalBackend())
    manager.apply(default_bindings())
    results = _wait_all(qtbot, manager, Status.UNSUPPORTED)
    assert "refused" in results["describe_screen"].message
    for command in COMMANDS:
        assert command in results["describe_screen"].message
