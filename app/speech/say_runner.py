"""The macOS voice through /usr/bin/say, a child process that a stop kills at once.

pyttsx3's nsss driver cannot be used off the main thread: NSSpeechSynthesizer there speaks
once and then hangs (pyttsx3's own issue tracker), and its run-loop stop can call
NSApp().terminate_() and quit the whole app. `say` (Apple's say(1) man page) speaks the
system voice in its own process, like the espeak path's player: `-v` voice, `-r` words
per minute, `-f` the text from a file (so text starting with "-" is never an option),
`-o` with `--data-format=LEI16@22050` writes a WAVE file, and `-v ?` lists the voices.
Text the app did not write must stay plain words: `[[` opens one of the synthesizer's
embedded commands (Apple, Speech Synthesis Programming Guide, "Embedded Speech Commands"),
so it is broken up before the text is spoken; only our own volume command uses it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from app.speech.errors import PlaybackFailed
from app.speech.runners import POLL_S, CancelToken, Runner

SAY_PROGRAM = "/usr/bin/say"
LIST_TIMEOUT_S = 10.0
RENDER_TIMEOUT_S = 120.0
WAVE_FORMAT = "--data-format=LEI16@22050"  # with an .wav output name, say writes WAVE
EMBEDDED_COMMAND_OPEN = "[["
_VOICE_LINE = re.compile(r"^(?P<name>.+?)\s{2,}(?P<language>[A-Za-z]{2,3}[_-][A-Za-z0-9]+)\s+#")


def plain_text(text: str) -> str:
    """The text with every "[[" broken up, so the synthesizer reads it and never obeys it."""
    while EMBEDDED_COMMAND_OPEN in text:
        text = text.replace(EMBEDDED_COMMAND_OPEN, "[ [")
    return text


class SayRunner(Runner):
    def __init__(self, scratch: Path, program: str = SAY_PROGRAM):
        super().__init__(engine=None)
        self._program = program
        self._text_file = scratch / "utterance.txt"
        self._voice = ""
        self._rate: int | None = None
        self._volume: float | None = None
        self._voices = self._list_voices()

    def _list_voices(self) -> list[tuple[str, str]]:
        done = subprocess.run([self._program, "-v", "?"], capture_output=True, text=True, timeout=LIST_TIMEOUT_S,
                              stdin=subprocess.DEVNULL, check=True)
        found = (_VOICE_LINE.match(line) for line in done.stdout.splitlines())
        return [(m["name"], f"{m['name']} ({m['language']})") for m in found if m]

    def voices(self) -> list[tuple[str, str]]:
        return list(self._voices)

    def default_voice(self) -> str:
        return ""  # say's own default: the voice chosen in System Settings

    def set_property(self, name: str, value: object) -> None:
        if name == "voice":
            self._voice = str(value)
        elif name == "rate":
            self._rate = int(value)
        elif name == "volume":
            self._volume = float(value)

    def _command(self, text: str, *extra: str) -> list[str]:
        volume = f"[[volm {self._volume:.2f}]] " if self._volume is not None else ""
        self._text_file.write_text(volume + plain_text(text), encoding="utf-8")
        command = [self._program]
        if self._voice:
            command += ["-v", self._voice]
        if self._rate is not None:
            command += ["-r", str(self._rate)]
        return [*command, *extra, "-f", str(self._text_file)]

    def speak(self, text: str, token: CancelToken) -> None:
        process = subprocess.Popen(self._command(text), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            while process.poll() is None:
                if token.wait(POLL_S):
                    return
        finally:
            if process.poll() is None:
                process.kill()  # a stop: silent at once, not at the next word
                process.wait()  # SIGKILL cannot be ignored, so this returns; never leave a zombie
        if process.returncode != 0 and not token.is_cancelled():
            raise PlaybackFailed(f"say exited with {process.returncode}")

    def render(self, text: str, path: Path, token: CancelToken | None = None) -> None:
        subprocess.run(self._command(text, "-o", str(path), WAVE_FORMAT), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=RENDER_TIMEOUT_S, check=True)
