"""CarbonKeyboard's ctypes declarations, loaded into a compiled stand-in for Carbon and CoreFoundation.

MOCK: no macOS here. The stand-in (tests/app/native_stand_in.py) exports the functions and data
symbols CarbonKeyboard uses under their SDK names and prototypes (HIToolbox/TextInputSources.h,
CarbonCore/UnicodeUtilities.h, CoreFoundation/CFNotificationCenter.h and CFData.h). Its
UCKeyTranslate types the US or the German (QWERTZ) layout, UTF-16 included ("ß"), and refuses
arguments macOS would refuse; a source may have no Unicode layout data (as Japanese input methods
do); sources are heap objects, so a pointer cut to 32 bits by a missing restype does not reach
them; and the layout-change notification is posted through the registered ctypes callback.
"""

from __future__ import annotations

import ctypes
import logging
import threading

import pytest

from app.hotkeys import HotkeyManager, Status, mac_layout
from app.hotkeys.keymap import KEYS
from app.hotkeys.mac_layout import CarbonKeyboard
from app.hotkeys.macos import CARBON_OPTION, FLAG_COMMAND, FLAG_OPTION, FLAG_SHIFT, MacBackend
from app.platform.native_calls import Prototype
from tests.app.hotkeys.test_macos import GERMAN, US, FakeQuartz
from tests.app.native_stand_in import build_stand_in

NO_DATA, US_LAYOUT, GERMAN_LAYOUT = 0, 1, 2  # what stand_in_select() gives a source
KEYCODE_Y, KEYCODE_Z, KEYCODE_L = 0x10, 0x06, 0x25
CARBON_STAND_IN = r"""
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
typedef uint16_t UniChar;
typedef void (*Callback)(const void *center, const void *observer, const void *name, const void *object,
                         const void *info);
const void *kTISPropertyUnicodeKeyLayoutData = "TISPropertyUnicodeKeyLayoutData";
const void *kTISNotifySelectedKeyboardInputSourceChanged = "TISNotifySelectedKeyboardInputSourceChanged";
/* Key codes 0x00..0x32 on an ANSI keyboard, as HIToolbox/Events.h numbers them; '?' types nothing. */
static const char us[] = "asdfhgzxcv?bqweryt123465=97-80]ou[ip?lj'k;\\,/nm.? `";
static const char german_layout[] = "german", us_layout[] = "us";  /* the CFData's bytes */
typedef struct { long is_live; const char *data; } Source;  /* the CFData is the source's 'data' field */
/* Sources live in the library's own data, which Linux maps above 4 GiB like macOS's heap: a pointer
   read back as a 32-bit int loses its high bits and is then no source of ours. */
static Source pool[16];
static long current = 1, ascii_capable = 1, observers = 0, center;
static Callback callback; static const void *observer_id;
void stand_in_select(long current_layout, long ascii_layout) { current = current_layout; ascii_capable = ascii_layout; }
long stand_in_observers(void) { return observers; }
long stand_in_live_sources(void) { long n = 0; for (int i = 0; i < 16; i++) n += pool[i].is_live; return n; }
void stand_in_forget_sources(void) { memset(pool, 0, sizeof pool); }
static Source *source_of(const void *p) {
    for (int i = 0; i < 16; i++) if (p == &pool[i] && pool[i].is_live) return &pool[i];
    return 0;
}
static void *copy(long layout) {
    for (int i = 0; i < 16; i++) if (!pool[i].is_live) {
        pool[i].is_live = 1; pool[i].data = layout == 2 ? german_layout : layout == 1 ? us_layout : 0;
        return &pool[i];
    }
    return 0;
}
void *TISCopyCurrentKeyboardLayoutInputSource(void) { return copy(current); }
void *TISCopyCurrentASCIICapableKeyboardLayoutInputSource(void) { return copy(ascii_capable); }
void *TISGetInputSourceProperty(void *source, const void *key) {
    Source *s = source_of(source);
    if (!s || key != kTISPropertyUnicodeKeyLayoutData || !s->data) return 0;
    return &s->data;  /* CFDataRef */
}
const void *CFDataGetBytePtr(const void *data) { return *(const char *const *)data; }
void CFRelease(const void *object) { Source *s = source_of(object); if (s) s->is_live = 0; }
uint8_t LMGetKbdType(void) { return 40; }
int32_t UCKeyTranslate(const void *layout, uint16_t key, uint16_t action, uint32_t state, uint32_t keyboard_type,
                       uint32_t options, uint32_t *dead_key_state, unsigned long max_length, unsigned long *length,
                       UniChar *text) {
    int is_german = layout == german_layout;
    if ((layout != us_layout && !is_german) || action != 3 || keyboard_type != 40 || options != 1
        || !dead_key_state || *dead_key_state != 0 || max_length < 1 || key > 127) return -50;  /* paramErr */
    UniChar c = key < sizeof us - 1 && us[key] != '?' ? (UniChar)us[key] : 0;
    if (is_german) {  /* QWERTZ: Y and Z swapped, "-" on the US "/" key, "ß" on the US "-" key */
        c = key == 0x06 ? 'y' : key == 0x10 ? 'z' : key == 0x2C ? '-' : key == 0x1B ? 0x00DF : c;
        if (state == 0x08) c = key == 0x25 ? '@' : 0;  /* optionKey >> 8: Option+L types "@" */
    } else if (state != 0) c = 0;
    *length = c ? 1 : 0; text[0] = c; return 0;
}
const void *CFNotificationCenterGetDistributedCenter(void) { return &center; }
void CFNotificationCenterAddObserver(const void *c, const void *observer, Callback cb, const void *name,
                                     const void *object, long behavior) {
    if (c == &center && observer && name == kTISNotifySelectedKeyboardInputSourceChanged && behavior == 4) {
        callback = cb; observer_id = observer; observers++;
    }
}
void CFNotificationCenterRemoveObserver(const void *c, const void *observer, const void *name, const void *object) {
    if (c == &center && observer == observer_id && name == kTISNotifySelectedKeyboardInputSourceChanged) {
        callback = 0; observers--;
    }
}
void stand_in_post(void) {
    if (callback) callback(&center, observer_id, kTISNotifySelectedKeyboardInputSourceChanged, 0, 0);
}
"""
# Export names as in the macOS SDK headers named in the module docstring.
DOCUMENTED_EXPORTS = {"TISCopyCurrentKeyboardLayoutInputSource", "TISCopyCurrentASCIICapableKeyboardLayoutInputSource",
                      "TISGetInputSourceProperty", "LMGetKbdType", "UCKeyTranslate", "CFDataGetBytePtr", "CFRelease",
                      "CFNotificationCenterGetDistributedCenter", "CFNotificationCenterAddObserver",
                      "CFNotificationCenterRemoveObserver"}


@pytest.fixture(scope="module")
def carbon(tmp_path_factory):
    library = build_stand_in(tmp_path_factory.mktemp("carbon"), "carbon", CARBON_STAND_IN)
    for name in ("stand_in_live_sources", "stand_in_observers"):
        getattr(library, name).restype = ctypes.c_long
    library.stand_in_select.argtypes = (ctypes.c_long, ctypes.c_long)
    yield library
    library.stand_in_select(US_LAYOUT, US_LAYOUT)


@pytest.fixture
def keyboard(carbon):
    carbon.stand_in_select(US_LAYOUT, US_LAYOUT)
    made = CarbonKeyboard(carbon, carbon)
    yield made
    made.close()
    assert carbon.stand_in_live_sources() == 0, "every source copied was released"


def test_declared_names_and_types_are_the_sdk_prototypes():
    declared = {p.name: p for p in mac_layout.CARBON_PROTOTYPES + mac_layout.CF_PROTOTYPES}
    assert set(declared) == DOCUMENTED_EXPORTS
    translate = declared["UCKeyTranslate"]
    assert translate.restype is ctypes.c_int32  # OSStatus
    assert translate.argtypes[1:6] == (ctypes.c_uint16, ctypes.c_uint16, ctypes.c_uint32, ctypes.c_uint32,
                                       ctypes.c_uint32)
    assert ctypes.sizeof(translate.argtypes[7]) == ctypes.sizeof(ctypes.c_void_p)  # UniCharCount: unsigned long
    assert declared["LMGetKbdType"].restype is ctypes.c_uint8
    for name in ("TISCopyCurrentKeyboardLayoutInputSource", "TISGetInputSourceProperty", "CFDataGetBytePtr"):
        assert declared[name].restype is ctypes.c_void_p, name  # pointers, never a 32-bit int


def test_the_us_layout_maps_each_character_to_its_key_position(keyboard):
    digits = {digit: KEYS[ord(digit)].mac_keycode for digit in "0123456789"}
    assert keyboard.characters() == {**US, **digits, " ": 0x31}


def test_qwertz_swaps_y_and_z_and_types_utf16(carbon, keyboard):
    carbon.stand_in_select(GERMAN_LAYOUT, GERMAN_LAYOUT)
    table = keyboard.characters()
    assert (table["z"], table["y"]) == (KEYCODE_Y, KEYCODE_Z)
    assert {c: table.get(c) for c in "-/ß"} == {"-": GERMAN["-"], "/": None, "ß": 0x1B}
    assert keyboard.typed_character(KEYCODE_L, CARBON_OPTION) == "@"
    assert carbon.stand_in_live_sources() == 2  # kept while their layout data is read


def test_a_source_without_unicode_data_falls_back_to_the_ascii_capable_layout_then_to_none(carbon, keyboard):
    carbon.stand_in_select(NO_DATA, GERMAN_LAYOUT)  # a Japanese input method over a German layout
    assert keyboard.characters()["z"] == KEYCODE_Y
    carbon.stand_in_select(NO_DATA, NO_DATA)
    assert keyboard.characters() is None  # the backend uses the key positions
    assert keyboard.typed_character(KEYCODE_L, CARBON_OPTION) == ""


def test_a_wrong_declaration_fails_here_as_on_a_mac(carbon, monkeypatch):
    # Without restype, ctypes reads the copied source as a C int: the pointer loses its high bits.
    CarbonKeyboard(carbon, carbon)
    source = carbon.TISCopyCurrentKeyboardLayoutInputSource()
    assert source > 0xFFFFFFFF, "the stand-in's sources lie above 4 GiB, as a Mac's do"
    carbon.CFRelease(source)
    wrong = tuple(Prototype(p.name, ctypes.c_int) if p.name.startswith("TISCopy") else p
                  for p in mac_layout.CARBON_PROTOTYPES)
    monkeypatch.setattr(mac_layout, "CARBON_PROTOTYPES", wrong)
    carbon.stand_in_select(GERMAN_LAYOUT, GERMAN_LAYOUT)
    try:
        assert CarbonKeyboard(carbon, carbon).characters() is None  # the layout was never reached
    finally:
        monkeypatch.undo()
        CarbonKeyboard(carbon, carbon)  # declared right again for the other tests
        carbon.stand_in_forget_sources()  # the cut pointers could not be released
        carbon.stand_in_select(US_LAYOUT, US_LAYOUT)


def test_the_layout_change_notification_reaches_the_callback_and_is_removed_on_close(carbon, keyboard):
    changes = []
    keyboard.watch(lambda: changes.append(threading.get_ident()))
    assert carbon.stand_in_observers() == 1
    carbon.stand_in_post()
    assert changes == [threading.get_ident()]
    keyboard.close()
    assert carbon.stand_in_observers() == 0
    carbon.stand_in_post()
    assert len(changes) == 1


def test_a_failure_while_following_the_change_is_logged_not_lost_in_ctypes(carbon, keyboard, caplog):
    keyboard.watch(lambda: 1 / 0)
    with caplog.at_level(logging.ERROR):
        carbon.stand_in_post()
    assert "could not follow the keyboard layout" in caplog.text and "ZeroDivisionError" in caplog.text


def test_the_backend_follows_a_layout_change_posted_by_macos(qtbot, qapp, carbon):
    carbon.stand_in_select(US_LAYOUT, US_LAYOUT)
    tap = FakeQuartz()
    backend = MacBackend(api_factory=lambda: tap, keyboard_factory=lambda: CarbonKeyboard(carbon, carbon))
    manager = HotkeyManager(backend, debounce_s=0.0)
    try:
        assert manager.apply({"describe_screen": "Ctrl+Alt+Shift+Z"})["describe_screen"].status is Status.OK
        flags = FLAG_COMMAND | FLAG_OPTION | FLAG_SHIFT
        assert tap.key(KEYCODE_Z, flags) is True and tap.key(KEYCODE_Z, flags, is_down=False) is True
        carbon.stand_in_select(GERMAN_LAYOUT, GERMAN_LAYOUT)
        with qtbot.waitSignal(manager.results_changed, timeout=2000):
            carbon.stand_in_post()  # macOS: kTISNotifySelectedKeyboardInputSourceChanged
        assert tap.key(KEYCODE_Z, flags) is False
        with qtbot.waitSignal(manager.activated, timeout=2000):
            assert tap.key(KEYCODE_Y, flags) is True
    finally:
        manager.shutdown()
    assert carbon.stand_in_observers() == 0 and carbon.stand_in_live_sources() == 0
