"""Qt's "connection broke" warnings end the app's work and the process with 0; every message still reaches the handler before.

The process's end is recorded here instead of done (it would end pytest); the real one, with
the X server killed under the real app, is in tests/app/e2e/test_quitting.py.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import qInstallMessageHandler, qWarning

from app.launch.display_lost import RECONNECT_ENV, DisplayLostHandler, is_display_lost

# Qt's own texts (qtbase qxcbconnection.cpp; qtwayland qwaylanddisplay.cpp, qwaylandshmbackingstore.cpp)
X11_EVENTS = "The X11 connection broke (error 1). Did the X11 server die?"
X11_IO_ERROR = "The X11 connection broke: I/O error (code 1)"
WAYLAND = "The Wayland connection broke. Did the Wayland compositor die?"
WAYLAND_BLOCKING = "The Wayland connection broke during blocking read event. Did the Wayland compositor die?"


@pytest.mark.parametrize("message", (X11_EVENTS, X11_IO_ERROR, WAYLAND, WAYLAND_BLOCKING))
def test_each_of_qts_lost_display_warnings_is_recognised(message, monkeypatch):
    monkeypatch.delenv(RECONNECT_ENV, raising=False)
    assert is_display_lost(message)


def test_a_wayland_client_that_reconnects_is_not_ended(monkeypatch):
    monkeypatch.setenv(RECONNECT_ENV, "")  # Qt asks only whether it is set
    assert not is_display_lost(WAYLAND)
    assert is_display_lost(WAYLAND_BLOCKING), "that one never reconnects"
    assert not is_display_lost("QXcbConnection: XCB error: 3 (BadWindow)")


class Chained:
    """A handler installed before the app's (pytest-qt's, a debug log), and what the app's asked for."""

    def __init__(self, end_work=None):
        self.seen: list[str] = []
        self.ended: list[str] = []
        self.exits: list[int] = []
        self.before = qInstallMessageHandler(lambda _kind, _context, message: self.seen.append(message))
        self.handler = DisplayLostHandler(end_work or (lambda: self.ended.append("work")), self.exits.append)
        self.handler.install()

    def restore(self) -> None:
        self.handler.uninstall()
        qInstallMessageHandler(self.before)


@pytest.fixture
def chained(qapp):
    made = Chained()
    yield made
    made.restore()


def test_other_messages_only_pass_on(chained):
    qWarning("some other warning")
    assert chained.seen == ["some other warning"]
    assert chained.ended == [] and chained.exits == []


def test_a_lost_display_ends_the_work_then_the_process_with_0(chained):
    qWarning(X11_EVENTS)
    assert chained.seen == [X11_EVENTS], "the log still says why the app ended"
    assert chained.ended == ["work"] and chained.exits == [0]


def test_work_that_fails_is_logged_and_ends_with_1(qapp, caplog):
    def failing():
        raise OSError("disk full")

    made = Chained(failing)
    try:
        qWarning(X11_EVENTS)
    finally:
        made.restore()
    assert made.exits == [1]
    assert "could not finish its work" in caplog.text and "disk full" in caplog.text


def test_uninstalling_gives_the_handler_before_back(chained):
    chained.handler.uninstall()
    qWarning(X11_EVENTS)
    assert chained.seen == [X11_EVENTS] and chained.exits == []


def test_without_a_handler_before_messages_go_to_stderr_as_qts_would(qapp, capfd):
    before = qInstallMessageHandler(None)  # Qt's default, as in the app
    exits: list[int] = []
    handler = DisplayLostHandler(lambda: None, exits.append)
    handler.install()
    try:
        qWarning("a plain warning")
    finally:
        handler.uninstall()
        qInstallMessageHandler(before)
    assert "a plain warning" in capfd.readouterr().err and exits == []
