"""The CoreGraphics and CoreFoundation calls of the macOS backend, through ctypes (macOS only).

Constants and signatures from the macOS SDK headers: CoreGraphics/CGEventTypes.h,
CGEvent.h, CoreFoundation/CFRunLoop.h, HIServices/AXUIElement.h (AXIsProcessTrusted).
Nothing here runs on Linux or Windows; the backend's tests replace this class.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from typing import Callable

from app.hotkeys.texts import mac_permission_message

log = logging.getLogger(__name__)

KEY_DOWN, KEY_UP = 10, 11  # kCGEventKeyDown, kCGEventKeyUp
TAP_DISABLED_BY_TIMEOUT, TAP_DISABLED_BY_USER_INPUT = 0xFFFFFFFE, 0xFFFFFFFF
FIELD_AUTOREPEAT, FIELD_KEYCODE = 8, 9  # kCGKeyboardEventAutorepeat, kCGKeyboardEventKeycode
SESSION_EVENT_TAP, HEAD_INSERT_EVENT_TAP, TAP_OPTION_DEFAULT = 1, 0, 0
RUN_LOOP_FINISHED = 1  # kCFRunLoopRunFinished: no sources left

_TAP_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p,
                                 ctypes.c_void_p)


def _framework(name: str) -> ctypes.CDLL:
    path = ctypes.util.find_library(name)
    if path is None:
        raise OSError(f"{name} framework not found")
    return ctypes.cdll.LoadLibrary(path)


class QuartzApi:
    def __init__(self):
        cg = self._cg = _framework("ApplicationServices")
        cf = self._cf = _framework("CoreFoundation")
        cg.AXIsProcessTrusted.restype = ctypes.c_bool
        cg.CGEventTapCreate.restype = ctypes.c_void_p
        cg.CGEventTapCreate.argtypes = (ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint64,
                                        _TAP_CALLBACK, ctypes.c_void_p)
        cg.CGEventTapEnable.argtypes = (ctypes.c_void_p, ctypes.c_bool)
        cg.CGEventGetIntegerValueField.restype = ctypes.c_int64
        cg.CGEventGetIntegerValueField.argtypes = (ctypes.c_void_p, ctypes.c_uint32)
        cg.CGEventGetFlags.restype = ctypes.c_uint64
        cg.CGEventGetFlags.argtypes = (ctypes.c_void_p,)
        cf.CFMachPortCreateRunLoopSource.restype = ctypes.c_void_p
        cf.CFMachPortCreateRunLoopSource.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long)
        cf.CFRunLoopGetCurrent.restype = ctypes.c_void_p
        cf.CFRunLoopAddSource.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
        cf.CFRunLoopRunInMode.restype = ctypes.c_int32
        cf.CFRunLoopRunInMode.argtypes = (ctypes.c_void_p, ctypes.c_double, ctypes.c_bool)
        cf.CFRunLoopStop.argtypes = (ctypes.c_void_p,)
        cf.CFRelease.argtypes = (ctypes.c_void_p,)
        self._common_modes = ctypes.c_void_p.in_dll(cf, "kCFRunLoopCommonModes")
        self._default_mode = ctypes.c_void_p.in_dll(cf, "kCFRunLoopDefaultMode")
        self._tap = self._source = self._loop = None
        self._callback = None  # kept alive as long as the tap exists
        self._is_stopping = False

    def is_trusted(self) -> bool:
        return bool(self._cg.AXIsProcessTrusted())

    def create_tap(self, on_key: Callable[[bool, int, int, bool], bool]) -> str | None:
        """Create the tap on the calling thread's run loop; None, or why it could not be made."""
        cg = self._cg

        def callback(proxy, kind, event, refcon):
            try:
                if kind in (TAP_DISABLED_BY_TIMEOUT, TAP_DISABLED_BY_USER_INPUT):
                    cg.CGEventTapEnable(self._tap, True)  # macOS disables a slow tap; turn it back on
                    return event
                if kind not in (KEY_DOWN, KEY_UP):
                    return event
                keycode = cg.CGEventGetIntegerValueField(event, FIELD_KEYCODE)
                is_repeat = bool(cg.CGEventGetIntegerValueField(event, FIELD_AUTOREPEAT))
                drop = on_key(kind == KEY_DOWN, int(keycode), int(cg.CGEventGetFlags(event)), is_repeat)
                return None if drop else event
            except Exception:  # never eat the user's keyboard because of our bug
                log.exception("hotkey event tap callback failed")
                return event

        self._callback = _TAP_CALLBACK(callback)
        mask = (1 << KEY_DOWN) | (1 << KEY_UP)
        self._tap = cg.CGEventTapCreate(SESSION_EVENT_TAP, HEAD_INSERT_EVENT_TAP, TAP_OPTION_DEFAULT, mask,
                                        self._callback, None)
        if not self._tap:
            return mac_permission_message()
        self._source = self._cf.CFMachPortCreateRunLoopSource(None, self._tap, 0)
        self._loop = self._cf.CFRunLoopGetCurrent()
        self._cf.CFRunLoopAddSource(self._loop, self._source, self._common_modes)
        cg.CGEventTapEnable(self._tap, True)
        return None

    def run(self, slice_s: float) -> None:
        """Serve the tap until stop(); returns every slice_s to check for it."""
        while not self._is_stopping:
            if self._cf.CFRunLoopRunInMode(self._default_mode, slice_s, False) == RUN_LOOP_FINISHED:
                break
        self._cg.CGEventTapEnable(self._tap, False)
        for handle in (self._source, self._tap):
            self._cf.CFRelease(handle)

    def stop(self) -> None:
        """From any thread (CFRunLoopStop is thread-safe)."""
        self._is_stopping = True
        if self._loop is not None:
            self._cf.CFRunLoopStop(self._loop)
