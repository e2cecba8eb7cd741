"""The engine thread with the real worker process and the tiny real model (random weights).

Signals are checked in strict order; a dead or frozen worker becomes one plain error
and a fresh worker; closing the bridge ends the worker process.
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import psutil
import pytest

from app.describe.engine_bridge import EngineBridge
from engine.conversation import Conversation
from engine.model_files import find_model_pair

LOAD_MS = 180000  # generous: CI machines may be busy with other work
REQUEST_MS = 180000


@pytest.fixture
def bridge(qtbot, model_dir):
    made = []

    def make(**options) -> EngineBridge:
        engine = EngineBridge(find_model_pair(model_dir), **options)
        made.append(engine)
        with qtbot.waitSignals([engine.loading, engine.loaded], order="strict", timeout=LOAD_MS):
            engine.start()
        return engine

    yield make
    for engine in made:
        engine.close()


def _image(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (96, 128, 3), dtype=np.uint8)


def test_a_description_streams_then_a_follow_up_uses_the_same_conversation(qtbot, bridge):
    engine = bridge()
    events = []
    engine.chunk.connect(lambda ticket, text: events.append(("chunk", ticket, text)))
    engine.done.connect(lambda ticket, data: events.append(("done", ticket, data)))
    conversation = Conversation(_image(), "brief", None)
    with qtbot.waitSignal(engine.done, timeout=REQUEST_MS):
        engine.describe(1, conversation)
    assert conversation.turns == []  # the engine thread had a snapshot: only the caller records
    conversation.record(events[-1][2])
    # chunk, chunk, ..., done: the order a screen reader hears them in
    assert [e[0] for e in events] == ["chunk"] * (len(events) - 1) + ["done"] and len(events) > 1
    done = events[-1][1:]
    assert done[0] == 1 and done[1].text == "".join(e[2] for e in events[:-1])
    assert done[1].text  # gibberish from random weights, but real generated text
    with qtbot.waitSignal(engine.done, timeout=REQUEST_MS, check_params_cb=lambda t, d: t == 2):
        engine.ask(2, conversation, "What colour is it?")
    conversation.record(events[-1][2])
    assert [turn["role"] for turn in conversation.turns] == ["assistant", "user", "assistant"]


def test_a_new_request_replaces_the_one_in_flight(qtbot, bridge):
    engine = bridge()
    seen = []
    engine.chunk.connect(lambda ticket, _: seen.append(ticket))
    engine.done.connect(lambda ticket, _: seen.append(("done", ticket)))
    engine.describe(1, Conversation(_image(1), "detailed", None))
    with qtbot.waitSignal(engine.done, timeout=REQUEST_MS, check_params_cb=lambda t, d: t == 2):
        engine.describe(2, Conversation(_image(2), "brief", None))
    assert ("done", 1) not in seen  # the replaced request never finishes


def test_cancel_stops_the_request(qtbot, bridge):
    engine = bridge()
    chunks = []
    engine.chunk.connect(lambda ticket, text: chunks.append(text))
    engine.describe(5, Conversation(_image(), "detailed", None))
    qtbot.waitUntil(lambda: bool(chunks), timeout=REQUEST_MS)  # generating now
    with qtbot.waitSignal(engine.cancelled, timeout=REQUEST_MS) as blocker:
        engine.cancel()
    assert blocker.args == [5]


def test_a_killed_worker_is_reported_and_a_new_one_loads(qtbot, bridge):
    engine = bridge()
    first_pid = engine.worker_pid
    failures = []
    engine.failed.connect(lambda *args: failures.append(args))
    os.kill(first_pid, signal.SIGKILL)
    with qtbot.waitSignals([engine.failed, engine.loading, engine.loaded], order="strict", timeout=LOAD_MS):
        pass
    ((ticket, kind, message),) = failures
    assert (ticket, kind) == (0, "worker_died") and "stopped unexpectedly" in message
    assert engine.worker_pid not in (None, first_pid)
    with qtbot.waitSignal(engine.done, timeout=REQUEST_MS):
        engine.describe(9, Conversation(_image(), "brief", None))


def test_a_frozen_worker_is_detected_as_hung(qtbot, bridge):
    engine = bridge(hang_timeout=1.5)
    frozen = engine.worker_pid
    engine.describe(3, Conversation(_image(), "detailed", None))
    os.kill(frozen, signal.SIGSTOP)  # stopped: no tokens, no heartbeats
    try:
        with qtbot.waitSignal(engine.failed, timeout=REQUEST_MS) as blocker:
            pass
        assert blocker.args[0] == 3 and blocker.args[1] == "worker_hung"
        with qtbot.waitSignal(engine.loaded, timeout=LOAD_MS):
            pass
    finally:
        if psutil.pid_exists(frozen):
            os.kill(frozen, signal.SIGKILL)


def test_closing_ends_the_worker_process(qtbot, bridge):
    engine = bridge()
    pid = engine.worker_pid
    engine.close()
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert not engine.isRunning()


def test_a_model_that_fails_to_load_is_reported_not_restarted(qtbot, model_dir, tmp_path):
    from dataclasses import replace

    # The pair was valid when checked, then its file went away (an unplugged drive, a deleted folder).
    engine = EngineBridge(replace(find_model_pair(model_dir), model_path=tmp_path / "gone.gguf"))
    loads = []
    engine.loading.connect(lambda: loads.append(1))
    try:
        with qtbot.waitSignal(engine.load_failed, timeout=LOAD_MS) as blocker:
            engine.start()
        assert blocker.args[0].startswith("The model could not be loaded")
        qtbot.wait(500)
        assert loads == [1]  # no restart loop
    finally:
        engine.close()


def test_the_engine_runs_on_the_device_chosen_and_says_so(qtbot, model_dir):
    """The real CPU path; whether a GPU would be used is engine/device.py's (tests/engine/test_device.py)."""
    engine = EngineBridge(find_model_pair(model_dir), device="cpu")
    try:
        with qtbot.waitSignal(engine.loaded, timeout=LOAD_MS) as loaded:
            engine.start()
        assert loaded.args[0].device == "cpu" and "CPU only" in loaded.args[0].device_reason
    finally:
        engine.close()
