"""The Windows backend's thread and message loop, with the Win32 API MOCKED.

user32/kernel32 cannot exist on the Linux test machines, so FakeWin32 stands in for
app.hotkeys.windows.Win32Api (the only code that calls them): a thread message queue,
RegisterHotKey that answers like Windows (0, or the error code GetLastError would give),
WM_HOTKEY posted as a key press would, a thread timer's WM_TIMER, and the foreground window's
keyboard layout (which the user may switch while the app runs). The backend's own loop, thread
and bookkeeping run for real. Win32Api's own ctypes declarations are tested in
test_win32_api.py against a compiled stand-in library.
"""

from __future__ import annotations

import queue
import threading

import pytest

from app.hotkeys import HotkeyManager, Status, default_bindings
from app.hotkeys.keymap import KEYS
from app.hotkeys.windows import (ERROR_HOTKEY_ALREADY_REGISTERED, LAYOUT_POLL_MS, MOD_ALT, MOD_CONTROL, MOD_NOREPEAT,
                                 MOD_SHIFT, WM_HOTKEY, WM_TIMER, WindowsBackend)
from tests.app.hotkeys.conftest import Recorder

SIGNAL_TIMEOUT_MS = 2000
THREAD_ID = 4242
TIMER_ID = 7
US_HKL = 0x04090409
ERROR_ACCESS_DENIED = 5


class FakeWin32:
    """Mock of Win32Api (see the module docstring). Called only from the backend's thread."""

    def __init__(self, taken_vks=(), failing_vks=()):
        self.messages: queue.SimpleQueue = queue.SimpleQueue()
        self.registered: dict[int, tuple[int, int]] = {}  # hotkey id -> (modifiers, vk)
        self.calls: list[tuple] = []
        self.taken_vks, self.failing_vks = set(taken_vks), set(failing_vks)
        self.owner: int | None = None
        self.layout = US_HKL
        self.timers: dict[int, int] = {}  # timer id -> interval (ms)

    def create_queue(self) -> int:
        self.owner = threading.get_ident()
        return THREAD_ID

    def get_message(self):
        assert threading.get_ident() == self.owner
        return self.messages.get()

    def post(self, thread_id: int, message: int) -> bool:
        assert thread_id == THREAD_ID
        self.messages.put((message, 0))
        return True

    def register_hotkey(self, hotkey_id: int, modifiers: int, vk: int) -> int:
        assert threading.get_ident() == self.owner  # WM_HOTKEY goes to the registering thread
        self.calls.append(("register", hotkey_id, modifiers, vk))
        if vk in self.taken_vks:
            return ERROR_HOTKEY_ALREADY_REGISTERED
        if vk in self.failing_vks:
            return ERROR_ACCESS_DENIED
        self.registered[hotkey_id] = (modifiers, vk)
        return 0

    def unregister_hotkey(self, hotkey_id: int) -> None:
        assert threading.get_ident() == self.owner
        self.calls.append(("unregister", hotkey_id))
        self.registered.pop(hotkey_id)

    def error_text(self, code: int) -> str:
        return "Access is denied."

    def start_timer(self, interval_ms: int) -> int:
        assert threading.get_ident() == self.owner  # WM_TIMER goes to the thread that set the timer
        self.timers[TIMER_ID] = interval_ms
        return TIMER_ID

    def stop_timer(self, timer_id: int) -> None:
        assert threading.get_ident() == self.owner
        self.timers.pop(timer_id)

    def current_layout(self) -> int:
        return self.layout

    def vk_for_character(self, character: str, layout: int) -> int | None:
        """The US layout: each punctuation key where keymap.py puts it."""
        return KEYS[ord(character)].win_vk

    def typed_character(self, modifiers: int, vk: int, layout: int) -> str:
        return ""  # the US layout has no AltGr

    def tick(self) -> None:
        """The thread timer fires."""
        self.messages.put((WM_TIMER, TIMER_ID))

    def press(self, vk: int) -> None:
        """The user presses the registered combination whose key is vk."""
        hotkey_id = next(i for i, (_, key) in self.registered.items() if key == vk)
        self.messages.put((WM_HOTKEY, hotkey_id))


@pytest.fixture
def win(qapp):
    made = []

    def make(fake_class=None, **fake_options):
        fake = (fake_class or FakeWin32)(**fake_options)
        manager = HotkeyManager(WindowsBackend(api_factory=lambda: fake), debounce_s=0.0)
        made.append(manager)
        return manager, fake

    yield make
    for manager in made:
        manager.shutdown()


def test_every_hotkey_is_registered_with_mod_norepeat(win):
    manager, fake = win()
    results = manager.apply(default_bindings())
    assert {r.status for r in results.values()} == {Status.OK}
    assert len(fake.registered) == len(results)
    for modifiers, _ in fake.registered.values():
        assert modifiers == MOD_CONTROL | MOD_ALT | MOD_SHIFT | MOD_NOREPEAT
    assert (MOD_CONTROL | MOD_ALT | MOD_SHIFT | MOD_NOREPEAT, ord("D")) in fake.registered.values()


def test_wm_hotkey_emits_activated_on_the_gui_thread(qtbot, win):
    manager, fake = win()
    recorder = Recorder(manager)
    manager.apply(default_bindings())
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        fake.press(ord("D"))
    assert recorder.calls == [("describe_screen", threading.main_thread().ident)]


def test_already_registered_is_busy_and_the_rest_still_register(win):
    manager, fake = win(taken_vks={ord("D")})
    results = manager.apply(default_bindings())
    assert results["describe_screen"].status is Status.BUSY
    assert "Control + Alt + Shift + D is already used by another program" in results["describe_screen"].message
    assert all(r.status is Status.OK for a, r in results.items() if a != "describe_screen")


def test_other_errors_are_unsupported_with_the_system_text(win):
    manager, _ = win(failing_vks={ord("S")})
    result = manager.apply(default_bindings())["stop"]
    assert result.status is Status.UNSUPPORTED and "Access is denied." in result.message


def test_changing_settings_unregisters_the_old_hotkeys_first(win):
    manager, fake = win()
    manager.apply(default_bindings())
    first_ids = set(fake.registered)
    fake.calls.clear()
    manager.apply({**default_bindings(), "describe_screen": None})
    unregistered = [call[1] for call in fake.calls if call[0] == "unregister"]
    assert set(unregistered) == first_ids
    assert fake.calls.index(("unregister", unregistered[-1])) < min(
        i for i, call in enumerate(fake.calls) if call[0] == "register")
    assert ord("D") not in {vk for _, vk in fake.registered.values()}


def test_shutdown_unregisters_everything(win):
    manager, fake = win()
    manager.apply(default_bindings())
    manager.shutdown()
    assert fake.registered == {}


def test_ctrl_pause_is_registered_as_vk_cancel_which_windows_sends_for_it(win):
    from app.hotkeys.windows import VK_CANCEL, VK_PAUSE

    manager, fake = win()
    results = manager.apply({"describe_screen": "Ctrl+Pause", "stop": "Alt+Pause"})
    assert results["describe_screen"].status is Status.OK and results["stop"].status is Status.OK
    assert sorted(vk for _, vk in fake.registered.values()) == [VK_CANCEL, VK_PAUSE]


class LayoutWin32(FakeWin32):
    """FakeWin32 with keyboard layouts, by HKL: which VK types each character (VkKeyScanExW) and what a
    VK types with Ctrl+Alt(+Shift) held (ToUnicodeEx), modelled on Windows' US, Polish (programmer's),
    German and French layouts. Still a MOCK: no Windows here."""

    def __init__(self, scan: dict[str, int | None] | None = None, altgr: dict[tuple[int, int], str] | None = None,
                 **options):
        super().__init__(**options)
        self.layouts = {US_HKL: (scan or {}, altgr or {})}
        self.asked_layouts: set[int] = set()

    def vk_for_character(self, character: str, layout: int) -> int | None:
        self.asked_layouts.add(layout)
        return self.layouts[layout][0].get(character)

    def typed_character(self, modifiers: int, vk: int, layout: int) -> str:
        self.asked_layouts.add(layout)
        return self.layouts[layout][1].get((modifiers, vk), "")

    def switch(self, layout: int, scan: dict[str, int | None], altgr: dict[tuple[int, int], str] | None = None):
        """The user switches the foreground window's keyboard layout; the timer fires later."""
        self.layouts[layout] = (scan, altgr or {})
        self.layout = layout


def test_a_shortcut_that_types_an_altgr_character_says_which(win):
    # Polish (programmer's): AltGr+Shift+S types "Ś", and Ctrl+Alt is AltGr.
    manager, _fake = win(LayoutWin32, altgr={(MOD_CONTROL | MOD_ALT | MOD_SHIFT, ord("S")): "Ś"})
    results = manager.apply({"stop": "Ctrl+Alt+Shift+S", "describe_screen": "Ctrl+Alt+Shift+D"})
    stop, describe = results["stop"], results["describe_screen"]
    assert stop.status is Status.OK and "Ś" in stop.caution and "AltGr" in stop.message
    assert describe.status is Status.OK and describe.caution == ""
    assert manager.problems() == [stop.message], "said once, with the shortcuts that do not work"


def test_punctuation_is_the_key_that_types_it_on_the_users_layout(win):
    # German: "-" is on the US "/" key (VK_OEM_MINUS is 0xBD on both, but "," "." and "-" move
    # elsewhere on other layouts); "/" needs Shift+7 there, so a shortcut cannot end in it.
    manager, fake = win(LayoutWin32, scan={"-": 0xBD, ".": 0xBE, "/": None})
    results = manager.apply({"describe_screen": "Ctrl+Alt+.", "stop": "Ctrl+Alt+/"})
    assert results["describe_screen"].status is Status.OK
    assert sorted(vk for _, vk in fake.registered.values()) == [0xBE]
    assert results["stop"].status is Status.UNSUPPORTED and "keyboard" in results["stop"].message


US_SCAN = {";": 0xBA, ",": 0xBC, ".": 0xBE}
FRENCH_HKL, POLISH_HKL = 0x040C040C, 0x04150415
FRENCH_SCAN = {";": 0xBE, ",": 0xBC, ".": None}  # AZERTY: ";" on VK_OEM_PERIOD, "." needs Shift
CTRL_ALT_SHIFT = MOD_CONTROL | MOD_ALT | MOD_SHIFT


def test_a_layout_switch_registers_the_shortcuts_again_for_the_new_layout(qtbot, win):
    manager, fake = win(LayoutWin32, scan=US_SCAN)
    results = manager.apply({"describe_screen": "Ctrl+Alt+;", "stop": "Ctrl+Alt+."})
    assert fake.timers == {TIMER_ID: LAYOUT_POLL_MS}
    assert results["stop"].status is Status.OK
    assert sorted(vk for _, vk in fake.registered.values()) == [0xBA, 0xBE]
    fake.switch(FRENCH_HKL, FRENCH_SCAN)
    with qtbot.waitSignal(manager.results_changed, timeout=SIGNAL_TIMEOUT_MS):
        fake.tick()
    assert sorted(vk for _, vk in fake.registered.values()) == [0xBE]  # the US keys are gone
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):
        fake.press(0xBE)  # the key that types ";" on AZERTY
    assert manager.results()["describe_screen"].status is Status.OK
    assert manager.results()["stop"].status is Status.UNSUPPORTED
    assert fake.asked_layouts == {US_HKL, FRENCH_HKL}  # always the foreground window's layout


def test_a_layout_switch_brings_the_altgr_caution_of_the_new_layout(qtbot, win):
    manager, fake = win(LayoutWin32)
    assert manager.apply({"stop": "Ctrl+Alt+Shift+S"})["stop"].caution == ""
    fake.switch(POLISH_HKL, {}, {(CTRL_ALT_SHIFT, ord("S")): "Ś"})
    with qtbot.waitSignal(manager.results_changed, timeout=SIGNAL_TIMEOUT_MS):
        fake.tick()
    assert "Ś" in manager.results()["stop"].caution


def test_the_timer_without_a_layout_switch_registers_nothing_again(qtbot, win):
    manager, fake = win(LayoutWin32, scan=US_SCAN)
    manager.apply({"describe_screen": "Ctrl+Alt+;"})
    fake.calls.clear()
    fake.tick()
    fake.tick()
    with qtbot.waitSignal(manager.activated, timeout=SIGNAL_TIMEOUT_MS):  # the thread has handled both ticks
        fake.press(0xBA)
    assert fake.calls == []
    manager.shutdown()
    assert fake.timers == {} and fake.registered == {}
