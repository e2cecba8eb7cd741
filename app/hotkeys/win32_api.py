"""The user32/kernel32 calls of the Windows hotkey backend, through ctypes (Windows only).

Every function is declared from its documented prototype (learn.microsoft.com, winuser.h and
processthreadsapi.h) on a private WinDLL (app.platform.native_calls). The libraries can be passed
in, so the tests load the same declarations into a compiled stand-in library.
Keyboard layouts: a layout is per thread, and the hotkey thread has no window, so its own layout
(GetKeyboardLayout(0)) is not the one the user types with, and WM_INPUTLANGCHANGE, sent to the
focused window, never reaches it. The user's layout is that of the foreground window's thread
(GetKeyboardLayout(GetWindowThreadProcessId(GetForegroundWindow()))), read on every registration
and every LAYOUT_POLL_MS by a thread timer (SetTimer with no window posts WM_TIMER to the thread's
own queue).
"""

from __future__ import annotations

import ctypes
from ctypes import wintypes

from app.capture.window_win import USER32_PROTOTYPES as WINDOW_PROTOTYPES
from app.platform.native_calls import Prototype, declare, load_windows_library

WM_USER, PM_NOREMOVE = 0x0400, 0x0000
MOD_ALT, MOD_CONTROL, MOD_SHIFT, MOD_WIN, MOD_NOREPEAT = 0x0001, 0x0002, 0x0004, 0x0008, 0x4000
VK_SHIFT, VK_CONTROL, VK_MENU = 0x10, 0x11, 0x12
KEY_DOWN = 0x80  # a key state array's "pressed" bit (GetKeyboardState)
MAPVK_VK_TO_VSC = 0
TOUNICODE_NO_STATE_CHANGE = 0x4  # ToUnicodeEx wFlags bit 2: leave the keyboard state alone (Windows 10 1607+)
# VkKeyScanExW's high byte: which modifiers type the character (1 Shift, 2 Ctrl, 4 Alt).
NEEDS_MODIFIERS = 0xFF00
UINT_PTR = ctypes.c_size_t  # a pointer-sized unsigned integer (SetTimer's nIDEvent and result)
_WINDOW_CALLS = {prototype.name: prototype for prototype in WINDOW_PROTOTYPES}  # declared once, for the capture

USER32_PROTOTYPES = (
    Prototype("RegisterHotKey", wintypes.BOOL, (wintypes.HWND, ctypes.c_int, wintypes.UINT, wintypes.UINT)),
    Prototype("UnregisterHotKey", wintypes.BOOL, (wintypes.HWND, ctypes.c_int)),
    Prototype("GetMessageW", ctypes.c_int,  # -1 on error, 0 on WM_QUIT
              (ctypes.POINTER(wintypes.MSG), wintypes.HWND, wintypes.UINT, wintypes.UINT)),
    Prototype("PeekMessageW", wintypes.BOOL,
              (ctypes.POINTER(wintypes.MSG), wintypes.HWND, wintypes.UINT, wintypes.UINT, wintypes.UINT)),
    Prototype("PostThreadMessageW", wintypes.BOOL, (wintypes.DWORD, wintypes.UINT, wintypes.WPARAM, wintypes.LPARAM)),
    _WINDOW_CALLS["GetForegroundWindow"],
    _WINDOW_CALLS["GetWindowThreadProcessId"],
    Prototype("GetKeyboardLayout", wintypes.HKL, (wintypes.DWORD,)),
    Prototype("VkKeyScanExW", ctypes.c_short, (wintypes.WCHAR, wintypes.HKL)),  # SHORT: -1 when no key types it
    Prototype("MapVirtualKeyExW", wintypes.UINT, (wintypes.UINT, wintypes.UINT, wintypes.HKL)),
    # int ToUnicodeEx(UINT wVirtKey, UINT wScanCode, const BYTE *lpKeyState, LPWSTR pwszBuff, int cchBuff,
    #                 UINT wFlags, HKL dwhkl)
    Prototype("ToUnicodeEx", ctypes.c_int, (wintypes.UINT, wintypes.UINT, ctypes.POINTER(ctypes.c_ubyte),
                                            wintypes.LPWSTR, ctypes.c_int, wintypes.UINT, wintypes.HKL)),
    # UINT_PTR SetTimer(HWND hWnd, UINT_PTR nIDEvent, UINT uElapse, TIMERPROC lpTimerFunc);
    # BOOL KillTimer(HWND hWnd, UINT_PTR uIDEvent)
    Prototype("SetTimer", UINT_PTR, (wintypes.HWND, UINT_PTR, wintypes.UINT, ctypes.c_void_p)),
    Prototype("KillTimer", wintypes.BOOL, (wintypes.HWND, UINT_PTR)),
)
KERNEL32_PROTOTYPES = (Prototype("GetCurrentThreadId", wintypes.DWORD),)


class Win32Api:
    """The calls the backend makes, all from its one thread."""

    def __init__(self, user32=None, kernel32=None):
        if user32 is None:
            user32 = load_windows_library("user32", USER32_PROTOTYPES)
            kernel32 = load_windows_library("kernel32", KERNEL32_PROTOTYPES)
        else:
            declare(user32, USER32_PROTOTYPES)
            declare(kernel32, KERNEL32_PROTOTYPES)
        self._user32, self._kernel32 = user32, kernel32
        self._msg = wintypes.MSG()

    def create_queue(self) -> int:
        """Give the calling thread a message queue (PostThreadMessage docs); its thread id."""
        self._user32.PeekMessageW(ctypes.byref(self._msg), None, WM_USER, WM_USER, PM_NOREMOVE)
        return int(self._kernel32.GetCurrentThreadId())

    def get_message(self) -> tuple[int, int] | None:
        """Wait for the next message: (message, wParam); None on WM_QUIT or error."""
        if self._user32.GetMessageW(ctypes.byref(self._msg), None, 0, 0) <= 0:
            return None
        return int(self._msg.message), int(self._msg.wParam)

    def post(self, thread_id: int, message: int) -> bool:
        return bool(self._user32.PostThreadMessageW(thread_id, message, 0, 0))

    def register_hotkey(self, hotkey_id: int, modifiers: int, vk: int) -> int:
        """0 on success, else the Win32 error code."""
        return 0 if self._user32.RegisterHotKey(None, hotkey_id, modifiers, vk) else ctypes.get_last_error()

    def unregister_hotkey(self, hotkey_id: int) -> None:
        self._user32.UnregisterHotKey(None, hotkey_id)

    def error_text(self, code: int) -> str:
        return ctypes.FormatError(code).strip()

    def start_timer(self, interval_ms: int) -> int:
        """A timer posting WM_TIMER (wParam: the returned id) to this thread's queue; 0 if none was made."""
        return int(self._user32.SetTimer(None, 0, interval_ms, None))

    def stop_timer(self, timer_id: int) -> None:
        self._user32.KillTimer(None, timer_id)

    def current_layout(self) -> int:
        """The HKL the user types with: the foreground window thread's, else this thread's."""
        window = self._user32.GetForegroundWindow()
        thread_id = self._user32.GetWindowThreadProcessId(window, None) if window else 0
        return int(self._user32.GetKeyboardLayout(thread_id) or 0)

    def vk_for_character(self, character: str, layout: int) -> int | None:
        """The key that types `character` unshifted on `layout`; None if none does."""
        found = int(self._user32.VkKeyScanExW(character, layout))
        if found == -1 or found & NEEDS_MODIFIERS:
            return None
        return found & 0xFF

    def typed_character(self, modifiers: int, vk: int, layout: int) -> str:
        """What `vk` types with these MOD_* modifiers held on `layout` ("" if nothing)."""
        state = (ctypes.c_ubyte * 256)()
        for flag, key in ((MOD_CONTROL, VK_CONTROL), (MOD_ALT, VK_MENU), (MOD_SHIFT, VK_SHIFT)):
            if modifiers & flag:
                state[key] = KEY_DOWN
        buffer = ctypes.create_unicode_buffer(8)
        scan_code = self._user32.MapVirtualKeyExW(vk, MAPVK_VK_TO_VSC, layout)
        count = self._user32.ToUnicodeEx(vk, scan_code, state, buffer, len(buffer), TOUNICODE_NO_STATE_CHANGE, layout)
        return buffer.value[:count] if count > 0 else ""  # < 0: a dead key, which types nothing yet
