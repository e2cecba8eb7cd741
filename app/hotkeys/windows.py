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
Win32Api is the only code that touches user32/kernel32; the tests replace it (they run on
Linux, where these APIs cannot exist).
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
from app.hotkeys.worker import CommandQueue

log = logging.getLogger(__name__)

WM_USER, WM_HOTKEY, WM_APP = 0x0400, 0x0312, 0x8000
WM_WAKE = WM_APP + 1  # "work is waiting in the command queue"
PM_NOREMOVE = 0x0000
MOD_ALT, MOD_CONTROL, MOD_SHIFT, MOD_WIN, MOD_NOREPEAT = 0x0001, 0x0002, 0x0004, 0x0008, 0x4000
ERROR_HOTKEY_ALREADY_REGISTERED = 1409
# With Ctrl held, the Pause key sends VK_CANCEL, not VK_PAUSE ("Virtual-Key Codes",
# learn.microsoft.com: VK_CANCEL 0x03 "Control-break processing"), so Ctrl+Pause is registered as that.
VK_PAUSE, VK_CANCEL = 0x13, 0x03
VK_SHIFT, VK_CONTROL, VK_MENU = 0x10, 0x11, 0x12
KEY_DOWN = 0x80  # a key state array's "pressed" bit (GetKeyboardState)
MAPVK_VK_TO_VSC = 0
TOUNICODE_NO_STATE_CHANGE = 0x4  # ToUnicodeEx wFlags bit 2: leave the keyboard state alone (Windows 10 1607+)
# VkKeyScanExW's high byte: which modifiers type the character (1 Shift, 2 Ctrl, 4 Alt).
NEEDS_MODIFIERS = 0xFF00
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


class Win32Api:
    """The user32/kernel32 calls the backend makes, through ctypes. Windows only."""

    def __init__(self):
        import ctypes
        from ctypes import wintypes

        self._ctypes = ctypes
        self._msg = wintypes.MSG()
        user32 = ctypes.WinDLL("user32", use_last_error=True)
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        self._register = user32.RegisterHotKey
        self._register.argtypes = (wintypes.HWND, ctypes.c_int, wintypes.UINT, wintypes.UINT)
        self._register.restype = wintypes.BOOL
        self._unregister = user32.UnregisterHotKey
        self._unregister.argtypes = (wintypes.HWND, ctypes.c_int)
        self._unregister.restype = wintypes.BOOL
        self._get = user32.GetMessageW
        self._get.argtypes = (ctypes.POINTER(wintypes.MSG), wintypes.HWND, wintypes.UINT, wintypes.UINT)
        self._get.restype = ctypes.c_int  # -1 on error, 0 on WM_QUIT
        self._peek = user32.PeekMessageW
        self._peek.argtypes = (ctypes.POINTER(wintypes.MSG), wintypes.HWND, wintypes.UINT, wintypes.UINT,
                               wintypes.UINT)
        self._post = user32.PostThreadMessageW
        self._post.argtypes = (wintypes.DWORD, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM)
        self._post.restype = wintypes.BOOL
        self._thread_id = kernel32.GetCurrentThreadId
        self._thread_id.restype = wintypes.DWORD
        self._layout = user32.GetKeyboardLayout
        self._layout.argtypes = (wintypes.DWORD,)
        self._layout.restype = wintypes.HKL
        self._scan = user32.VkKeyScanExW  # SHORT VkKeyScanExW(WCHAR ch, HKL dwhkl)
        self._scan.argtypes = (wintypes.WCHAR, wintypes.HKL)
        self._scan.restype = ctypes.c_short
        self._map = user32.MapVirtualKeyExW  # UINT MapVirtualKeyExW(UINT uCode, UINT uMapType, HKL dwhkl)
        self._map.argtypes = (wintypes.UINT, wintypes.UINT, wintypes.HKL)
        self._map.restype = wintypes.UINT
        # int ToUnicodeEx(UINT wVirtKey, UINT wScanCode, const BYTE *lpKeyState, LPWSTR pwszBuff,
        #                 int cchBuff, UINT wFlags, HKL dwhkl)
        self._to_unicode = user32.ToUnicodeEx
        self._to_unicode.argtypes = (wintypes.UINT, wintypes.UINT, ctypes.POINTER(ctypes.c_ubyte), wintypes.LPWSTR,
                                     ctypes.c_int, wintypes.UINT, wintypes.HKL)
        self._to_unicode.restype = ctypes.c_int

    def create_queue(self) -> int:
        """Give the calling thread a message queue (PostThreadMessage docs); its thread id."""
        self._peek(self._ctypes.byref(self._msg), None, WM_USER, WM_USER, PM_NOREMOVE)
        return int(self._thread_id())

    def get_message(self) -> tuple[int, int] | None:
        """Wait for the next message: (message, wParam); None on WM_QUIT or error."""
        if self._get(self._ctypes.byref(self._msg), None, 0, 0) <= 0:
            return None
        return int(self._msg.message), int(self._msg.wParam)

    def post(self, thread_id: int, message: int) -> bool:
        return bool(self._post(thread_id, message, 0, 0))

    def register_hotkey(self, hotkey_id: int, modifiers: int, vk: int) -> int:
        """0 on success, else the Win32 error code."""
        return 0 if self._register(None, hotkey_id, modifiers, vk) else self._ctypes.get_last_error()

    def unregister_hotkey(self, hotkey_id: int) -> None:
        self._unregister(None, hotkey_id)

    def error_text(self, code: int) -> str:
        return self._ctypes.FormatError(code).strip()

    def vk_for_character(self, character: str) -> int | None:
        """The key that types `character` unshifted on the current layout; None if none does."""
        found = int(self._scan(character, self._layout(0)))
        if found == -1 or found & NEEDS_MODIFIERS:
            return None
        return found & 0xFF

    def typed_character(self, modifiers: int, vk: int) -> str:
        """What `vk` types with these MOD_* modifiers held on the current layout ("" if nothing)."""
        layout = self._layout(0)
        state = (self._ctypes.c_ubyte * 256)()
        for flag, key in ((MOD_CONTROL, VK_CONTROL), (MOD_ALT, VK_MENU), (MOD_SHIFT, VK_SHIFT)):
            if modifiers & flag:
                state[key] = KEY_DOWN
        buffer = self._ctypes.create_unicode_buffer(8)
        count = self._to_unicode(vk, self._map(vk, MAPVK_VK_TO_VSC, layout), state, buffer, len(buffer),
                                 TOUNICODE_NO_STATE_CHANGE, layout)
        return buffer.value[:count] if count > 0 else ""  # < 0: a dead key, which types nothing yet


class WindowsBackend(QueuedBackend):
    name = "windows"
    thread_name = "hotkeys-win32"

    def __init__(self, api_factory: Callable[[], object] = Win32Api):
        super().__init__(CommandQueue(wake=lambda: None))  # the real wake is set once the queue exists
        self._api_factory = api_factory
        self._ids: dict[int, str] = {}  # hotkey id -> action id; owned by the thread

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
        ready.set_result(None)
        self._serve(ready, self._loop, self._unregister_all)

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

    def _register_owned(self, bindings: dict[str, KeyCombo]) -> dict[str, Outcome]:
        self._unregister_all()
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
            typed = self._api.typed_character(modifiers & ~MOD_NOREPEAT, vk) if modifiers & MOD_ALT else ""
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
            return self._api.vk_for_character(chr(qt_key))
        return us_vk

    def _unregister_all(self) -> None:
        for hotkey_id in self._ids:
            self._api.unregister_hotkey(hotkey_id)
        self._ids = {}
