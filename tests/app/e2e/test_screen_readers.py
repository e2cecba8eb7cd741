"""Heard with the real Linux accessibility stack: the AT-SPI tree, its events, and Orca 43 itself.

The app runs as its own process on the test's Xvfb with a private session bus and the real
AT-SPI bus (tests/app/e2e/accessibility_stack.py). An AT-SPI client reads what a screen
reader reads; Orca 43 (Debian 12's), which ignores accessibility announcements, is started
by hand and speaks through a real speech-dispatcher whose output the test records.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from engine.sentences import SentenceSplitter
from resources import APP_NAME
from tests.app.e2e.accessibility_stack import AccessibilityStack
from tests.app.speech.recording_speechd import normalized
from tests.app.e2e.desktop import ROOT, WAIT_S, WINDOW_TITLE, make_desktop, wait_for
from tests.app.helpers import noise, write_png

pytestmark = pytest.mark.programs("xdotool", "xmessage", install="apt-get install xdotool x11-utils")
MARKER = ("xmessage", "-geometry", "250x100+1000+60", "-name", "marker", "Another application")
# Roles whose text a user reads: a control without a name is unusable with a screen reader.
CONTROL_ROLES = {"push button", "check box", "combo box", "text", "list", "menu item", "spin button", "slider",
                 "radio button", "toggle button", "page tab"}


def _first_sentence(text: str) -> str:
    splitter = SentenceSplitter()
    sentences = [s for s in splitter.feed(text) + splitter.flush() if s.strip()]
    return normalized(sentences[0])


def _forward_file(desktop, image) -> None:
    launch = subprocess.run([sys.executable, "main.py", "--describe-file", str(image)], env=desktop.env, cwd=ROOT,
                            capture_output=True, text=True, timeout=WAIT_S)
    assert launch.returncode == 0, launch.stderr


@pytest.fixture
def session(request, xvfb, speaking_model_dir, tmp_path):
    """The app's desktop and accessibility stack; settings from @pytest.mark.settings("...ini...")."""
    marker = request.node.get_closest_marker("settings")
    ini = "[describe]\ndetail=brief\n" + (marker.args[0] if marker else "")
    desktop = make_desktop(xvfb, speaking_model_dir, tmp_path, ini, "null")
    stack = AccessibilityStack(desktop)
    try:
        yield desktop, stack.start()
    finally:
        desktop.stop()
        stack.stop()


def _start_app(desktop):
    desktop.spawn([sys.executable, "main.py"])
    window = desktop.xdotool("search", "--sync", "--onlyvisible", "--name", WINDOW_TITLE).split()[0]
    return window, wait_for(lambda: (s := desktop.status()) and s["model"] == "ready" and s, "the model to load")


def test_every_control_is_named_and_the_status_line_reads_as_its_text(session):
    desktop, stack = session
    _start_app(desktop)
    status = wait_for(lambda: (s := desktop.status()) and s["status"] == "Ready." and s, "Ready")
    nodes = stack.tree()
    shown = [n for n in nodes if n["showing"]]
    unnamed = [n for n in shown if n["role"] in CONTROL_ROLES and n["focusable"] and not n["name"].strip()]
    assert not unnamed, unnamed
    status_bar = next(n for n in nodes if n["role"] == "status bar")
    line = [n for n in nodes if n["path"].startswith(status_bar["path"] + "/")]
    assert [n["name"] for n in line] == [status["status"]], "the status line reads as its text, not 'Status'"
    assert line[0]["description"] == "Status"
    description = next(n for n in shown if n["role"] == "text" and n["name"] == "Description")
    assert description["text"] == status["description"]


def test_first_run_problem_said_before_accessibility_is_on_is_delivered_when_it_comes_on(xvfb, tmp_path):
    empty = tmp_path / "no-model"
    empty.mkdir()
    desktop = make_desktop(xvfb, empty, tmp_path, "", "null")
    stack = AccessibilityStack(desktop)
    try:
        stack.start()
        stack.set_enabled(False)  # Qt's accessibility is off: nothing can hear the app yet
        desktop.spawn([sys.executable, "main.py"])
        desktop.xdotool("search", "--sync", "--onlyvisible", "--name", WINDOW_TITLE)
        problem = wait_for(lambda: (s := desktop.status()) and s["model"] == "missing" and s["status"], "the problem")
        recorder = stack.record_events()
        stack.set_enabled(True)  # a screen reader starts: what was said before it is heard now
        heard = wait_for(lambda: [e["any_data"] for e in recorder.of_type("object:announcement")],
                         "the kept announcement")
        assert heard[0] == problem
        nodes = stack.tree()
        assert any(n["name"] == problem and n["description"] == "Problem" for n in nodes), \
            "the first-run problem reads as its text"
    finally:
        desktop.stop()
        stack.stop()


@pytest.mark.settings("[speech]\noutput=screen_reader\n")
def test_a_forwarded_description_is_announced_on_the_bus_and_focus_stays_in_the_other_app(session, tmp_path):
    desktop, stack = session
    desktop.spawn(list(MARKER))
    marker = desktop.xdotool("search", "--sync", "--onlyvisible", "--classname", "marker").split()[0]
    _start_app(desktop)
    desktop.xdotool("windowfocus", "--sync", marker)
    recorder = stack.record_events()
    _forward_file(desktop, write_png(tmp_path / "photo.png", noise(320, 240, seed=3)))
    done = wait_for(lambda: (s := desktop.status()) and s["history"] == 1 and s["phase"] == "idle" and s,
                    "the description")
    assert done["screen_reader"] == "none" and done["reader_channel"] == "announcements"
    heard = [normalized(e["any_data"]) for e in recorder.of_type("object:announcement")]
    assert _first_sentence(done["description"]) in heard
    named = [e["any_data"] for e in recorder.of_type("object:property-change:accessible-name")
             if e["app"] == APP_NAME and e["role"] == "label"]
    assert "Describing photo.png..." in named, named  # the status line's new text, sent as the event Orca reads
    assert not [e for e in recorder.collect() if e["app"] == "VisionPangu Assistant"
                and e["type"] in ("focus:", "window:activate", "object:state-changed:focused") and e["detail1"]]
    assert desktop.xdotool("getwindowfocus") == marker


def test_orca_43_started_by_hand_speaks_the_description_through_its_own_speech_service(session, tmp_path):
    from tests.app.speech.helpers import read_wav
    from tests.app.speech.test_real_speech import assert_is_speech

    desktop, stack = session
    stack.start_speech_dispatcher()
    stack.start_orca()
    desktop.spawn(list(MARKER))
    marker = desktop.xdotool("search", "--sync", "--onlyvisible", "--classname", "marker").split()[0]
    _, ready = _start_app(desktop)
    assert ready["screen_reader"].startswith("Orca 43") and ready["reader_channel"] == "speech_dispatcher"
    assert not ready["voice_reads_results"]  # Orca's service reads; the app's voice would say it twice
    desktop.xdotool("windowfocus", "--sync", marker)
    _forward_file(desktop, write_png(tmp_path / "photo.png", noise(320, 240, seed=5)))
    done = wait_for(lambda: (s := desktop.status()) and s["history"] == 1 and s["phase"] == "idle" and s,
                    "the description")
    first = _first_sentence(done["description"])
    wait_for(lambda: first in stack.spoken_text(), "Orca's speech service to speak the first sentence")
    spoken = stack.spoken_text()
    assert spoken.index("Screen reader on") < spoken.index(first)  # one service: Orca's own words, then ours
    assert first not in spoken[:spoken.index("Ready")]  # (the status words below are not the description's)
    assert spoken.index("Loading model") < spoken.index("Ready")  # startup status is heard, none of it lost
    wavs = stack.speech_dispatcher.wav_files()
    assert wavs
    samples, rate = read_wav(wavs[-1])
    assert_is_speech(samples, rate)
    assert desktop.xdotool("getwindowfocus") == marker
