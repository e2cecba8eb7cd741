"""Which key types each character on the current macOS keyboard layout (Carbon, through ctypes; macOS only).

A Quartz event tap sees virtual key codes, which are key positions (HIToolbox/Events.h kVK_ANSI_*,
named after the US layout): on QWERTZ the key labelled Z has kVK_ANSI_Y's code. So a shortcut's
letter or punctuation is looked up by the character it types on the current layout:
- TISCopyCurrentKeyboardLayoutInputSource (HIToolbox/TextInputSources.h): the keyboard layout in
  use, also while an input method (Japanese, Chinese) is selected: the layout it types with.
- TISGetInputSourceProperty(source, kTISPropertyUnicodeKeyLayoutData): a CFData holding the 'uchr'
  layout; it is NULL for some sources (input methods such as Japanese, old 'KCHR'-only layouts).
  Then TISCopyCurrentASCIICapableKeyboardLayoutInputSource is asked, the layout that "will be used
  for key translation if there is no specific keyboard layout override" (TextInputSources.h), as
  Apple recommends; with no Unicode data at all, characters() is None and the backend uses the
  key positions of keymap.py.
- UCKeyTranslate (CarbonCore/UnicodeUtilities.h) with kUCKeyActionDisplay and kUCKeyTranslateNoDeadKeysBit
  over the virtual key codes 0..127 without modifiers gives the reverse table character -> key code.
  A character the current layout types with no key (Russian, Greek: no Latin letters) comes from the
  ASCII-capable layout's table, whose keys macOS's own Command shortcuts use there.

Threads: HIToolbox asserts the main dispatch queue in these calls on recent macOS and crashes the
process when called from any other thread (dispatch_assert_queue in TSMGetInputSourceProperty, e.g.
deskflow/deskflow#9924). The GUI thread is the main thread on macOS, so the backend calls this class
from register() and from the layout-change notification only, never from the tap's thread.
Layout changes: an observer of kTISNotifySelectedKeyboardInputSourceChanged on the distributed
notification center. Its "notification delivery is registered for the main thread"
(CFNotificationCenterAddObserver's documentation), so it cannot come on the tap thread's run loop;
it comes on the main run loop, which Qt's event loop runs. Polling the input source ID on the tap
thread instead would call TIS off the main thread, which is exactly what crashes.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Callable

from app.hotkeys import macos_quartz
from app.hotkeys.macos_quartz import load_framework
from app.platform.native_calls import Prototype, declare

log = logging.getLogger(__name__)

KEY_ACTION_DISPLAY = 3  # kUCKeyActionDisplay
NO_DEAD_KEYS_MASK = 1 << 0  # 1 << kUCKeyTranslateNoDeadKeysBit
VIRTUAL_KEY_COUNT = 128  # the virtual key codes a keyboard sends: 0..127
MAX_CHARACTERS = 4
DELIVER_IMMEDIATELY = 4  # CFNotificationSuspensionBehaviorDeliverImmediately
NO_ERROR = 0

# void (*CFNotificationCallback)(CFNotificationCenterRef, void *observer, CFNotificationName, const void *object,
#                                CFDictionaryRef userInfo)
NOTIFICATION_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                         ctypes.c_void_p)
UNI_CHAR_COUNT = ctypes.c_ulong  # UniCharCount is ItemCount: unsigned long
CARBON_PROTOTYPES = (
    Prototype("TISCopyCurrentKeyboardLayoutInputSource", ctypes.c_void_p),
    Prototype("TISCopyCurrentASCIICapableKeyboardLayoutInputSource", ctypes.c_void_p),
    # void *TISGetInputSourceProperty(TISInputSourceRef, CFStringRef propertyKey): the Get rule, not retained
    Prototype("TISGetInputSourceProperty", ctypes.c_void_p, (ctypes.c_void_p, ctypes.c_void_p)),
    Prototype("LMGetKbdType", ctypes.c_uint8),  # UInt8 LMGetKbdType(void)
    # OSStatus UCKeyTranslate(const UCKeyboardLayout *, UInt16 virtualKeyCode, UInt16 keyAction,
    #     UInt32 modifierKeyState, UInt32 keyboardType, OptionBits keyTranslateOptions, UInt32 *deadKeyState,
    #     UniCharCount maxStringLength, UniCharCount *actualStringLength, UniChar unicodeString[])
    Prototype("UCKeyTranslate", ctypes.c_int32,
              (ctypes.c_void_p, ctypes.c_uint16, ctypes.c_uint16, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32,
               ctypes.POINTER(ctypes.c_uint32), UNI_CHAR_COUNT, ctypes.POINTER(UNI_CHAR_COUNT),
               ctypes.POINTER(ctypes.c_uint16))),
)
CF_PROTOTYPES = (
    Prototype("CFDataGetBytePtr", ctypes.c_void_p, (ctypes.c_void_p,)),  # const UInt8 *CFDataGetBytePtr(CFDataRef)
    {p.name: p for p in macos_quartz.CF_PROTOTYPES}["CFRelease"],  # declared once, beside the tap's calls
    Prototype("CFNotificationCenterGetDistributedCenter", ctypes.c_void_p),
    # void CFNotificationCenterAddObserver(CFNotificationCenterRef, const void *observer, CFNotificationCallback,
    #     CFStringRef name, const void *object, CFNotificationSuspensionBehavior (CFIndex))
    Prototype("CFNotificationCenterAddObserver", None, (ctypes.c_void_p, ctypes.c_void_p, NOTIFICATION_CALLBACK,
                                                        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long)),
    # void CFNotificationCenterRemoveObserver(CFNotificationCenterRef, const void *observer, CFNotificationName,
    #     const void *object)
    Prototype("CFNotificationCenterRemoveObserver", None, (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                                           ctypes.c_void_p)),
)


def modifier_state(carbon_modifiers: int) -> int:
    """UCKeyTranslate's modifierKeyState: Carbon's EventModifiers shifted (UnicodeUtilities.h)."""
    return (carbon_modifiers >> 8) & 0xFF


class CarbonKeyboard:
    """The current layout's characters (main thread only; see the module docstring)."""

    def __init__(self, carbon=None, cf=None):
        """`carbon` and `cf` are the frameworks; tests pass a stand-in library with the same exports."""
        self._carbon = declare(carbon or load_framework("Carbon"), CARBON_PROTOTYPES)
        self._cf = declare(cf or load_framework("CoreFoundation"), CF_PROTOTYPES)
        self._layout_data_key = ctypes.c_void_p.in_dll(self._carbon, "kTISPropertyUnicodeKeyLayoutData")
        self._changed_name = ctypes.c_void_p.in_dll(self._carbon, "kTISNotifySelectedKeyboardInputSourceChanged")
        self._sources: list[int] = []  # retained while their layout data is in use
        self._layout = None  # the 'uchr' data typed_character() reads
        self._callback = None  # the ctypes callback, kept alive while it is registered
        self._token = ctypes.c_char()  # its address is the observer's identity, to remove it by

    def characters(self) -> dict[str, int] | None:
        """Character -> the key code that types it without modifiers; None when no layout has Unicode data."""
        self._release()
        current = self._layout_of(self._carbon.TISCopyCurrentKeyboardLayoutInputSource())
        ascii_capable = self._layout_of(self._carbon.TISCopyCurrentASCIICapableKeyboardLayoutInputSource())
        self._layout = current or ascii_capable
        if self._layout is None:
            return None
        table = self._table(ascii_capable) if ascii_capable else {}
        table.update(self._table(current) if current else {})  # the current layout's keys win
        return table

    def typed_character(self, keycode: int, carbon_modifiers: int) -> str:
        """What the key types with these modifiers held on the layout characters() read ("" if nothing)."""
        return self._translate(self._layout, keycode, modifier_state(carbon_modifiers)) if self._layout else ""

    def watch(self, on_change: Callable[[], None]) -> None:
        """Call on_change (on the main thread) whenever the user selects another keyboard input source."""
        def notified(center, observer, name, object_, info):
            try:
                on_change()
            except Exception:  # ctypes would only print it: logged with its traceback instead
                log.exception("the shortcuts could not follow the keyboard layout change")

        self._callback = NOTIFICATION_CALLBACK(notified)
        self._cf.CFNotificationCenterAddObserver(self._cf.CFNotificationCenterGetDistributedCenter(),
                                                 ctypes.addressof(self._token), self._callback, self._changed_name,
                                                 None, DELIVER_IMMEDIATELY)

    def close(self) -> None:
        if self._callback is not None:
            self._cf.CFNotificationCenterRemoveObserver(self._cf.CFNotificationCenterGetDistributedCenter(),
                                                        ctypes.addressof(self._token), self._changed_name, None)
            self._callback = None
        self._release()

    def _layout_of(self, source: int | None) -> int | None:
        """The source's 'uchr' bytes, or None; the source stays retained while they are used."""
        if not source:
            return None
        self._sources.append(source)
        data = self._carbon.TISGetInputSourceProperty(source, self._layout_data_key)
        return self._cf.CFDataGetBytePtr(data) if data else None

    def _table(self, layout: int) -> dict[str, int]:
        table: dict[str, int] = {}
        for keycode in range(VIRTUAL_KEY_COUNT):
            table.setdefault(self._translate(layout, keycode, 0), keycode)  # the lowest code typing it
        table.pop("", None)
        return table

    def _translate(self, layout: int, keycode: int, state: int) -> str:
        dead_key_state, length = ctypes.c_uint32(0), UNI_CHAR_COUNT(0)
        text = (ctypes.c_uint16 * MAX_CHARACTERS)()
        status = self._carbon.UCKeyTranslate(layout, keycode, KEY_ACTION_DISPLAY, state, self._carbon.LMGetKbdType(),
                                             NO_DEAD_KEYS_MASK, ctypes.byref(dead_key_state), MAX_CHARACTERS,
                                             ctypes.byref(length), text)
        if status != NO_ERROR:
            return ""
        return bytes(text)[:2 * min(length.value, MAX_CHARACTERS)].decode("utf-16-le", errors="replace")

    def _release(self) -> None:
        for source in self._sources:
            self._cf.CFRelease(source)
        self._sources, self._layout = [], None
