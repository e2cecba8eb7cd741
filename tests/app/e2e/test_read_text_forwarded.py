"""End to end: Read text in `python main.py` on the test's own Xvfb, with the real OCR process and
the real voice rendered to files (VISIONPANGU_SPEECH=file:DIR): forwarded `--read-file` and
`--read clipboard` from a second launch, and the Read text global shortcut from another window.
No model is set up: reading text needs none.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.bench.text_screens import ui_screen
from engine.ocr.recall import word_recall
from tests.app.e2e.desktop import ROOT, WAIT_S, WINDOW_TITLE
from tests.app.e2e.desktop import make_desktop as _make_desktop
from tests.app.e2e.desktop import wait_for as _wait
from tests.app.helpers import write_png
from tests.engine.ocr.conftest import latin_font  # noqa: F401 (the fixture: the font the screens are drawn in)
from tests.system_programs import require

pytestmark = pytest.mark.programs("xdotool", "xmessage", install="apt-get install xdotool x11-utils")
MIN_RECALL = 0.9
READ_WAIT_S = 120  # the first read loads the OCR models; the 2 cores are shared


def _spoken(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.wav")) if folder.is_dir() else []


def _launch(desktop, *args: str) -> None:
    launch = subprocess.run([sys.executable, "main.py", *args], env=desktop.env, cwd=ROOT, capture_output=True,
                            text=True, timeout=WAIT_S)
    assert launch.returncode == 0, launch.stderr


def _read_done(desktop, count: int) -> dict:
    return _wait(lambda: (s := desktop.status()) and s["history"] == count and s["phase"] == "idle" and s,
                 f"read {count}", timeout=READ_WAIT_S)


def test_forwarded_read_commands_and_the_shortcut_read_text_aloud_in_the_running_app(xvfb, tmp_path, latin_font):
    require("espeak-ng", install="apt-get install espeak-ng")
    said = tmp_path / "said"
    desktop = _make_desktop(xvfb, tmp_path / "no-model", tmp_path, "[speech]\noutput=voice\n", f"file:{said}")
    try:
        desktop.spawn([sys.executable, "main.py"])
        desktop.xdotool("search", "--sync", "--onlyvisible", "--name", WINDOW_TITLE)
        _wait(lambda: desktop.status() is not None, "the app to answer")

        # --read-file from a second launch: the file's words in the window, and heard.
        dialog = ui_screen(900, 560, 14, seed=21)
        _launch(desktop, "--read-file", str(write_png(tmp_path / "dialog.png", dialog.image)))
        status = _read_done(desktop, 1)
        assert word_recall(dialog.lines, status["description"].splitlines()) >= MIN_RECALL, status["description"]
        heard = len(_spoken(said))
        assert heard >= 1, "the lines were spoken"

        # --read clipboard: another program owns an image on the X clipboard.
        copied = ui_screen(640, 240, 16, seed=22)
        owner = desktop.spawn([sys.executable, str(Path(__file__).with_name("clipboard_owner.py")),
                               str(write_png(tmp_path / "copied.png", copied.image))], stdout=subprocess.PIPE)
        assert owner.stdout.readline().decode().strip() == "ready"
        _launch(desktop, "--read", "clipboard")
        status = _read_done(desktop, 2)
        assert word_recall(copied.lines, status["description"].splitlines()) >= MIN_RECALL, status["description"]
        assert len(_spoken(said)) > heard

        # The global shortcut (Ctrl+Alt+Shift+T), pressed in another window, reads the screen.
        desktop.spawn(["xmessage", "-geometry", "420x80+800+600", "-name", "marker", "Quarterly budget review"])
        marker = desktop.xdotool("search", "--sync", "--onlyvisible", "--classname", "marker").split()[0]
        desktop.xdotool("windowfocus", "--sync", marker)
        desktop.xdotool("key", "--clearmodifiers", "ctrl+alt+shift+t")
        status = _read_done(desktop, 3)
        assert "budget review" in status["description"].lower(), status["description"]
        assert desktop.xdotool("getwindowfocus") == marker  # focus never moved
    finally:
        desktop.stop()
