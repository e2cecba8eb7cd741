"""The CoreGraphics and CoreFoundation calls of the macOS backend, through ctypes (macOS only).

Constants and signatures from the macOS SDK headers: CoreGraphics/CGEventTypes.h,
CGEvent.h, CoreFoundation/CFRunLoop.h and CFDictionary.h, HIServices/AXUIElement.h
(AXIsProcessTrusted, AXIsProcessTrustedWithOptions). The tests load these declarations into a
compiled stand-in library with the same exports (no macOS there).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from typing import Callable

from app.hotkeys.texts import mac_permission_message
from app.platform.native_calls import Prototype, declare

log = logging.getLogger(__name__)

KEY_DOWN, KEY_UP = 10, 11  # kCGEventKeyDown, kCGEventKeyUp
TAP_DISABLED_BY_TIMEOUT, TAP_DISABLED_BY_USER_INPUT = 0xFFFFFFFE, 0xFFFFFFFF
FIELD_AUTOREPEAT, FIELD_KEYCODE = 8, 9  # kCGKeyboardEventAutorepeat, kCGKeyboardEventKeycode
SESSION_EVENT_TAP, HEAD_INSERT_EVENT_TAP, TAP_OPTION_DEFAULT = 1, 0, 0
RUN_LOOP_FINISHED = 1  # kCFRunLoopRunFinished: no sources left

_TAP_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p,
                                 ctypes.c_void_p)


def load_framework(name: str) -> ctypes.CDLL:
    path = ctypes.util.find_library(name)
    if path is None:
        raise OSError(f"{name} framework not found")
    return ctypes.cdll.LoadLibrary(path)


# Prototypes from the SDK headers named above (Boolean is an unsigned char: c_bool).
CG_PROTOTYPES = (
    Prototype("AXIsProcessTrusted", ctypes.c_bool),
    # Boolean AXIsProcessTrustedWithOptions(CFDictionaryRef options), macOS 10.9+
    Prototype("AXIsProcessTrustedWithOptions", ctypes.c_bool, (ctypes.c_void_p,)),
    Prototype("CGEventTapCreate", ctypes.c_void_p, (ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32,
                                                    ctypes.c_uint64, _TAP_CALLBACK, ctypes.c_void_p)),
    Prototype("CGEventTapEnable", None, (ctypes.c_void_p, ctypes.c_bool)),
    Prototype("CGEventGetIntegerValueField", ctypes.c_int64, (ctypes.c_void_p, ctypes.c_uint32)),
    Prototype("CGEventGetFlags", ctypes.c_uint64, (ctypes.c_void_p,)),
)
CF_PROTOTYPES = (
    Prototype("CFMachPortCreateRunLoopSource", ctypes.c_void_p, (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long)),
    Prototype("CFRunLoopGetCurrent", ctypes.c_void_p),
    Prototype("CFRunLoopAddSource", None, (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)),
    Prototype("CFRunLoopRunInMode", ctypes.c_int32, (ctypes.c_void_p, ctypes.c_double, ctypes.c_bool)),
    Prototype("CFRunLoopStop", None, (ctypes.c_void_p,)),
    Prototype("CFRelease", None, (ctypes.c_void_p,)),
    # CFDictionaryRef CFDictionaryCreate(CFAllocatorRef, const void **keys, const void **values, CFIndex,
    #                                    const CFDictionaryKeyCallBacks *, const CFDictionaryValueCallBacks *)
    Prototype("CFDictionaryCreate", ctypes.c_void_p, (ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p),
                                                      ctypes.POINTER(ctypes.c_void_p), ctypes.c_long,
                                                      ctypes.c_void_p, ctypes.c_void_p)),
)


class QuartzApi:
    def __init__(self, cg=None, cf=None):
        """`cg` and `cf` are the frameworks; tests pass a stand-in library with the same exports."""
        cg = self._cg = declare(cg or load_framework("ApplicationServices"), CG_PROTOTYPES)
        cf = self._cf = declare(cf or load_framework("CoreFoundation"), CF_PROTOTYPES)
        self._common_modes = ctypes.c_void_p.in_dll(cf, "kCFRunLoopCommonModes")
        self._default_mode = ctypes.c_void_p.in_dll(cf, "kCFRunLoopDefaultMode")
        self._tap = self._source = self._loop = None
        self._callback = None  # kept alive as long as the tap exists
        self._is_stopping = False

    def is_trusted(self, should_prompt: bool = False) -> bool:
        """Whether macOS lets us see other apps' keys; with should_prompt, macOS asks the user once.

        AXIsProcessTrusted only checks. AXIsProcessTrustedWithOptions with kAXTrustedCheckOptionPrompt
        set to kCFBooleanTrue shows macOS's own dialog, which adds the app to the Accessibility list
        (Apple, HIServices/AXUIElement.h), so the user only has to turn it on.
        """
        if not should_prompt:
            return bool(self._cg.AXIsProcessTrusted())
        cf = self._cf
        keys = (ctypes.c_void_p * 1)(ctypes.c_void_p.in_dll(self._cg, "kAXTrustedCheckOptionPrompt").value)
        values = (ctypes.c_void_p * 1)(ctypes.c_void_p.in_dll(cf, "kCFBooleanTrue").value)
        options = cf.CFDictionaryCreate(None, keys, values, 1,
                                        ctypes.addressof(ctypes.c_char.in_dll(cf, "kCFTypeDictionaryKeyCallBacks")),
                                        ctypes.addressof(ctypes.c_char.in_dll(cf, "kCFTypeDictionaryValueCallBacks")))
        try:
            return bool(self._cg.AXIsProcessTrustedWithOptions(options))
        finally:
            if options:
                cf.CFRelease(options)

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
