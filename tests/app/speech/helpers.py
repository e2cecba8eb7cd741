"""Shared test tools: reading WAVs, and a player that plays to nowhere in real time.

No test touches the sound device: RecordingPlayer is the real SubprocessPlayer running a child
process that keeps "playing" for exactly the WAV's duration, and records what it was given.
"""

from __future__ import annotations

import shutil
import sys
import threading
import wave
from pathlib import Path

import numpy as np

from app.speech.players import SubprocessPlayer

# Frames of 20 ms: about one phone; a frame is "voiced" above 1% of full scale.
FRAME_S = 0.02
SILENCE_RMS = 0.01
REAL_TIME_PLAYER = (
    sys.executable,
    "-c",
    "import sys, time, wave; w = wave.open(sys.argv[1]); time.sleep(w.getnframes() / w.getframerate())",
)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono samples scaled to [-1, 1], and the sample rate."""
    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2
        frames = wav.readframes(wav.getnframes())
        channels, rate = wav.getnchannels(), wav.getframerate()
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0
    return samples.reshape(-1, channels).mean(axis=1), rate


def frame_rms(samples: np.ndarray, rate: int) -> np.ndarray:
    size = int(FRAME_S * rate)
    usable = len(samples) // size * size
    return np.sqrt(np.mean(samples[:usable].reshape(-1, size) ** 2, axis=1))


class RecordingPlayer(SubprocessPlayer):
    """Keeps a copy of every WAV it starts; `interrupted` is set when stop() cut a sound short."""

    def __init__(self, copies: Path):
        super().__init__(REAL_TIME_PLAYER)
        self._copies = copies
        self.started: list[Path] = []
        self.first_started = threading.Event()
        self.interrupted = threading.Event()

    def start(self, path: Path) -> None:
        copy = self._copies / f"played-{len(self.started) + 1}.wav"
        shutil.copyfile(path, copy)
        self.started.append(copy)
        super().start(path)
        self.first_started.set()

    def stop(self) -> None:
        was_playing = self.is_playing()
        super().stop()
        if was_playing:
            self.interrupted.set()
