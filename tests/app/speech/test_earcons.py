"""Earcons: valid, audible, click-free WAVs of the right shape; the GUI player builds without a display."""

from __future__ import annotations

import io
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from app.speech.earcons import SAMPLE_RATE, Earcon, NullEarconPlayer, earcon_wav

ROOT = Path(__file__).resolve().parents[3]


def decode(data: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(data), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, SAMPLE_RATE)
        frames = wav.readframes(wav.getnframes())
    return np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0


def dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)[np.argmax(spectrum)])


@pytest.mark.parametrize("earcon", list(Earcon))
def test_earcon_is_a_short_audible_click_free_wav(earcon):
    samples = decode(earcon_wav(earcon))
    seconds = len(samples) / SAMPLE_RATE
    assert 0.1 < seconds < 0.6  # short: it must not delay the first sentence
    assert np.sqrt(np.mean(samples**2)) > 0.1  # clearly audible
    assert np.max(np.abs(samples)) < 0.9  # soft, never clipped
    assert abs(samples[0]) < 0.01 and abs(samples[-1]) < 0.01  # faded in and out: no click


def test_started_rises_and_failed_is_low():
    started = decode(earcon_wav(Earcon.STARTED))
    half = len(started) // 2
    assert dominant_hz(started[:half]) < dominant_hz(started[half:])
    assert dominant_hz(decode(earcon_wav(Earcon.FAILED))) < 300
    assert dominant_hz(started) > 400


def test_null_player_remembers_what_it_played():
    player = NullEarconPlayer()
    player.play(Earcon.STARTED)
    player.play(Earcon.FAILED)
    player.close()
    assert player.played == [Earcon.STARTED, Earcon.FAILED]


QT_PLAYER_SCRIPT = """
import sys, wave
from PySide6.QtCore import QCoreApplication
app = QCoreApplication([])
from app.speech.earcons import Earcon, QtEarconPlayer
player = QtEarconPlayer(volume=0.0)  # silent even where a sound device exists
sources = player.sources()
for earcon, path in sources.items():
    with wave.open(str(path), "rb") as wav:
        assert wav.getnframes() > 0, earcon
player.play(Earcon.STARTED)
player.play(Earcon.FAILED)
app.processEvents()
player.close()
assert not any(path.exists() for path in sources.values())
print("earcon player ok")
"""


def test_qt_player_builds_plays_and_cleans_up_in_its_own_process():
    # Its own process: QtMultimedia needs a QCoreApplication, and this test session must not get
    # one before pytest-qt makes its QApplication. With no sound device, play() does nothing.
    result = subprocess.run(
        [sys.executable, "-c", QT_PLAYER_SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "earcon player ok" in result.stdout
