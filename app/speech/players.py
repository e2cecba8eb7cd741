"""Play speech so that a stop cuts it off mid-word: streamed as it is synthesised where the player can.

A player is a child process that stop() ends at once (or winsound's asynchronous playback on
Windows). Where the player reads raw PCM from its standard input (paplay, aplay, sox's play), the
samples are written to it as espeak-ng makes them, so the voice starts with the phrase's first
buffer, not after the whole phrase was rendered. Players that only take a file (pw-play, afplay,
winsound) get the phrase as a WAV file once it is complete (app/speech/pcm_sinks.py).
Every player is used only by the speech owner thread.
"""

from __future__ import annotations

import os
import select
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
# Streaming players read 16-bit little-endian mono PCM at {rate} Hz from standard input
# (paplay: pacat(1) --raw; aplay(1) -t raw; sox(1) -t raw); the others play a file.
LINUX_STREAM_PLAYERS = (
    ("paplay", "--raw", "--format=s16le", "--rate={rate}", "--channels=1"),
    ("aplay", "-q", "-t", "raw", "-f", "S16_LE", "-r", "{rate}", "-c", "1"),
    ("play", "-q", "-t", "raw", "-e", "signed-integer", "-b", "16", "-L", "-c", "1", "-r", "{rate}", "-"),
)
LINUX_FILE_PLAYERS = (("pw-play",),)
MAC_PLAYERS = (("afplay",),)
# How long a player gets to exit after SIGTERM before it is killed.
TERMINATE_GRACE_S = 0.5
# How often a blocked write to a player checks for a stop (the player reads at the speed of speech).
WRITE_POLL_S = 0.02


class CancelToken(Protocol):
    def is_cancelled(self) -> bool: ...

    def wait(self, seconds: float) -> bool:
        """Sleep up to seconds, waking at once on a stop; True if this utterance was cancelled."""


class WavPlayer(Protocol):
    def start(self, path: Path) -> None: ...

    def is_playing(self) -> bool: ...

    def stop(self) -> None:
        """Silence now; returns once the sound has stopped."""

    def has_failed(self) -> bool:
        """True if the last sound ended by itself with an error (no device, bad file)."""


class SubprocessPlayer:
    """Plays each file with `command + [path]`, e.g. ("pw-play",) or ("afplay",)."""

    def __init__(self, command: Sequence[str]):
        self.command = tuple(command)
        self._process: subprocess.Popen | None = None
        self._was_stopped = False

    def start(self, path: Path) -> None:
        self._spawn([*self.command, str(path)], subprocess.DEVNULL)

    def _spawn(self, args: list[str], stdin) -> subprocess.Popen:
        self.stop()
        self._was_stopped = False
        self._process = subprocess.Popen(args, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self._process

    def is_playing(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        process = self._process
        if process is not None and process.stdin is not None:
            _close_quietly(process.stdin)  # also when the player ended by itself
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


class StreamPlayer(SubprocessPlayer):
    """A player fed raw PCM on its standard input while the phrase is still being synthesised.

    open(rate) starts it; write() hands it samples (waiting while its pipe is full, since it plays in
    real time, and giving up at once on a stop); finish() lets it play the rest and waits for it.
    """

    def open(self, rate: int) -> None:
        process = self._spawn([part.format(rate=rate) for part in self.command], subprocess.PIPE)
        os.set_blocking(process.stdin.fileno(), False)  # a full pipe must not block past a stop

    def write(self, pcm: bytes, token: CancelToken) -> bool:
        """False if a stop came or the player is gone (has_failed() then says whether it failed)."""
        process, view = self._process, memoryview(pcm)
        while view:
            if token.is_cancelled() or process.poll() is not None:
                return False
            _, writable, _ = select.select([], [process.stdin], [], WRITE_POLL_S)
            if not writable:
                continue
            try:
                view = view[os.write(process.stdin.fileno(), view):]
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):  # the player ended by itself (no device): reported by has_failed
                process.wait()
                return False
        return True

    def finish(self, token: CancelToken) -> bool:
        """Let the player play what it was given; False if a stop cut it short."""
        if self._process.stdin is not None:
            _close_quietly(self._process.stdin)
        while self._process.poll() is None:
            if token.wait(WRITE_POLL_S):
                self.stop()
                return False
        return True


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


def find_player() -> StreamPlayer | WavPlayer | None:
    """The best player on this machine (a streaming one first), or None if there is none."""
    if sys.platform == "win32":
        return WinsoundPlayer()
    if sys.platform != "darwin":
        for command in LINUX_STREAM_PLAYERS:
            if shutil.which(command[0]):
                return StreamPlayer(command)
    for command in MAC_PLAYERS if sys.platform == "darwin" else LINUX_FILE_PLAYERS:
        if shutil.which(command[0]):
            return SubprocessPlayer(command)
    return None


def _close_quietly(pipe) -> None:
    try:
        pipe.close()
    except OSError:  # a pipe whose reader is gone cannot flush: nothing is left to say to it
        pass
