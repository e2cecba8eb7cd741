"""The espeak-ng voice (Linux; optional elsewhere): each phrase streamed to the player as it is made.

espeak-ng hands back a buffer of samples (app/speech/espeak_library.py, BUFFER_MS) as soon as
it is made, on this thread; each buffer goes straight to the player (or, in file mode, to the
WAV file), so the first sound leaves a few milliseconds after the phrase arrives, not after the
whole phrase was synthesised and written to a file. A stop is seen between two buffers and while
a full player pipe is waited on (every WRITE_POLL_S): synthesis is aborted and the player ended.
pyttsx3's espeak driver is not used: it collects the whole utterance before playing it, plays it
with a blocking `os.system("aplay ...")` that nothing can interrupt, and runs espeak-ng
asynchronously, so its file renders could end before the file was complete.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from app.speech.errors import PlaybackFailed
from app.speech.espeak_library import EspeakLibrary
from app.speech.pcm_sinks import FilePlayerSink, WavFileSink
from app.speech.players import CancelToken, StreamPlayer, WavPlayer
from app.speech.runners import Runner


@dataclass
class SoundTimes:
    """One phrase's moments (time.monotonic(), comparable across this machine's processes)."""

    started: float  # synthesis asked for
    first_sample: float | None = None  # espeak-ng handed back its first buffer
    first_out: float | None = None  # that buffer was in the player's input (or the file)
    synthesised: float | None = None  # the whole phrase was synthesised


class _NeverCancelled:
    def is_cancelled(self) -> bool:
        return False

    def wait(self, seconds: float) -> bool:
        time.sleep(seconds)
        return False


class EspeakRunner(Runner):
    def __init__(self, library: EspeakLibrary, player: StreamPlayer | WavPlayer | None, scratch: Path):
        super().__init__(engine=None)
        self._library = library
        self._player = player
        self._scratch_wav = scratch / "utterance.wav"  # for a player that only plays files

    def speak(self, text: str, token: CancelToken) -> None:
        if self._player is None:
            raise PlaybackFailed("no player")
        is_streaming = isinstance(self._player, StreamPlayer)
        sink = self._player if is_streaming else FilePlayerSink(self._player, self._scratch_wav)
        self._stream(text, token, sink)
        if sink.has_failed():
            raise PlaybackFailed("the player exited with an error")

    def render(self, text: str, path: Path, token: CancelToken | None = None) -> None:
        self._stream(text, token or _NeverCancelled(), WavFileSink(path))

    def _stream(self, text: str, token: CancelToken, sink) -> None:
        times = self.last_times = SoundTimes(started=time.monotonic())

        def on_samples(pcm: bytes) -> bool:
            if times.first_sample is None:
                times.first_sample = time.monotonic()
            if not sink.write(pcm, token):
                return False  # a stop, or the player is gone: abort the synthesis
            if times.first_out is None:
                times.first_out = time.monotonic()
                if self.on_first_sound is not None:
                    self.on_first_sound(times)
            return True

        sink.open(self._library.sample_rate)  # the player starts while the first buffer is made
        try:
            self._library.synth(text, on_samples)
            times.synthesised = time.monotonic()
            if not token.is_cancelled() and not sink.has_failed():
                sink.finish(token)
        finally:
            sink.stop()  # nothing after a finish; after a stop or a failure, silence now

    def set_property(self, name: str, value: object) -> None:
        if name == "voice":
            self._library.set_voice(str(value))
        elif name == "rate":
            self._library.set_rate(int(value))
        elif name == "volume":
            self._library.set_volume(float(value))

    def voices(self) -> list[tuple[str, str]]:
        return self._library.voices()

    def default_voice(self) -> str:
        return self._library.default_voice

    def close(self) -> None:
        if self._player is not None:
            self._player.stop()
