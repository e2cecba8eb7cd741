"""SIGTERM, SIGINT and SIGHUP quit from the event loop, never inside the slot that happens to be running.

A Python-level signal handler runs "between bytecodes" in the main thread: quitting there
closed the active-window poll's X connection under the running poll (issue 22).
"""

from __future__ import annotations

import os
import signal

import pytest

from app.launch.quit_signals import QUIT_SIGNALS, QuitOnSignals


@pytest.mark.parametrize("number", QUIT_SIGNALS)
def test_a_signal_quits_only_after_the_running_code_has_finished(qtbot, number):
    quits = []
    watcher = QuitOnSignals(lambda: quits.append(number))
    try:
        os.kill(os.getpid(), number)
        total = sum(range(10_000))  # many bytecodes, where a Python-level handler would have run
        assert total and quits == [], "nothing quits inside the code that was running"
        qtbot.waitUntil(lambda: quits == [number], timeout=5000)
    finally:
        watcher.close()


def test_closing_gives_the_signals_back(qtbot):
    before = {number: signal.getsignal(number) for number in QUIT_SIGNALS}
    watcher = QuitOnSignals(lambda: None)
    assert all(signal.getsignal(number) is not before[number] for number in QUIT_SIGNALS)
    watcher.close()
    assert {number: signal.getsignal(number) for number in QUIT_SIGNALS} == before
    assert signal.set_wakeup_fd(-1) == -1  # no wakeup descriptor left behind
