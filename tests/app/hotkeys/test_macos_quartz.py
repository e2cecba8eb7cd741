"""QuartzApi's ctypes declarations, loaded into a compiled stand-in for ApplicationServices and CoreFoundation.

MOCK: no macOS here. The stand-in (tests/app/native_stand_in.py) exports the functions and
data symbols QuartzApi uses, under their SDK names and prototypes, and records the options
dictionary it is given, so the prompt option crosses ctypes as it would on a Mac: the key
kAXTrustedCheckOptionPrompt, the value kCFBooleanTrue, CFType callbacks, released after use.
"""

from __future__ import annotations

import ctypes

import pytest

from app.hotkeys import macos_quartz
from app.hotkeys.macos_quartz import QuartzApi
from tests.app.native_stand_in import build_stand_in

QUARTZ_STAND_IN = r"""
#include <stdlib.h>
#include <stdint.h>
typedef struct { long count; const void *keys[4]; const void *values[4]; const void *key_cb, *value_cb; } Dict;
static const char prompt_key[] = "AXTrustedCheckOptionPrompt", true_value[] = "true";
const void *kAXTrustedCheckOptionPrompt = prompt_key;  /* extern CFStringRef ... */
const void *kCFBooleanTrue = true_value;  /* extern const CFBooleanRef kCFBooleanTrue */
const void *kCFRunLoopCommonModes = "kCFRunLoopCommonModes", *kCFRunLoopDefaultMode = "kCFRunLoopDefaultMode";
char kCFTypeDictionaryKeyCallBacks[48], kCFTypeDictionaryValueCallBacks[40];
static long trusted = 0, prompts = 0, unprompted_checks = 0, live_dicts = 0;
void stand_in_trust(long is_trusted) { trusted = is_trusted; }
long stand_in_prompts(void) { return prompts; }
long stand_in_live_dicts(void) { return live_dicts; }
long stand_in_unprompted_checks(void) { return unprompted_checks; }
const void *CFDictionaryCreate(const void *allocator, const void **keys, const void **values, long count,
                               const void *key_cb, const void *value_cb) {
    Dict *d = calloc(1, sizeof(Dict));
    d->count = count; d->key_cb = key_cb; d->value_cb = value_cb;
    for (long i = 0; i < count && i < 4; i++) { d->keys[i] = keys[i]; d->values[i] = values[i]; }
    live_dicts++; return d;
}
void CFRelease(const void *object) { if (object && ((Dict *)object)->count >= 0) { live_dicts--; } }
unsigned char AXIsProcessTrusted(void) { unprompted_checks++; return (unsigned char)trusted; }
unsigned char AXIsProcessTrustedWithOptions(const void *options) {
    const Dict *d = options;
    if (d && d->key_cb == kCFTypeDictionaryKeyCallBacks && d->value_cb == kCFTypeDictionaryValueCallBacks)
        for (long i = 0; i < d->count; i++)
            if (d->keys[i] == kAXTrustedCheckOptionPrompt && d->values[i] == kCFBooleanTrue && !trusted) prompts++;
    return (unsigned char)trusted;
}
void *CGEventTapCreate(uint32_t tap, uint32_t place, uint32_t options, uint64_t mask, void *callback, void *info) {
    return 0;
}
void CGEventTapEnable(void *tap, unsigned char enable) {}
int64_t CGEventGetIntegerValueField(void *event, uint32_t field) { return 0; }
uint64_t CGEventGetFlags(void *event) { return 0; }
void *CFMachPortCreateRunLoopSource(void *allocator, void *port, long order) { return 0; }
void *CFRunLoopGetCurrent(void) { return 0; }
void CFRunLoopAddSource(void *loop, void *source, void *mode) {}
int32_t CFRunLoopRunInMode(const void *mode, double seconds, unsigned char once) { return 1; }
void CFRunLoopStop(void *loop) {}
"""
# Export names as in the macOS SDK headers (HIServices/AXUIElement.h, CoreGraphics/CGEvent.h,
# CoreFoundation/CFRunLoop.h, CFDictionary.h, CFBase.h).
DOCUMENTED_EXPORTS = {"AXIsProcessTrusted", "AXIsProcessTrustedWithOptions", "CGEventTapCreate", "CGEventTapEnable",
                      "CGEventGetIntegerValueField", "CGEventGetFlags", "CFMachPortCreateRunLoopSource",
                      "CFRunLoopGetCurrent", "CFRunLoopAddSource", "CFRunLoopRunInMode", "CFRunLoopStop",
                      "CFRelease", "CFDictionaryCreate"}


@pytest.fixture(scope="module")
def frameworks(tmp_path_factory):
    library = build_stand_in(tmp_path_factory.mktemp("quartz"), "quartz", QUARTZ_STAND_IN)
    for name in ("stand_in_prompts", "stand_in_live_dicts", "stand_in_unprompted_checks"):
        getattr(library, name).restype = ctypes.c_long
    library.stand_in_trust.argtypes = (ctypes.c_long,)
    return library


def test_declared_names_are_the_sdk_exports():
    declared = {p.name for p in macos_quartz.CG_PROTOTYPES + macos_quartz.CF_PROTOTYPES}
    assert declared == DOCUMENTED_EXPORTS
    prototypes = {p.name: p for p in macos_quartz.CG_PROTOTYPES}
    assert prototypes["AXIsProcessTrustedWithOptions"].restype is ctypes.c_bool  # Boolean: unsigned char
    assert prototypes["AXIsProcessTrustedWithOptions"].argtypes == (ctypes.c_void_p,)  # CFDictionaryRef


def test_the_trust_check_with_prompt_passes_the_prompt_option_and_releases_it(frameworks):
    frameworks.stand_in_trust(0)
    api = QuartzApi(frameworks, frameworks)
    before = frameworks.stand_in_prompts()
    assert api.is_trusted(should_prompt=True) is False
    assert frameworks.stand_in_prompts() == before + 1  # macOS would show its dialog
    assert frameworks.stand_in_live_dicts() == 0  # the options dictionary was released
    checks = frameworks.stand_in_unprompted_checks()
    assert api.is_trusted() is False and frameworks.stand_in_unprompted_checks() == checks + 1
    frameworks.stand_in_trust(1)
    assert api.is_trusted() is True and api.is_trusted(should_prompt=True) is True
    assert frameworks.stand_in_prompts() == before + 1  # no dialog once allowed


def test_a_tap_macos_refuses_is_explained(frameworks, qapp):
    api = QuartzApi(frameworks, frameworks)
    assert "Accessibility" in api.create_tap(lambda *event: False)  # CGEventTapCreate gave NULL
