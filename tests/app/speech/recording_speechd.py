"""A real speech-dispatcher whose output module records what it is asked to say, as text and as speech.

The output module is speech-dispatcher's own sd_generic with a command of ours: each text
is appended to spoken.txt and rendered by espeak-ng to wav/<time>.wav. There is no sound
card, so ALSA (which sd_generic opens at start) writes to a file.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.system_programs import require

START_S = 30
SPEECHD_CONF = """LogLevel 3
LogDir "{logs}"
AudioOutputMethod "alsa"
AddModule "recorder" "sd_generic" "recorder.conf"
DefaultModule recorder
DefaultLanguage "en"
"""
RECORDER_CONF = """GenericExecuteSynth "printf '%s\\\\n' \\'$DATA\\' >> {spoken} && espeak-ng -w {wavs}/$(date +%s%N).wav \\'$DATA\\'"
AddVoice "en" "MALE1" "default"
DefaultVoice "default"
GenericLanguage "en" "en" "utf-8"
"""
ALSA_TO_FILE = 'pcm.!default {{ type file; slave.pcm "null"; file "{raw}"; format "raw" }}\n'




def normalized(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def wait_until(condition, what: str, timeout: float = START_S):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


class RecordingSpeechDispatcher:
    def __init__(self, folder: Path):
        self.folder = folder
        self.spoken = folder / "spoken.txt"
        self.wavs = folder / "wav"
        self.socket = folder / "speechd.sock"
        self.address = f"unix_socket:{self.socket}"

    def start(self, spawn: Callable[..., subprocess.Popen], env: dict) -> subprocess.Popen:
        require("speech-dispatcher", "espeak-ng")
        config, logs, home = self.folder / "speechd", self.folder / "speechd-logs", self.folder / "speechd-home"
        for folder in (config / "modules", logs, home, self.wavs):
            folder.mkdir(parents=True, exist_ok=True)
        (config / "speechd.conf").write_text(SPEECHD_CONF.format(logs=logs), encoding="utf-8")
        (config / "modules" / "recorder.conf").write_text(RECORDER_CONF.format(spoken=self.spoken, wavs=self.wavs),
                                                          encoding="utf-8")
        (home / ".asoundrc").write_text(ALSA_TO_FILE.format(raw=self.folder / "alsa.raw"), encoding="utf-8")
        process = spawn(["speech-dispatcher", "--run-single", "--timeout", "0", "--config-dir", str(config),
                         "--communication-method", "unix_socket", "--socket-path", str(self.socket)],
                        env=dict(env, HOME=str(home)))
        wait_until(self.socket.exists, "speech-dispatcher's socket")
        return process

    def text(self) -> str:
        return normalized(self.spoken.read_text(encoding="utf-8")) if self.spoken.exists() else ""

    def wav_files(self) -> list[Path]:
        return sorted(self.wavs.glob("*.wav"))
