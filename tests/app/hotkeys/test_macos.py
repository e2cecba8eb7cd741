"""The macOS backend, with the Quartz API MOCKED.

MOCK: no macOS here. CoreGraphics cannot exist on the Linux test machines, so FakeQuartz
stands in for app.hotkeys.macos_quartz.QuartzApi (the only code that calls it): the
Accessibility permission (missing until the test grants it, as the user does in System
Settings, with a count of macOS's prompts), and an event tap whose key events the test
sends. The backend's thread, key table and decisions run for real. QuartzApi's own ctypes
declarations are tested in test_macos_quartz.py against a compiled stand-in library.
"""

from __future__ import annotations

import threading

import pytest

from app.hotkeys import HotkeyManager, Status, default_bindings
from app.hotkeys.macos import FLAG_COMMAND, FLAG_CONTROL, FLAG_OPTION, FLAG_SHIFT, MacBackend
from tests.app.hotkeys.conftest import Recorder

SIGNAL_TIMEOUT_MS = 2000
KEYCODE_D, KEYCODE_W, KEYCODE_X = 0x02, 0x0D, 0x07  # kVK_ANSI_D, kVK_ANSI_W, kVK_ANSI_X
CAPS_LOCK_FLAG = 0x10000  # kCGEventFlagMaskAlphaShift: must not matter
DEFAULT_FLAGS = FLAG_COMMAND | FLAG_OPTION | FLAG_SHIFT  # Qt's Ctrl+Alt+Shift on macOS


class FakeQuartz:
    """Mock of QuartzApi (see the module docstring)."""

    def __init__(self, is_trusted: bool = True):
        self.trusted = is_trusted
        self.prompts = 0
        self.on_key = None
        self._stop = threading.Event()

    def is_trusted(self, should_prompt: bool = False) -> bool:
        if should_prompt and not self.trusted:
            self.prompts += 1  # macOS shows its "would like to control this computer" dialog
        return self.trusted

    def create_tap(self, on_key):
        self.on_key = on_key
        return None

    def run(self, slice_s: float) -> None:
        self._stop.wait()

    def stop(self) -> None:
        self._stop.set()

    def key(self, keycode: int, flags: int, is_down: bool = True, is_repeat: bool = False) -> bool:
        """A key event reaches the tap; True if the tap drops it (the focused app never sees it)."""
        return self.on_key(is_down, keycode, flags, is_repeat)


@pytest.fixture
def mac(qapp):
    made = []

    def make(**fake_options):
        fake = FakeQuartz(**fake_options)
        manager = HotkeyManager(MacBackend(api_factory=lambda: fake, trust_poll_s=0.01), debounce_s=0.0)
        made.append(manager)
        return manager, fake

    yield make
    for manager in made:
        manager.shutdown()


def test_missing_accessibility_permission_prompts_once_then_the_shortcuts_start_when_allowed(qtbot, mac):
    manager, fake = mac(is_trusted=False)
    results = manager.apply(default_bindings())
    assert {r.status for r in results.values()} == {Status.PENDING}
    message = results["describe_screen"].message
    assert "System Settings" in message and "Accessibility" in message and "turn on VisionPangu Assistant" in message
    assert manager.unsupported_reason is None and fake.prompts == 1
    assert fake.on_key is None  # no tap without the permission
    with qtbot.waitSignal(manager.results_changed, timeout=SIGNAL_TIMEOUT_MS):
        fake.trusted = True  # the user turns the app on in System Settings
    assert {r.status for r in manager.results().values()} == {Status.OK}
    assert fake.prompts == 1  # asked once, then only checked
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        assert fake.key(KEYCODE_D, DEFAULT_FLAGS) is True


def test_closing_while_waiting_for_the_permission_ends_the_thread(mac):
    manager, fake = mac(is_trusted=False)
    manager.apply(default_bindings())
    manager.shutdown()
    assert fake.on_key is None


def test_shortcut_fires_once_and_is_kept_from_the_focused_app(qtbot, mac):
    manager, fake = mac()
    recorder = Recorder(manager)
    assert {r.status for r in manager.apply(default_bindings()).values()} == {Status.OK}

    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        assert fake.key(KEYCODE_D, DEFAULT_FLAGS | CAPS_LOCK_FLAG) is True
    assert fake.key(KEYCODE_D, DEFAULT_FLAGS, is_repeat=True) is True  # auto-repeat: dropped, not fired
    assert fake.key(KEYCODE_D, DEFAULT_FLAGS, is_down=False) is True  # its key-up is dropped too
    assert fake.key(KEYCODE_X, DEFAULT_FLAGS) is False  # not ours: passed on
    assert fake.key(KEYCODE_D, FLAG_COMMAND | FLAG_CONTROL) is False
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        fake.key(KEYCODE_W, DEFAULT_FLAGS)
    assert recorder.calls == [("describe_screen", threading.main_thread().ident),
                              ("describe_window", threading.main_thread().ident)]


def test_turned_off_shortcut_is_passed_on(mac):
    manager, fake = mac()
    manager.apply({**default_bindings(), "describe_screen": None})
    assert fake.key(KEYCODE_D, DEFAULT_FLAGS) is False
