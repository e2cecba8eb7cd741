"""Win32Api's ctypes declarations, loaded into a compiled stand-in for user32 and kernel32.

MOCK: no Windows here. The stand-in (tests/app/native_stand_in.py) exports the functions Win32Api
uses under their documented names and prototypes, with the Linux sizes ctypes' wintypes has there
(wchar_t for WCHAR, long for BOOL and DWORD). It models a foreground window whose thread types with
the French (AZERTY) layout while the hotkey thread's own layout stays US, VkKeyScanExW's -1 and
Shift bit, ToUnicodeEx typing "Ś" with AltGr+Shift+S on Polish, a thread message queue, and a timer
id above 4 GiB (cut by a 32-bit declaration).
"""

from __future__ import annotations

import ctypes
from ctypes import wintypes

import pytest

from app.capture import window_win
from app.hotkeys import win32_api
from app.hotkeys.win32_api import MOD_ALT, MOD_CONTROL, MOD_SHIFT, Win32Api
from app.platform.native_calls import Prototype
from tests.app.native_stand_in import build_stand_in

US, FRENCH, POLISH = 0x04090409, 0x040C040C, 0x04150415  # HKLs: language id in both halves
THREAD_ID, TIMER_ID, WM_WAKE = 4242, 0x100000007, 0x8001
USER32_STAND_IN = r"""
#include <stdint.h>
#include <wchar.h>
typedef struct { void *hwnd; unsigned int message; unsigned long wParam; long lParam; unsigned long time;
                 long x, y; } MSG;
static uintptr_t foreground = 0x80001234u;
static unsigned long queued[8]; static int count = 0;
static long timers = 0;
void stand_in_foreground(uintptr_t window) { foreground = window; }
long stand_in_timers(void) { return timers; }
unsigned long GetCurrentThreadId(void) { return 4242; }
long RegisterHotKey(void *hwnd, int id, unsigned int modifiers, unsigned int vk) { return hwnd == 0 && id > 0; }
long UnregisterHotKey(void *hwnd, int id) { return 1; }
long PeekMessageW(MSG *msg, void *hwnd, unsigned int first, unsigned int last, unsigned int remove) { return 0; }
long PostThreadMessageW(unsigned long thread, unsigned int message, unsigned long wparam, long lparam) {
    if (thread != 4242 || count == 8) return 0;
    queued[count++] = message; return 1;
}
int GetMessageW(MSG *msg, void *hwnd, unsigned int first, unsigned int last) {
    if (count == 0) return 0;  /* WM_QUIT: the test never blocks */
    msg->message = (unsigned int)queued[0]; msg->wParam = 0;
    for (int i = 1; i < count; i++) queued[i - 1] = queued[i];
    count--; return 1;
}
void *GetForegroundWindow(void) { return (void *)foreground; }
unsigned long GetWindowThreadProcessId(void *hwnd, unsigned long *pid) {
    return (uintptr_t)hwnd == 0x80001234u ? 777 : 0;  /* the foreground window's thread */
}
void *GetKeyboardLayout(unsigned long thread) { return (void *)(uintptr_t)(thread == 777 ? 0x040C040C : 0x04090409); }
short VkKeyScanExW(wchar_t ch, void *hkl) {
    uintptr_t layout = (uintptr_t)hkl;
    if (layout == 0x040C040C) return ch == L';' ? 0x00BE : ch == L'.' ? 0x01BE : -1;  /* "." is Shift+";" */
    if (layout == 0x04090409) return ch == L';' ? 0x00BA : ch == L'.' ? 0x00BE : -1;
    return -1;
}
unsigned int MapVirtualKeyExW(unsigned int code, unsigned int type, void *hkl) {
    return type == 0 && code == 'S' ? 0x1F : 0;
}
int ToUnicodeEx(unsigned int vk, unsigned int scan, const unsigned char *state, wchar_t *buffer, int size,
                unsigned int flags, void *hkl) {
    int is_altgr_shift = (state[0x11] & 0x80) && (state[0x12] & 0x80) && (state[0x10] & 0x80);
    if ((uintptr_t)hkl != 0x04150415 || vk != 'S' || scan != 0x1F || flags != 4 || size < 2 || !is_altgr_shift)
        return 0;
    buffer[0] = 0x015A; buffer[1] = 0; return 1;  /* "Ś" */
}
uintptr_t SetTimer(void *hwnd, uintptr_t id, unsigned int ms, void *proc) {
    if (hwnd || id || !ms || proc) return 0;
    timers++; return 0x100000007u;
}
long KillTimer(void *hwnd, uintptr_t id) { if (hwnd || id != 0x100000007u) return 0; timers--; return 1; }
"""
# Export names as documented on learn.microsoft.com (user32.dll, kernel32.dll).
USER32_EXPORTS = {"RegisterHotKey", "UnregisterHotKey", "GetMessageW", "PeekMessageW", "PostThreadMessageW",
                  "GetForegroundWindow", "GetWindowThreadProcessId", "GetKeyboardLayout", "VkKeyScanExW",
                  "MapVirtualKeyExW", "ToUnicodeEx", "SetTimer", "KillTimer"}


@pytest.fixture(scope="module")
def user32(tmp_path_factory):
    library = build_stand_in(tmp_path_factory.mktemp("user32"), "user32", USER32_STAND_IN)
    library.stand_in_foreground.argtypes = (ctypes.c_size_t,)
    library.stand_in_timers.restype = ctypes.c_long
    return library


@pytest.fixture
def api(user32):
    user32.stand_in_foreground(0x80001234)
    return Win32Api(user32, user32)


def test_the_declarations_are_the_documented_prototypes():
    declared = {p.name: p for p in win32_api.USER32_PROTOTYPES}
    assert set(declared) == USER32_EXPORTS
    assert {p.name for p in win32_api.KERNEL32_PROTOTYPES} == {"GetCurrentThreadId"}
    assert declared["GetKeyboardLayout"].restype is wintypes.HKL
    assert declared["VkKeyScanExW"].restype is ctypes.c_short  # SHORT: -1, and the Shift/Ctrl/Alt high byte
    assert declared["VkKeyScanExW"].argtypes == (wintypes.WCHAR, wintypes.HKL)
    assert ctypes.sizeof(declared["SetTimer"].restype) == ctypes.sizeof(ctypes.c_void_p)  # UINT_PTR
    assert ctypes.sizeof(declared["KillTimer"].argtypes[1]) == ctypes.sizeof(ctypes.c_void_p)
    capture = {p.name: p for p in window_win.USER32_PROTOTYPES}  # one declaration of each function
    assert declared["GetForegroundWindow"] is capture["GetForegroundWindow"]


def test_the_layout_is_the_foreground_windows_not_the_hotkey_threads(user32, api):
    assert api.current_layout() == FRENCH
    user32.stand_in_foreground(0)  # no foreground window (the desktop is locked, say): the thread's own
    assert api.current_layout() == US


def test_a_character_is_found_unshifted_or_not_at_all(api):
    assert api.vk_for_character(";", FRENCH) == 0xBE and api.vk_for_character(";", US) == 0xBA
    assert api.vk_for_character(".", FRENCH) is None  # Shift+";" on AZERTY
    assert api.vk_for_character("§", US) is None  # -1: no key types it


def test_the_altgr_character_crosses_as_utf16_with_ctrl_alt_shift_down(api):
    assert api.typed_character(MOD_CONTROL | MOD_ALT | MOD_SHIFT, ord("S"), POLISH) == "Ś"
    assert api.typed_character(MOD_CONTROL | MOD_ALT, ord("S"), POLISH) == ""


def test_the_thread_queue_and_timer_cross_ctypes(user32, api):
    assert api.create_queue() == THREAD_ID
    assert api.post(THREAD_ID, WM_WAKE) is True
    assert api.get_message() == (WM_WAKE, 0) and api.get_message() is None
    assert api.register_hotkey(1, MOD_CONTROL | MOD_ALT, ord("D")) == 0
    timer = api.start_timer(1000)
    assert timer == TIMER_ID and user32.stand_in_timers() == 1
    api.stop_timer(timer)
    assert user32.stand_in_timers() == 0


def test_a_wrong_declaration_fails_here_as_on_windows(user32, monkeypatch):
    # Read as a BYTE (the virtual-key code alone), VkKeyScanExW loses its Shift bit: "." would be bound
    # to the key that types ";" on AZERTY. The right SHORT refuses it (test above).
    wrong = tuple(Prototype(p.name, ctypes.c_ubyte, p.argtypes) if p.name == "VkKeyScanExW" else p
                  for p in win32_api.USER32_PROTOTYPES)
    monkeypatch.setattr(win32_api, "USER32_PROTOTYPES", wrong)
    try:
        assert Win32Api(user32, user32).vk_for_character(".", FRENCH) == 0xBE
    finally:
        monkeypatch.undo()
        Win32Api(user32, user32)  # declared right again
