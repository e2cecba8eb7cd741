"""The moments of one app request, from its command (a global shortcut, a menu item) to its first sound.

The first-sound measurement (`python main.py bench --first-sound`) drives the real app and reads
them: with VISIONPANGU_TIMELINE=FILE the app appends each moment to FILE as one JSON line,
{"request": n, "mark": name, "t": seconds}, and the status query shows the current request's
moments. Times are time.monotonic(), which on Linux is CLOCK_MONOTONIC: one clock for every
process on the machine, so a key press timed by another program compares with them.
Only a request's first moment of each kind is kept (the glance's, not a close-up's).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time

TIMELINE_ENV = "VISIONPANGU_TIMELINE"
COMMAND = "command"  # the request arrived (a shortcut pressed, a menu item chosen)
CAPTURED = "captured"  # the image is in the GUI thread
HANDED_OVER = "handed_over"  # the request and its image are with the engine's worker
FIRST_TOKEN = "first_token"  # the answer's first words reached the GUI thread
FIRST_PHRASE = "first_phrase"  # the first phrase was handed to speech
FIRST_SAMPLE = "first_sample"  # the synthesiser made the first buffer of that phrase's sound
FIRST_AUDIO_OUT = "first_audio_out"  # that buffer reached the player (in file mode: the file)
MARKS = (COMMAND, CAPTURED, HANDED_OVER, FIRST_TOKEN, FIRST_PHRASE, FIRST_SAMPLE, FIRST_AUDIO_OUT)
MODEL_READY = "model_ready"  # not part of a request: the model has loaded
PRIVATE_FILE_MODE = 0o600
logger = logging.getLogger("visionpangu.timeline")


class Timeline:
    def __init__(self, path: str | None = None):
        self._path = path
        self._lock = threading.Lock()
        self._request = 0
        self._begun_at = 0.0
        self._marks: dict[str, float] = {}

    def begin(self) -> None:
        """A new request replaces the one before; its command arrived now."""
        with self._lock:
            self._request += 1
            self._begun_at = time.monotonic()
            self._marks = {}
        self.mark(COMMAND, self._begun_at)

    def mark(self, name: str, at: float | None = None, since: float | None = None) -> None:
        """Keep `name` at `at` (now) unless this request has it already, or it belongs to a request
        before this one (it was asked for `since`, earlier than this request's command)."""
        at = time.monotonic() if at is None else at
        with self._lock:
            if name in self._marks or (since is not None and since < self._begun_at):
                return
            self._marks[name] = at
            self._write(self._request, name, at)

    def event(self, name: str) -> None:
        """A moment outside any request (the model is ready): written, not kept."""
        with self._lock:
            self._write(0, name, time.monotonic())

    def last(self) -> dict[str, float]:
        """The current request's moments, in seconds after its command."""
        with self._lock:
            return {name: round(at - self._begun_at, 4) for name, at in self._marks.items()}

    def _write(self, request: int, name: str, at: float) -> None:
        if not self._path:
            return
        line = json.dumps({"request": request, "mark": name, "t": at}) + "\n"
        try:
            fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE_MODE)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        except OSError as exc:  # a measurement aid: it must never stop a description or the voice
            logger.warning("the timeline cannot be written to %s (%s); it is no longer written", self._path, exc)
            self._path = None


timeline = Timeline(os.environ.get(TIMELINE_ENV) or None)  # the process's one timeline
