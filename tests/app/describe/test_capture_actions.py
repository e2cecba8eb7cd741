"""Describe screen and Describe active window against a real X server (Xvfb) and real X clients.

The app runs in this process on the offscreen platform; its screen capture (mss) and its
window finder (Xlib) talk to the test's own Xvfb, as they talk to the user's X server.
"""

from __future__ import annotations

import os
import subprocess

import mss
import numpy as np
import pytest

from tests.app.helpers import spy_on_second_looks, start_ready, wait_idle

pytestmark = pytest.mark.programs("xdotool", "xmessage", install="apt-get install xdotool x11-utils")
WAIT_S = 10


@pytest.fixture
def on_xvfb(xvfb, monkeypatch):
    monkeypatch.setenv("DISPLAY", xvfb)
    started = []

    def open_window(name: str, geometry: str, *colours: str) -> int:
        env = {**os.environ, "DISPLAY": xvfb}
        started.append(subprocess.Popen(["xmessage", "-geometry", geometry, "-name", name, *colours, name],
                                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        found = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--classname", name], env=env,
                               capture_output=True, text=True, timeout=WAIT_S)
        window = found.stdout.split()[0]
        subprocess.run(["xdotool", "windowfocus", "--sync", window], env=env, check=True, timeout=WAIT_S)
        return int(window)

    yield open_window
    for process in started:
        process.terminate()
        process.wait(WAIT_S)


def test_describe_screen_captures_the_real_screen(make_app, model_dir, qtbot, on_xvfb):
    on_xvfb("something-on-screen", "400x150+100+100")
    application = start_ready(make_app(), qtbot)
    application.actions.describe_screen.trigger()
    wait_idle(application, qtbot)
    entry = application.entries[-1]
    with mss.MSS() as sct:
        shot = sct.grab(sct.monitors[1])
        screen = np.frombuffer(shot.rgb, dtype=np.uint8).reshape(shot.height, shot.width, 3)
    assert entry.source == "Screen" and np.array_equal(entry.image, screen)
    assert entry.description and not entry.is_note


def test_describe_active_window_captures_the_users_window(make_app, model_dir, qtbot, on_xvfb):
    on_xvfb("letter-to-grandma", "300x120+200+150")
    application = start_ready(make_app(), qtbot)
    application.actions.describe_window.trigger()
    wait_idle(application, qtbot)
    entry = application.entries[-1]
    assert entry.source == "Window letter-to-grandma"
    assert entry.image.shape == (122, 302, 3)  # the window and its 1-pixel X border
    assert entry.description


def test_a_black_window_is_reported_as_black_with_what_to_do(make_app, model_dir, qtbot, on_xvfb):
    on_xvfb("curtained", "300x120+50+50", "-bg", "black", "-fg", "black", "-bd", "black")
    application = start_ready(make_app(), qtbot)
    phases = []
    application.controller.phase_changed.connect(phases.append)
    application.actions.describe_window.trigger()
    wait_idle(application, qtbot)
    text = application.page.text()
    assert "completely black" in text and "screen curtain" in text
    assert "describing" not in phases
    assert text in application.speech.speech.spoken


def test_describe_screen_glances_first_then_looks_again_at_the_active_window(make_app, model_dir, qtbot, on_xvfb,
                                                                            settings):
    from app.storage.settings import DETAIL

    settings.set(DETAIL, "standard")
    on_xvfb("letter-to-grandma", "400x150+800+560")  # the active window, in the lower right
    application = start_ready(make_app(), qtbot)
    looks = spy_on_second_looks(application)
    statuses = []
    show = application.controller.reporter.show
    application.controller.reporter.show = lambda text: (statuses.append(text), show(text))
    application.actions.describe_screen.trigger()
    wait_idle(application, qtbot)
    entry = application.entries[-1]
    turns = entry.conversation.turns
    assert [s for s in statuses if s.startswith("Taking")] == [
        f"Taking a closer look ({i} of {len(looks)})..." for i in range(1, len(looks) + 1)]
    assert entry.conversation.detail == "brief"  # the glance: the overview tile alone
    # one request per close-up, most informative first: the one over the active window
    assert 2 <= len(looks) <= 3 and all(len(look) == 1 for look in looks)  # the window and one beside it
    first = looks[0][0]
    assert first.x + first.w > 800 and first.y + first.h > 560
    assert [t["role"] for t in turns] == ["assistant"] + ["user", "assistant"] * len(looks)
    assert [t["regions"] for t in turns[1::2]] == [[look[0].as_list()] for look in looks]
    glance, close_ups = turns[0]["content"], [t["content"] for t in turns[2::2]]
    assert entry.description == "\n\n".join([glance.strip()] + [c.strip() for c in close_ups]) == application.page.text()
    # all of it was spoken, in order, with the cue between the glance and the close-ups
    spoken = application.speech.speech.spoken
    assert spoken.count("Taking a closer look.") == 1
    between = spoken.index("Taking a closer look.")
    assert "".join(spoken[:between]).replace(" ", "") == glance.replace(" ", "").strip()
    assert "".join(spoken[between + 1 :]).replace(" ", "") == "".join(close_ups).replace(" ", "")


def test_stopping_after_the_glance_keeps_the_glance(make_app, model_dir, qtbot, on_xvfb, settings):
    from app.storage.settings import DETAIL

    settings.set(DETAIL, "detailed")
    on_xvfb("something-on-screen", "400x150+100+100")
    application = start_ready(make_app(), qtbot)
    looks = spy_on_second_looks(application)
    application.actions.describe_screen.trigger()
    qtbot.waitUntil(lambda: bool(looks), timeout=60_000)
    entry = application.entries[-1]
    glance = entry.conversation.turns[0]["content"]
    application.actions.stop.trigger()
    assert application.controller.phase == "idle"
    qtbot.waitUntil(lambda: not application.controller.engine_busy, timeout=10_000)
    assert entry.description.startswith(glance.strip() + "\n\n")
    assert application.page.text() == entry.description
    qtbot.wait(300)
    assert application.page.text() == entry.description  # nothing more arrives after Stop


def test_stopping_between_close_ups_keeps_what_was_said(make_app, model_dir, qtbot, on_xvfb, settings):
    from PySide6.QtCore import QTimer

    from app.storage.settings import DETAIL

    settings.set(DETAIL, "detailed")  # up to six close-ups
    on_xvfb("letter-to-grandma", "400x150+800+560")
    application = start_ready(make_app(), qtbot)
    looks = spy_on_second_looks(application)
    stop_at_second = []
    refine = application.setup.engine.refine

    def refine_then_stop(ticket, conversation, regions):
        refine(ticket, conversation, regions)
        if len(looks) == 2:  # the first close-up is done and recorded
            stop_at_second.append(list(conversation.turns))
            QTimer.singleShot(0, application.actions.stop.trigger)

    application.setup.engine.refine = refine_then_stop
    application.actions.describe_screen.trigger()
    qtbot.waitUntil(lambda: bool(stop_at_second) and application.controller.phase == "idle", timeout=60_000)
    qtbot.waitUntil(lambda: not application.controller.engine_busy, timeout=10_000)
    turns = stop_at_second[0]
    glance, first_close_up = turns[0]["content"], turns[2]["content"]
    entry = application.entries[-1]
    assert entry.description.startswith(glance.strip() + "\n\n" + first_close_up.strip())
    qtbot.wait(300)
    assert application.page.text() == entry.description and len(looks) == 2  # nothing more after Stop


def test_with_glance_first_off_the_screen_is_described_in_one_pass(make_app, model_dir, qtbot, on_xvfb, settings):
    from app.storage.settings import DETAIL, GLANCE_FIRST

    settings.set(DETAIL, "standard")
    settings.set(GLANCE_FIRST, False)
    on_xvfb("something-on-screen", "400x150+100+100")
    application = start_ready(make_app(), qtbot)
    looks = spy_on_second_looks(application)
    application.actions.describe_screen.trigger()
    wait_idle(application, qtbot)
    entry = application.entries[-1]
    assert entry.conversation.detail == "standard" and looks == []
    assert [t["role"] for t in entry.conversation.turns] == ["assistant"]
