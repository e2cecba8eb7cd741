"""The macOS backend, with the Quartz API MOCKED.

MOCK: no macOS here. CoreGraphics cannot exist on the Linux test machines, so FakeQuartz
stands in for app.hotkeys.macos_quartz.QuartzApi (the only code that calls it): the
Accessibility permission (missing until the test grants it, as the user does in System
Settings, with a count of macOS's prompts), and an event tap whose key events the test
sends. FakeKeyboard stands in for app.hotkeys.mac_layout.CarbonKeyboard (Carbon cannot exist here
either): a layout's characters (US, QWERTZ, or none when macOS gives no Unicode layout data), what
Option types, and the user selecting another layout. The backend's thread, key table and decisions
run for real. QuartzApi's and CarbonKeyboard's own ctypes declarations are tested in
test_macos_quartz.py and test_mac_layout.py against compiled stand-in libraries.
"""

from __future__ import annotations

import threading

import pytest

from app.hotkeys import HotkeyManager, Status, default_bindings
from app.hotkeys.keymap import KEYS, layout_character
from app.hotkeys.macos import (CARBON_OPTION, CARBON_SHIFT, FLAG_COMMAND, FLAG_CONTROL, FLAG_OPTION, FLAG_SHIFT,
                               MacBackend)
from tests.app.hotkeys.conftest import Recorder

SIGNAL_TIMEOUT_MS = 2000
KEYCODE_D, KEYCODE_W, KEYCODE_X = 0x02, 0x0D, 0x07  # kVK_ANSI_D, kVK_ANSI_W, kVK_ANSI_X
KEYCODE_Y, KEYCODE_Z, KEYCODE_L, KEYCODE_SLASH = 0x10, 0x06, 0x25, 0x2C  # kVK_ANSI_Y, _Z, _L, _Slash
# Every letter and punctuation key where the US (ABC) layout has it: keymap.py's key positions.
US = {layout_character(info): info.mac_keycode for info in KEYS.values() if layout_character(info)}
# German (QWERTZ): Y and Z swapped, "-" on the US "/" key, "/" only with Shift+7 (no key types it alone).
GERMAN = {**{c: code for c, code in US.items() if c not in "/-"}, "z": KEYCODE_Y, "y": KEYCODE_Z, "-": KEYCODE_SLASH}
GERMAN_OPTION = {(KEYCODE_L, CARBON_OPTION): "@", (KEYCODE_L, CARBON_OPTION | CARBON_SHIFT): "\ufb01"}
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


class FakeKeyboard:
    """Mock of CarbonKeyboard (see the module docstring); it records the threads that call it."""

    def __init__(self, characters: dict[str, int] | None = None, option: dict | None = None):
        self.characters_table, self.option = characters, option or {}
        self.on_change = None
        self.threads: set[int] = set()
        self.is_closed = False

    def characters(self) -> dict[str, int] | None:
        self.threads.add(threading.get_ident())
        return None if self.characters_table is None else dict(self.characters_table)

    def typed_character(self, keycode: int, carbon_modifiers: int) -> str:
        self.threads.add(threading.get_ident())
        return self.option.get((keycode, carbon_modifiers), "")

    def watch(self, on_change) -> None:
        self.on_change = on_change

    def close(self) -> None:
        self.is_closed = True

    def select(self, characters: dict[str, int] | None, option: dict | None = None) -> None:
        """The user picks another layout; macOS notifies on the main thread (the test's thread here)."""
        self.characters_table, self.option = characters, option or {}
        self.on_change()


@pytest.fixture
def mac(qapp):
    made = []

    def make(keyboard: FakeKeyboard | None = None, **fake_options):
        fake = FakeQuartz(**fake_options)
        keyboard = keyboard or FakeKeyboard(US)
        backend = MacBackend(api_factory=lambda: fake, trust_poll_s=0.01, keyboard_factory=lambda: keyboard)
        manager = HotkeyManager(backend, debounce_s=0.0)
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


def test_on_qwertz_the_shortcuts_z_is_the_key_that_types_z(qtbot, mac):
    manager, fake = mac(FakeKeyboard(GERMAN))
    assert manager.apply({"describe_screen": "Ctrl+Alt+Shift+Z"})["describe_screen"].status is Status.OK
    assert fake.key(KEYCODE_Z, DEFAULT_FLAGS) is False  # the key labelled Y there: passed on
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        assert fake.key(KEYCODE_Y, DEFAULT_FLAGS) is True  # the key labelled Z


def test_a_character_no_key_of_the_layout_types_alone_is_refused(mac):
    manager, fake = mac(FakeKeyboard(GERMAN))
    results = manager.apply({"describe_screen": "Ctrl+Alt+/", "stop": "Ctrl+Alt+-"})
    assert results["describe_screen"].status is Status.UNSUPPORTED and "keyboard" in results["describe_screen"].message
    assert results["stop"].status is Status.OK
    assert fake.key(KEYCODE_SLASH, FLAG_COMMAND | FLAG_OPTION) is True  # "-" is on the US "/" key


def test_without_unicode_layout_data_the_key_positions_are_used(qtbot, mac):
    # Some input methods (Japanese) give no kTISPropertyUnicodeKeyLayoutData: keymap.py's positions.
    manager, fake = mac(FakeKeyboard(None))
    assert manager.apply({"describe_screen": "Ctrl+Alt+Shift+Z"})["describe_screen"].status is Status.OK
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        assert fake.key(KEYCODE_Z, DEFAULT_FLAGS) is True


def test_a_layout_change_while_running_moves_the_shortcuts_to_the_new_keys(qtbot, mac):
    keyboard = FakeKeyboard(US)
    manager, fake = mac(keyboard)
    manager.apply({**default_bindings(), "describe_screen": "Ctrl+Alt+Shift+Z"})
    assert fake.key(KEYCODE_Z, DEFAULT_FLAGS) is True and fake.key(KEYCODE_Z, DEFAULT_FLAGS, is_down=False) is True
    with qtbot.waitSignal(manager.results_changed, timeout=SIGNAL_TIMEOUT_MS):
        keyboard.select(GERMAN)
    assert manager.results()["describe_screen"].status is Status.OK
    assert fake.key(KEYCODE_Z, DEFAULT_FLAGS) is False  # the old key is no longer ours
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        assert fake.key(KEYCODE_Y, DEFAULT_FLAGS) is True
    assert keyboard.threads == {threading.main_thread().ident}, "macOS allows layout calls on the main thread only"
    manager.shutdown()
    assert keyboard.is_closed


def test_a_layout_change_while_the_permission_is_missing_keeps_the_shortcuts_pending(qtbot, mac):
    keyboard = FakeKeyboard(US)
    manager, fake = mac(keyboard, is_trusted=False)
    manager.apply({"describe_screen": "Ctrl+Alt+Shift+Z"})
    with qtbot.waitSignal(manager.results_changed, timeout=SIGNAL_TIMEOUT_MS):
        keyboard.select(GERMAN)
    assert manager.results()["describe_screen"].status is Status.PENDING
    fake.trusted = True  # the tap starts with the table of the layout selected meanwhile
    qtbot.waitUntil(lambda: manager.results()["describe_screen"].status is Status.OK, timeout=SIGNAL_TIMEOUT_MS)
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        assert fake.key(KEYCODE_Y, DEFAULT_FLAGS) is True
    assert keyboard.threads == {threading.main_thread().ident}


def test_a_shortcut_that_types_a_character_with_option_says_which(mac):
    manager, _fake = mac(FakeKeyboard(GERMAN, GERMAN_OPTION))
    results = manager.apply({"describe_screen": "Alt+L", "describe_window": "Alt+Shift+L", "stop": "Ctrl+Alt+L"})
    assert results["describe_screen"].status is Status.OK and "@" in results["describe_screen"].caution
    assert "\ufb01" in results["describe_window"].caution
    assert results["stop"].caution == ""  # with Command held, a key types no text
    assert manager.problems() == [results["describe_screen"].message, results["describe_window"].message]
