"""Windows backend: RegisterHotKey from a thread that owns its own message queue.

RegisterHotKey with a null window posts WM_HOTKEY to the queue of the thread that called
it, so one thread registers, unregisters and runs GetMessageW; other threads reach it
with PostThreadMessageW (learn.microsoft.com, RegisterHotKey and PostThreadMessageW).
- MOD_NOREPEAT (Windows 7 and later): holding the keys sends one WM_HOTKEY, not one per
  auto-repeat.
- ERROR_HOTKEY_ALREADY_REGISTERED (1409): another program has the combination -> BUSY.
- The system delivers WM_HOTKEY without activating or focusing any window.
- Keyboard layouts: letters, digits and function keys have the same virtual-key code on every
  layout, but the punctuation keys' VK_OEM_* codes are the US layout's; such a key is found by
  its character on the user's layout (VkKeyScanExW), and refused if that layout types it only
  with Shift or AltGr. Ctrl+Alt is AltGr on many layouts (Polish, German, French...): while
  a shortcut holds Ctrl+Alt(+Shift)+key, that key's AltGr character can no longer be typed in
  any program, so the outcome says which character it is (ToUnicodeEx with Ctrl and Alt down).
- The layout is the foreground window's, checked every LAYOUT_POLL_MS on the hotkey thread (a
  thread timer; WM_INPUTLANGCHANGE goes to the focused window, never to this thread): when the
  user switches layout, every shortcut is registered again for the new one.
Win32Api (win32_api.py) is the only code that touches user32/kernel32; the tests replace it
(they run on Linux, where these APIs cannot exist) and load its declarations into a stand-in.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Callable

from app.hotkeys.backend import Outcome, Status
from app.hotkeys.combo import KeyCombo, Mod
from app.hotkeys.keymap import KEYS
from app.hotkeys.owned_thread import QueuedBackend
from app.hotkeys.texts import (altgr_message, connection_lost_message, missing_library_message,
                               unexpected_failure_message, unmappable_key_message)
from app.hotkeys.win32_api import MOD_ALT, MOD_CONTROL, MOD_NOREPEAT, MOD_SHIFT, Win32Api
from app.hotkeys.worker import CommandQueue

log = logging.getLogger(__name__)

WM_HOTKEY, WM_TIMER, WM_APP = 0x0312, 0x0113, 0x8000
WM_WAKE = WM_APP + 1  # "work is waiting in the command queue"
ERROR_HOTKEY_ALREADY_REGISTERED = 1409
# With Ctrl held, the Pause key sends VK_CANCEL, not VK_PAUSE ("Virtual-Key Codes",
# learn.microsoft.com: VK_CANCEL 0x03 "Control-break processing"), so Ctrl+Pause is registered as that.
VK_PAUSE, VK_CANCEL = 0x13, 0x03
LAYOUT_POLL_MS = 1000  # how soon the shortcuts follow a change of keyboard layout
OEM_KEYS = frozenset(range(0xBA, 0xE3))  # VK_OEM_1 .. VK_OEM_102: the punctuation keys, placed per layout
FIRST_HOTKEY_ID = 1  # an application's ids must lie in 0x0000-0xBFFF


def win_modifiers(combo: KeyCombo) -> int | None:
    """RegisterHotKey's fsModifiers, always with MOD_NOREPEAT; None for the Windows key."""
    if combo.modifiers & Mod.META:
        return None  # refused by validation; never registered
    flags = MOD_NOREPEAT
    for mod, flag in ((Mod.CTRL, MOD_CONTROL), (Mod.ALT, MOD_ALT), (Mod.SHIFT, MOD_SHIFT)):
        if combo.modifiers & mod:
            flags |= flag
    return flags


class WindowsBackend(QueuedBackend):
    name = "windows"
    thread_name = "hotkeys-win32"

    def __init__(self, api_factory: Callable[[], object] = Win32Api):
        super().__init__(CommandQueue(wake=lambda: None))  # the real wake is set once the queue exists
        self._api_factory = api_factory
        self._ids: dict[int, str] = {}  # hotkey id -> action id; owned by the thread
        self._bindings: dict[str, KeyCombo] = {}  # what register() asked for, to register again on a new layout
        self._layout = 0  # the HKL the shortcuts are registered for
        self._timer = 0

    # --- the owning thread ----------------------------------------------------------------
    def _run(self, ready: Future) -> None:
        try:
            self._api = self._api_factory()
            thread_id = self._api.create_queue()
        except (OSError, AttributeError, ImportError) as error:  # no user32: not really Windows
            log.warning("user32 could not be loaded: %s", error)
            self._cannot_start(ready, missing_library_message("user32"))
            return
        self._commands.set_wake(lambda: self._api.post(thread_id, WM_WAKE))
        self._timer = self._api.start_timer(LAYOUT_POLL_MS)
        ready.set_result(None)
        self._serve(ready, self._loop, self._release)

    def _loop(self) -> None:
        while not self._stopping:
            message = self._api.get_message()
            if message is None:
                if not self._stopping:
                    self._on_failed(connection_lost_message())
                return
            kind, wparam = message
            if kind == WM_HOTKEY and wparam in self._ids:
                self._on_activated(self._ids[wparam])
            elif kind == WM_WAKE:
                self._commands.run_pending()
            elif kind == WM_TIMER and wparam == self._timer and self._timer:
                self._follow_layout()

    def _follow_layout(self) -> None:
        """The user switched keyboard layout: register every shortcut again, for the new one."""
        if self._bindings and self._api.current_layout() != self._layout:
            bindings = dict(self._bindings)
            self._on_outcomes(self._register_owned(bindings), bindings)

    def _register_owned(self, bindings: dict[str, KeyCombo]) -> dict[str, Outcome]:
        self._unregister_all()
        self._bindings, self._layout = dict(bindings), self._api.current_layout()
        return {action_id: self._register_one(hotkey_id, action_id, combo)
                for hotkey_id, (action_id, combo) in enumerate(bindings.items(), start=FIRST_HOTKEY_ID)}

    def _register_one(self, hotkey_id: int, action_id: str, combo: KeyCombo) -> Outcome:
        info, modifiers = KEYS.get(combo.key), win_modifiers(combo)
        if info is None or modifiers is None:
            return Outcome(Status.UNSUPPORTED, unmappable_key_message(combo.spoken()))
        vk = self._vk(info.win_vk, info.qt_key, combo)
        if vk is None:
            return Outcome(Status.UNSUPPORTED, unmappable_key_message(combo.spoken()))
        error = self._api.register_hotkey(hotkey_id, modifiers, vk)
        if error == 0:
            self._ids[hotkey_id] = action_id
            is_altgr = modifiers & MOD_ALT
            typed = self._api.typed_character(modifiers & ~MOD_NOREPEAT, vk, self._layout) if is_altgr else ""
            is_character = typed.isprintable() and not typed.isspace()
            return Outcome(Status.OK, altgr_message(combo.spoken(), typed) if typed and is_character else "")
        if error == ERROR_HOTKEY_ALREADY_REGISTERED:
            return Outcome(Status.BUSY)
        log.warning("RegisterHotKey %s failed: %s", combo, error)
        return Outcome(Status.UNSUPPORTED, unexpected_failure_message(self._api.error_text(error)))

    def _vk(self, us_vk: int, qt_key: int, combo: KeyCombo) -> int | None:
        if us_vk == VK_PAUSE and combo.modifiers & Mod.CTRL:
            return VK_CANCEL
        if us_vk in OEM_KEYS:  # the key that types this character on the user's layout
            return self._api.vk_for_character(chr(qt_key), self._layout)
        return us_vk

    def _release(self) -> None:
        if self._timer:
            self._api.stop_timer(self._timer)
            self._timer = 0
        self._unregister_all()

    def _unregister_all(self) -> None:
        for hotkey_id in self._ids:
            self._api.unregister_hotkey(hotkey_id)
        self._ids = {}
