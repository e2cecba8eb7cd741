"""libespeak-ng through ctypes, synthesising on the calling thread and handing back audio as it is made.

Declarations from espeak-ng's public header (src/include/espeak-ng/speak_lib.h). The library is
initialised with AUDIO_OUTPUT_SYNCHRONOUS: espeak_Synth() runs on the caller's thread and calls the
synth callback with each buffer of samples as soon as it is filled (espeak-ng translates and speaks
one clause at a time, so the first buffer comes long before the phrase is finished). A callback
returning 1 aborts the synthesis: that is how a stop ends it between two buffers.
Text is synthesised without espeakPHONEMES and espeakSSML, so "[[...]]" and "<...>" in text the app
did not write are read as characters, never as phoneme input or markup.
espeak-ng keeps one global state per process: one owner thread uses this module at a time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable

from app.speech.base import DEFAULT_RATE_WPM

AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_DONT_EXIT = 0x8000  # espeakINITIALIZE_DONT_EXIT: fail with -1, never exit() the process
CHARS_UTF8 = 1
ENDPAUSE = 0x1000
POS_CHARACTER = 1
EE_OK = 0
RATE, VOLUME = 1, 2  # espeak_PARAMETER: words per minute; volume 0-200, 100 normal
CONTINUE, ABORT = 0, 1  # what the synth callback returns
# Each callback carries at most this much audio. Small, so the first samples leave early; the
# cost is one Python call per buffer (espeak makes speech about 100 times faster than it plays).
BUFFER_MS = 50
SAMPLE_BYTES = 2  # 16-bit signed mono
FALLBACK_VOICE = "gmw/en"  # espeak-ng's English, if the library reports no current voice
DEFAULT_VOLUME = 1.0
LIBRARY_NAMES = (
    "libespeak-ng.so.1",
    "/usr/local/lib/libespeak-ng.so.1",
    "/opt/homebrew/lib/libespeak-ng.1.dylib",
    "/usr/local/lib/libespeak-ng.1.dylib",
    r"C:\Program Files\eSpeak NG\libespeak-ng.dll",
)


class _Voice(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


# int SynthCallback(short *wav, int numsamples, espeak_EVENT *events); the events are not used.
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
_state: dict[str, object] = {}  # the loaded library and its sample rate, once per process


def _declare(dll: ctypes.CDLL) -> ctypes.CDLL:
    dll.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    dll.espeak_SetSynthCallback.argtypes = [_CALLBACK]
    dll.espeak_SetSynthCallback.restype = None
    dll.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                 ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p]
    dll.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    dll.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    dll.espeak_GetCurrentVoice.restype = ctypes.POINTER(_Voice)
    dll.espeak_ListVoices.argtypes = [ctypes.POINTER(_Voice)]
    dll.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
    return dll


def _load() -> ctypes.CDLL:
    found = ctypes.util.find_library("espeak-ng")
    for name in ((found,) if found else ()) + LIBRARY_NAMES:
        try:
            return _declare(ctypes.CDLL(name))
        except OSError:
            continue
    raise OSError("libespeak-ng was not found")


class EspeakLibrary:
    """The process's espeak-ng; OSError if it is missing, RuntimeError if it cannot start."""

    def __init__(self):
        if "dll" not in _state:
            dll = _load()
            rate = dll.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, BUFFER_MS, None, INITIALIZE_DONT_EXIT)
            if rate <= 0:
                raise RuntimeError(f"espeak_Initialize returned {rate}")
            _state.update(dll=dll, rate=rate)
            _state["default_voice"] = self._read_voice(dll)
        self._dll: ctypes.CDLL = _state["dll"]
        self.sample_rate: int = _state["rate"]
        self.default_voice: str = _state["default_voice"]
        self._on_samples: Callable[[bytes], bool] | None = None
        self._callback = _CALLBACK(self._receive)  # kept referenced while espeak may call it
        self._dll.espeak_SetSynthCallback(self._callback)
        # The library outlives its users: a new user starts from the defaults, not the last one's settings.
        self.set_voice(self.default_voice)
        self.set_rate(DEFAULT_RATE_WPM)
        self.set_volume(DEFAULT_VOLUME)

    def _receive(self, wav, count: int, _events) -> int:
        if count <= 0 or not wav or self._on_samples is None:
            return CONTINUE  # the end-of-message call carries no samples
        pcm = ctypes.string_at(wav, count * SAMPLE_BYTES)
        try:
            return CONTINUE if self._on_samples(pcm) else ABORT
        except BaseException:  # never unwind through espeak's C frames: stop it and let synth() re-raise
            self._failure = _CapturedFailure()
            return ABORT

    def synth(self, text: str, on_samples: Callable[[bytes], bool]) -> None:
        """Synthesise text, calling on_samples(pcm) with each buffer; on_samples returns False to abort."""
        data = text.encode("utf-8") + b"\0"
        self._on_samples, self._failure = on_samples, None
        try:
            result = self._dll.espeak_Synth(data, len(data), 0, POS_CHARACTER, 0, CHARS_UTF8 | ENDPAUSE, None, None)
        finally:
            self._on_samples = None
        if self._failure is not None:
            self._failure.reraise()
        if result != EE_OK:
            raise RuntimeError(f"espeak_Synth returned {result}")

    def set_rate(self, words_per_minute: int) -> None:
        self._dll.espeak_SetParameter(RATE, int(words_per_minute), 0)

    def set_volume(self, volume: float) -> None:
        self._dll.espeak_SetParameter(VOLUME, int(round(volume * 100)), 0)

    def set_voice(self, identifier: str) -> None:
        result = self._dll.espeak_SetVoiceByName(identifier.encode("utf-8"))
        if result != EE_OK:
            raise ValueError(f"espeak_SetVoiceByName({identifier!r}) returned {result}")

    @staticmethod
    def _read_voice(dll: ctypes.CDLL) -> str:
        voice = dll.espeak_GetCurrentVoice()
        if voice and voice.contents.identifier:
            return voice.contents.identifier.decode("utf-8").lower()
        return FALLBACK_VOICE

    def voices(self) -> list[tuple[str, str]]:
        """(identifier, name): the identifier is what espeak-ng's voice files are called, e.g. gmw/en."""
        listed = self._dll.espeak_ListVoices(None)
        found, index = [], 0
        while listed[index]:
            voice = listed[index].contents
            identifier = voice.identifier.decode("utf-8").lower()
            found.append((identifier, voice.name.decode("utf-8") if voice.name else identifier))
            index += 1
        return found


class _CapturedFailure:
    """An exception raised inside the callback, carried out of espeak's C frames to synth()'s caller."""

    def __init__(self):
        import sys

        self._error = sys.exc_info()[1]

    def reraise(self) -> None:
        raise self._error
