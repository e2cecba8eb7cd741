"""Fixtures for the desktop app: offscreen Qt, isolated settings and data, the tiny real model, Xvfb.

Nothing here touches the user's configuration: settings, history and the single-instance
socket name all live in per-test temporary places. In-process Qt tests run on the
offscreen platform with no X display; tests that need a real X server start their own
Xvfb (the `xvfb` fixture) on a display number Xvfb picks itself.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from engine.bench import desktop
from tests.system_programs import require

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before pytest-qt makes the QApplication
os.environ.setdefault("VISIONPANGU_SPEECH", "null")

XVFB_SCREEN = "1280x800x24"
XVFB_START_TIMEOUT_S = 10


OTHER_SUITES = ("speech", "hotkeys")  # built separately, with their own fixtures


@pytest.fixture(autouse=True)
def _isolated_app_environment(request, tmp_path, monkeypatch):
    here = Path(__file__).parent  # tests elsewhere (tests/hostile) import this fixture too
    if request.path.is_relative_to(here) and any(part in OTHER_SUITES
                                                 for part in request.path.relative_to(here).parts[:-1]):
        return
    monkeypatch.setenv("VISIONPANGU_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("VISIONPANGU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VISIONPANGU_INSTANCE", f"visionpangu-test-{uuid.uuid4().hex[:12]}")
    monkeypatch.setenv("VISIONPANGU_SPEECH", "null")
    monkeypatch.setenv("VISIONPANGU_HOTKEYS", "null")  # never grab keys on a developer's desktop
    monkeypatch.setenv("VISIONPANGU_MODEL_DIR", str(tmp_path / "no-model-here"))
    # In-process tests never reach a real display: window and screen capture report that plainly.
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)


@pytest.fixture(scope="session")
def tiny_pair(conversions):
    """The tiny real model (random weights), converted once per session."""
    return conversions.get("internvl", "Q4_K_M", "f16")


@pytest.fixture(scope="session")
def speaking_model_dir(tmp_path_factory) -> Path:
    """A tiny real model whose random answers are English words, so its speech can be heard.

    convert.synthetic's `speaks_words` favours whole-word tokens; the usual tiny model
    answers with repeated punctuation, which a voice renders as silence.
    """
    from convert.pipeline import convert_checkpoint
    from convert.synthetic import make_checkpoint

    base = tmp_path_factory.mktemp("speaking-model")
    checkpoint = make_checkpoint(base / "checkpoint", "tiny", "internvl", seed=7, speaks_words=True)
    return Path(convert_checkpoint(checkpoint, base / "model", "Q8_0", "f16").model_path).parent


@pytest.fixture
def model_dir(tiny_pair, monkeypatch) -> Path:
    folder = Path(tiny_pair.model_path).parent
    monkeypatch.setenv("VISIONPANGU_MODEL_DIR", str(folder))
    return folder


@pytest.fixture
def settings(tmp_path):
    from app.storage.settings import Settings

    return Settings(tmp_path / "config" / "settings.ini")


@pytest.fixture
def null_speech():
    from app.speech.base import NullSpeech
    from app.speech.earcons import NullEarconPlayer
    from app.speech.screen_reader import ScreenReaderInfo
    from app.speech.speech_link import SpeechLink

    # "Is a screen reader running?" answered "cannot tell": results then go to both outputs,
    # so tests see them spoken and announced (the modes have their own tests).
    return SpeechLink(NullSpeech(), earcons=NullEarconPlayer(), detect_screen_reader=lambda: ScreenReaderInfo(None),
                      has_speech_dispatcher=lambda: False)


@pytest.fixture
def make_app(qtbot, settings, null_speech, tmp_path):
    """Build an Application (not started); every one made is quit after the test."""
    from app.application import Application

    made = []

    def make(**options):
        options.setdefault("speech", null_speech)
        options.setdefault("history_folder", tmp_path / "history")
        options.setdefault("quit_qt", False)
        application = Application(options.pop("settings", settings), **options)
        qtbot.addWidget(application.window)
        made.append(application)
        return application

    yield make
    for application in made:
        application.quit()


def start_xvfb(screen: str = XVFB_SCREEN):
    """A private X server with one screen of `screen` ("WIDTHxHEIGHTxDEPTH"): (process, display name)."""
    return desktop.start_xvfb(screen, XVFB_START_TIMEOUT_S)


def require_xvfb() -> None:
    """Skip without Xvfb, except in CI, where its absence is a failure."""
    require("Xvfb", install="apt-get install xvfb")


def stop_xvfb(process) -> None:
    desktop.stop_processes([process])


@pytest.fixture(scope="session")
def xvfb():
    """A private X server for real-window tests; its display name, e.g. ':5'."""
    require_xvfb()
    process, display = start_xvfb()
    yield display
    stop_xvfb(process)
