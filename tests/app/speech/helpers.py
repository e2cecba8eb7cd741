"""Shared test tools: reading WAVs, and players that play to nowhere in real time.

No test touches the sound device: RecordingPlayer is the real SubprocessPlayer running a child
process that keeps "playing" for exactly the WAV's duration, and records what it was given;
StreamRecordingPlayer is the real StreamPlayer feeding a child that reads the streamed samples
at the speed of playback and records them with the moment the first ones arrived.
"""

from __future__ import annotations

import shutil
import sys
import threading
import wave
from pathlib import Path

import numpy as np

from app.speech.players import StreamPlayer, SubprocessPlayer

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


# A stand-in for the sound device (none exists here): a real child process reading raw PCM from its
# standard input at the speed of playback, as paplay does, keeping what it got in argv[1] and the
# moment its first bytes arrived in argv[1] + ".first".
STREAM_RECORDER = """
import os, sys, time
out, rate = sys.argv[1], int(sys.argv[2])
with open(out, "wb", buffering=0) as pcm:
    while data := os.read(0, 4096):
        if not os.path.exists(out + ".first"):
            with open(out + ".first", "w") as first:
                first.write(repr(time.monotonic()))
        pcm.write(data)
        time.sleep(len(data) / 2 / rate)
"""


class StreamRecordingPlayer(StreamPlayer):
    """The real StreamPlayer around STREAM_RECORDER; `received` lists each phrase's recording."""

    def __init__(self, copies: Path):
        super().__init__(())
        self._copies = copies
        self.received: list[Path] = []
        self.first_started = threading.Event()
        self.interrupted = threading.Event()

    def open(self, rate: int) -> None:
        path = self._copies / f"streamed-{len(self.received) + 1}.pcm"
        self.received.append(path)
        self.command = (sys.executable, "-c", STREAM_RECORDER, str(path), "{rate}")
        super().open(rate)
        self.first_started.set()

    def stop(self) -> None:
        was_playing = self.is_playing()
        super().stop()
        if was_playing:
            self.interrupted.set()


def read_pcm(path: Path) -> np.ndarray:
    """Raw 16-bit mono samples scaled to [-1, 1]."""
    return np.frombuffer(path.read_bytes(), dtype="<i2").astype(np.float64) / 32768.0


def first_arrival(path: Path) -> float | None:
    """When the recorder got its first bytes (time.monotonic()), or None if it got none."""
    marker = Path(str(path) + ".first")
    return float(marker.read_text()) if marker.exists() else None
