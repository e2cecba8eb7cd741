"""The session's end through the portal's session monitor, over a real private D-Bus (issue 22).

The other end is tests/app/launch/session_portal.py, which stands in for xdg-desktop-portal
and the desktop's session manager behind it (neither can run here). The real app's logout,
under Xvfb, is in tests/app/e2e/test_quitting.py.
"""

from __future__ import annotations

import logging
import select

import pytest

from app.launch.session_end import SessionEndMonitor
from tests.app.hotkeys.conftest import linux_only, session_bus  # noqa: F401 (a fixture)
from tests.app.hotkeys.dbus_helpers import read_line, tell
from tests.app.launch.session_portal import ENDING, QUERY_END, RUNNING

pytestmark = linux_only

WAIT_MS = 5000


class Recorder:
    """What the monitor asked of the app, in order."""

    def __init__(self):
        self.calls: list[str] = []
        self.monitor = SessionEndMonitor(lambda: self.calls.append("flush"), lambda: self.calls.append("quit"))


@pytest.fixture
def recorder(qapp):
    made = Recorder()
    yield made
    made.monitor.close()


def _line(qtbot, portal) -> str:
    """The stand-in's next line, with Qt's loop running meanwhile (the app's side is on it)."""
    qtbot.waitUntil(lambda: bool(select.select([portal.stdout], [], [], 0)[0]), timeout=WAIT_MS)
    return read_line(portal.stdout)


def _monitored(qtbot, session_bus, recorder: Recorder):  # noqa: F811 (the fixture)
    portal = session_bus.start_stand_in("tests.app.launch.session_portal")
    assert recorder.monitor.start()
    created = _line(qtbot, portal).split()
    assert created[0] == "monitor"
    qtbot.waitUntil(lambda: recorder.monitor.session == created[1], timeout=WAIT_MS)
    return portal, created[1]


def test_query_end_writes_everything_then_answers_and_ending_quits(qtbot, session_bus, recorder):  # noqa: F811
    portal, session = _monitored(qtbot, session_bus, recorder)

    tell(portal, f"state {QUERY_END}")
    assert _line(qtbot, portal) == f"query-end answered {session}"
    assert recorder.calls == ["flush"], "on disk before the answer, and the app runs on"

    tell(portal, f"state {RUNNING}")  # the user cancelled the logout
    tell(portal, f"state {ENDING}")
    qtbot.waitUntil(lambda: "quit" in recorder.calls, timeout=WAIT_MS)
    assert recorder.calls == ["flush", "quit"]


def test_closing_closes_the_monitoring_session(qtbot, session_bus, recorder):  # noqa: F811
    portal, session = _monitored(qtbot, session_bus, recorder)
    recorder.monitor.close()
    assert _line(qtbot, portal) == f"closed {session}"
    tell(portal, f"state {ENDING}")
    qtbot.wait(300)
    assert recorder.calls == [], "a closed monitor hears nothing more"


def test_without_a_portal_the_app_runs_on(qtbot, session_bus, recorder, caplog):  # noqa: F811
    with caplog.at_level(logging.INFO, logger="app.launch.session_end"):
        assert recorder.monitor.start()
        qtbot.waitUntil(lambda: "no session monitor from the portal" in caplog.text, timeout=WAIT_MS)
    assert "ServiceUnknown" in caplog.text
    assert recorder.monitor.session == "" and recorder.calls == []


def test_without_a_session_bus_there_is_nothing_to_ask(qapp, recorder, monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    assert not recorder.monitor.start()
