"""Short sounds that say "work started" and "something failed" without words.

Generated with numpy at run time (no binary files in the repository). A blind user hears the
rising pair when a description starts being computed and the low tone when it failed, before
any sentence arrives. The GUI plays them through QtEarconPlayer; tests use NullEarconPlayer.
"""

from __future__ import annotations

import enum
import io
import tempfile
import wave
from pathlib import Path
from typing import Protocol

import numpy as np

# 48 kHz: Qt recommends it for QSoundEffect, and many Windows devices accept nothing else
# (QSoundEffect then fails with "format is not supported on the selected audio device").
SAMPLE_RATE = 48000
SAMPLE_WIDTH_BYTES = 2
PCM_MAX = 32767
# Quiet enough to sit under speech and a screen reader; the user's system volume does the rest.
EARCON_VOLUME = 0.5
# Fades at both ends of each tone: a sine cut off abruptly clicks.
FADE_S = 0.012
# "Started": two soft rising sine tones (C5 then G5, a fifth up) reads as "going".
STARTED_TONES = ((523.25, 0.08), (783.99, 0.11))
STARTED_GAP_S = 0.03
STARTED_AMPLITUDE = 0.35
# "Failed": a low tone gliding down (A3 to F3). Laptop speakers barely reproduce 200 Hz, so
# two overtones carry the pitch; the ear fills in the missing fundamental.
FAILED_GLIDE_HZ = (220.0, 174.61)
FAILED_SECONDS = 0.32
FAILED_OVERTONES = ((1, 1.0), (2, 0.45), (3, 0.2))
FAILED_AMPLITUDE = 0.4


class Earcon(enum.Enum):
    STARTED = "started"
    FAILED = "failed"


def _tone(start_hz: float, end_hz: float, seconds: float, overtones=((1, 1.0),)) -> np.ndarray:
    count = int(round(seconds * SAMPLE_RATE))
    frequency = np.linspace(start_hz, end_hz, count)
    phase = 2 * np.pi * np.cumsum(frequency) / SAMPLE_RATE  # integrated, so a glide stays smooth
    wave_sum = sum(weight * np.sin(multiple * phase) for multiple, weight in overtones)
    wave_sum /= np.max(np.abs(wave_sum))
    fade = min(int(FADE_S * SAMPLE_RATE), count // 2)
    envelope = np.ones(count)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))  # raised cosine
    envelope[:fade] = ramp
    envelope[count - fade :] = ramp[::-1]
    return wave_sum * envelope


def earcon_samples(earcon: Earcon) -> np.ndarray:
    """Mono float samples in [-1, 1] at SAMPLE_RATE."""
    if earcon is Earcon.STARTED:
        gap = np.zeros(int(STARTED_GAP_S * SAMPLE_RATE))
        low, high = (_tone(hz, hz, seconds) for hz, seconds in STARTED_TONES)
        return STARTED_AMPLITUDE * np.concatenate([low, gap, high])
    return FAILED_AMPLITUDE * _tone(*FAILED_GLIDE_HZ, FAILED_SECONDS, FAILED_OVERTONES)


def earcon_wav(earcon: Earcon) -> bytes:
    """The earcon as a complete 16-bit mono WAV file."""
    pcm = np.round(earcon_samples(earcon) * PCM_MAX).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_WIDTH_BYTES)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm.tobytes())
    return buffer.getvalue()


class EarconPlayer(Protocol):
    def play(self, earcon: Earcon) -> None: ...

    def close(self) -> None: ...


class NullEarconPlayer:
    """Plays nothing; remembers what it was asked to play, so tests can read it."""

    def __init__(self):
        self.played: list[Earcon] = []

    def play(self, earcon: Earcon) -> None:
        self.played.append(earcon)

    def close(self) -> None:
        pass


class QtEarconPlayer:
    """QSoundEffect per earcon, from WAV files in a temporary folder. Create and use on the GUI thread."""

    def __init__(self, volume: float = EARCON_VOLUME, parent=None):
        from PySide6.QtCore import QUrl  # imported here so tests of the sounds need no QtMultimedia
        from PySide6.QtMultimedia import QSoundEffect

        self._folder = tempfile.TemporaryDirectory(prefix="visionpangu-earcons-")
        self._effects = {}
        for earcon in Earcon:
            path = Path(self._folder.name) / f"{earcon.value}.wav"
            path.write_bytes(earcon_wav(earcon))
            effect = QSoundEffect(parent)
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(volume)
            self._effects[earcon] = effect

    def play(self, earcon: Earcon) -> None:
        effect = self._effects[earcon]
        effect.stop()  # a repeated hotkey restarts the sound rather than stacking it
        effect.play()

    def set_volume(self, volume: float) -> None:
        for effect in self._effects.values():
            effect.setVolume(max(0.0, min(1.0, volume)))

    def sources(self) -> dict[Earcon, Path]:
        return {earcon: Path(effect.source().toLocalFile()) for earcon, effect in self._effects.items()}

    def close(self) -> None:
        for effect in self._effects.values():
            effect.stop()
            effect.deleteLater()
        self._effects = {}
        self._folder.cleanup()
