"""Announcements kept while nothing can hear them: delivered in order once something can, at little cost meanwhile.

Offscreen Qt has no assistive technology, so QAccessible.isActive() is false, as on a
machine with no screen reader; `QAccessible.setActive(True)` is what Qt's platform bridge
does when one connects (AT-SPI on Linux, UIA or MSAA on Windows).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QLabel

from app.ui import announcer as announcer_module
from app.ui.announcer import Announcer

SETTLE_MS = 5_000


@pytest.fixture
def deaf(qapp):
    """Nothing can hear the app yet; whatever a test turns on is turned off again."""
    assert not QAccessible.isActive()  # offscreen, no assistive technology: Qt would drop announcements
    yield
    QAccessible.setActive(False)


def _announcer(source) -> tuple[Announcer, list]:
    announcer = Announcer(source, nvda=None)
    delivered: list = []
    announcer.delivered.connect(lambda text, channel: delivered.append((text, channel)))
    return announcer, delivered


def _looks(announcer: Announcer) -> list[int | None]:
    """Each time the announcer looks whether kept text can be heard (its timer's timeouts): the wait it then
    sets before the next look, or None where it set none."""
    timer = announcer.findChild(QTimer)
    looks: list = []
    timer.timeout.connect(lambda: looks.append(timer.interval() if timer.isActive() else None))
    return looks


def test_announcements_said_while_nothing_can_hear_them_are_kept_and_delivered_in_order(qtbot, deaf):
    announcer, delivered = _announcer(QLabel("source"))
    announcer.announce("No model found.", is_assertive=True)
    announcer.announce("Loading model...")
    qtbot.wait(10)
    assert announcer.pending() == ["No model found.", "Loading model..."] and not delivered
    QAccessible.setActive(True)  # an assistive technology connects
    qtbot.waitUntil(lambda: len(delivered) == 2, timeout=SETTLE_MS)
    announcer.announce("Ready.")
    announcer.shutdown()
    assert delivered == [("No model found.", "announcement"), ("Loading model...", "announcement"),
                         ("Ready.", "announcement")]
    assert announcer.pending() == [] and not announcer.is_looking()


def test_with_no_assistive_technology_the_looking_backs_off_and_stops_and_the_text_is_kept(qtbot, deaf,
                                                                                           monkeypatch):
    # The real waits (0.25 s doubling to 8 s, for 10 minutes) scaled down, same shape.
    monkeypatch.setattr(announcer_module, "PENDING_FIRST_LOOK_MS", 20)
    monkeypatch.setattr(announcer_module, "PENDING_LONGEST_LOOK_MS", 160)
    monkeypatch.setattr(announcer_module, "PENDING_LOOK_FOR_MS", 1_000)
    announcer, delivered = _announcer(QLabel("source"))
    looks = _looks(announcer)
    announcer.announce("No model found.")
    assert announcer.is_looking() and announcer.findChild(QTimer).interval() == 20
    qtbot.waitUntil(lambda: not announcer.is_looking(), timeout=SETTLE_MS)
    assert looks[-1] is None and None not in looks[:-1]  # the last look set no further wait
    waits = [20] + looks[:-1]
    assert waits[:4] == [20, 40, 80, 160] and set(waits[4:]) == {160}  # doubling, then capped
    assert 1_000 <= sum(waits) < 1_000 + 160  # and then no more
    count = len(looks)
    qtbot.wait(400)  # more than two of the longest waits
    assert len(looks) == count, "a machine with no screen reader is woken no more"
    assert announcer.pending() == ["No model found."] and not delivered
    QAccessible.setActive(True)  # a screen reader starts long after: the next announcement brings it all
    announcer.announce("Ready.")
    assert delivered == [("No model found.", "announcement"), ("Ready.", "announcement")]
    assert not announcer.is_looking()


@pytest.mark.parametrize("comes", ["shown", "activated"])
def test_once_the_looking_has_stopped_the_window_coming_up_brings_the_kept_text(qtbot, deaf, monkeypatch, comes):
    monkeypatch.setattr(announcer_module, "PENDING_LOOK_FOR_MS", 1)  # the looking stops after its first look
    window, other = QLabel("window"), QLabel("another window")
    qtbot.addWidget(window)
    qtbot.addWidget(other)
    if comes == "activated":
        window.show()
        qtbot.waitExposed(window)
        other.show()  # the user went on to another window
        other.activateWindow()
        qtbot.waitUntil(other.isActiveWindow, timeout=SETTLE_MS)
    announcer, delivered = _announcer(window)
    announcer.announce("No model found.")
    qtbot.waitUntil(lambda: not announcer.is_looking(), timeout=SETTLE_MS)
    QAccessible.setActive(True)  # a screen reader started while the app was in the background
    qtbot.wait(300)
    assert not delivered  # nothing woke the app
    if comes == "shown":
        window.show()
    else:
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=SETTLE_MS)
    qtbot.waitUntil(lambda: delivered == [("No model found.", "announcement")], timeout=SETTLE_MS)
    assert announcer.pending() == [] and not announcer.is_looking()
