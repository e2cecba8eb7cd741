"""Play a rendered utterance so that a stop can cut it off mid-word (used with the espeak driver).

pyttsx3 2.99's espeak driver plays speech with a blocking `os.system("aplay ...")` inside espeak's
callback, which nothing can interrupt (and aplay is missing on many desktops). Here a player is a
child process that stop() ends at once, or winsound's asynchronous playback on Windows.
Every player is used only by the speech owner thread.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

# Preferred first: PulseAudio/PipeWire clients share the device with the screen reader;
# plain ALSA (aplay) may find the device taken. sox's `play` is the last resort.
LINUX_PLAYERS = (("paplay",), ("pw-play",), ("aplay", "-q"), ("play", "-q"))
MAC_PLAYERS = (("afplay",),)
# How long a player gets to exit after SIGTERM before it is killed.
TERMINATE_GRACE_S = 0.5


class WavPlayer(Protocol):
    def start(self, path: Path) -> None: ...

    def is_playing(self) -> bool: ...

    def stop(self) -> None:
        """Silence now; returns once the sound has stopped."""

    def has_failed(self) -> bool:
        """True if the last sound ended by itself with an error (no device, bad file)."""


class SubprocessPlayer:
    """Plays each file with `command + [path]`, e.g. ("paplay",) or ("aplay", "-q")."""

    def __init__(self, command: Sequence[str]):
        self.command = tuple(command)
        self._process: subprocess.Popen | None = None
        self._was_stopped = False

    def start(self, path: Path) -> None:
        self.stop()
        self._was_stopped = False
        self._process = subprocess.Popen(
            [*self.command, str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def is_playing(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        process = self._process
        if process is None or process.poll() is not None:
            return
        self._was_stopped = True
        process.terminate()
        try:
            process.wait(TERMINATE_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def has_failed(self) -> bool:
        process = self._process
        return (
            process is not None
            and not self._was_stopped
            and process.returncode is not None
            and process.returncode != 0
        )


class WinsoundPlayer:
    """Windows without a player program: winsound plays asynchronously and is purged on stop."""

    def __init__(self):
        import winsound  # Windows only

        self._winsound = winsound
        self._ends_at = 0.0

    def start(self, path: Path) -> None:
        with wave.open(str(path), "rb") as wav:
            seconds = wav.getnframes() / wav.getframerate()
        flags = self._winsound.SND_FILENAME | self._winsound.SND_ASYNC | self._winsound.SND_NODEFAULT
        self._winsound.PlaySound(str(path), flags)
        # winsound cannot say when a sound ends, so the end is taken from the file's length.
        self._ends_at = time.monotonic() + seconds

    def is_playing(self) -> bool:
        return time.monotonic() < self._ends_at

    def stop(self) -> None:
        self._winsound.PlaySound(None, 0)
        self._ends_at = 0.0

    def has_failed(self) -> bool:
        return False


def find_player() -> WavPlayer | None:
    """The best player on this machine, or None if there is none."""
    if sys.platform == "win32":
        return WinsoundPlayer()
    candidates = MAC_PLAYERS if sys.platform == "darwin" else LINUX_PLAYERS
    for command in candidates:
        if shutil.which(command[0]):
            return SubprocessPlayer(command)
    return None
