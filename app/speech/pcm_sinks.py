"""Where a phrase's samples go as espeak-ng makes them: a WAV file written as they come (file mode),
or a file player that gets the complete phrase (players without a streaming input).

Both take the same calls as StreamPlayer (app/speech/players.py): open(rate), write(pcm, token)
for each buffer, finish(token) at the end, stop() to abandon, has_failed(). So file mode writes
exactly the samples, in the same buffers and at the same moments, that a streaming player is fed.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path

from app.speech.players import WRITE_POLL_S, CancelToken, WavPlayer

SAMPLE_WIDTH_BYTES = 2
PRIVATE_FILE_MODE = 0o600  # what is spoken describes the user's screen


class WavFileSink:
    """Writes the samples to a 16-bit mono WAV file as they arrive; finish() completes its header."""

    def __init__(self, path: Path):
        self.path = path
        self._wav: wave.Wave_write | None = None
        self._handle = None

    def open(self, rate: int) -> None:
        self.path.unlink(missing_ok=True)
        self._handle = os.fdopen(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE), "wb")
        self._wav = wave.open(self._handle, "wb")
        self._wav.setnchannels(1)
        self._wav.setsampwidth(SAMPLE_WIDTH_BYTES)
        self._wav.setframerate(rate)

    def write(self, pcm: bytes, token: CancelToken) -> bool:
        if token.is_cancelled():
            return False
        self._wav.writeframesraw(pcm)  # the header's sizes are written once, by finish()
        return True

    def finish(self, token: CancelToken) -> bool:
        self.stop()
        return not token.is_cancelled()

    def stop(self) -> None:
        if self._wav is not None:
            wav, self._wav = self._wav, None
            wav.close()  # writes the final sizes into the header; a file object given to wave stays open
            self._handle.close()

    def has_failed(self) -> bool:
        return False


class FilePlayerSink:
    """For a player that only plays files: the phrase is written to `scratch`, then played whole."""

    def __init__(self, player: WavPlayer, scratch: Path):
        self._player = player
        self._file = WavFileSink(scratch)

    def open(self, rate: int) -> None:
        self._file.open(rate)

    def write(self, pcm: bytes, token: CancelToken) -> bool:
        return self._file.write(pcm, token)

    def finish(self, token: CancelToken) -> bool:
        if not self._file.finish(token):
            return False
        self._player.start(self._file.path)
        while self._player.is_playing():
            if token.wait(WRITE_POLL_S):
                self._player.stop()
                return False
        return True

    def stop(self) -> None:
        self._file.stop()
        self._player.stop()

    def has_failed(self) -> bool:
        return self._player.has_failed()
