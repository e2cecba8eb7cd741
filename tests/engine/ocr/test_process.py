"""The OCR process: a crash in it is one plain error and the next read starts a new one; a newer
read or a cancel stops the one in progress; its memory is reported."""

from __future__ import annotations

import os
import signal

import pytest

from engine.bench.text_screens import ui_screen
from engine.ocr.messages import LineRead, ReadDone, ReadFailed, Ready
from engine.ocr.process import DIED_MESSAGE, OcrClient
from engine.ocr.recall import words


@pytest.fixture()
def client():
    client = OcrClient(n_threads=1, is_background=True)
    client.start()
    assert isinstance(client.wait_ready(), Ready)
    yield client
    client.close()


def events_until_end(client, timeout=60):
    events = []
    while not isinstance(event := client.next_event(timeout), (ReadDone, ReadFailed)):
        assert event is not None, "no event"
        if not isinstance(event, Ready):  # a restarted OCR process says when it is ready
            events.append(event)
    return events, event


def test_a_crash_is_a_plain_error_and_the_next_read_works(client, latin_font):
    screen = ui_screen(900, 560, 14, seed=2)
    client.read(screen.image)
    assert isinstance(client.next_event(60), LineRead)
    os.kill(client.pid, signal.SIGSEGV)  # as a crash inside onnxruntime would end it
    _, end = events_until_end(client)
    assert end == ReadFailed(end.ticket, DIED_MESSAGE)
    client.read(screen.image)  # a fresh OCR process
    lines, end = events_until_end(client)
    assert isinstance(end, ReadDone) and len(lines) == len(screen.lines)


def test_a_newer_read_replaces_the_one_in_progress(client, latin_font):
    first, second = ui_screen(900, 560, 12, seed=3), ui_screen(640, 200, 16, seed=4)
    client.read(first.image)
    client.read(second.image)
    lines, end = events_until_end(client)
    assert isinstance(end, ReadDone) and not end.is_stopped
    assert [words(e.line.text) for e in lines] == [words(t) for t in second.lines]  # nothing of the first


def test_cancel_hands_out_nothing_more(client, latin_font):
    client.read(ui_screen(900, 560, 12, seed=5).image)
    assert isinstance(client.next_event(60), LineRead)
    client.cancel()
    assert client.next_event(1.0) is None


def test_peak_memory_is_reported(client, latin_font):
    client.read(ui_screen(1920, 1080, 12, seed=6).image)
    _, end = events_until_end(client)
    assert 50e6 < end.peak_rss_bytes < 1.5e9
    print(f"OCR process peak RSS after a 1920x1080 read: {end.peak_rss_bytes / 1e6:.0f} MB")


def test_once_the_glance_is_done_the_planner_waits_only_a_little_for_the_text(client, latin_font, monkeypatch):
    import threading
    import time

    from engine.ocr import grounding

    screen = ui_screen(1366, 768, 12, seed=7)
    monkeypatch.setattr(grounding, "AFTER_GLANCE_WAIT_S", 0.2)
    done = threading.Event()
    done.set()
    start = time.monotonic()
    assert grounding.read_whole(client, screen.image, done) is None  # given up: the close-ups go on edges alone
    assert time.monotonic() - start < 1.5
    lines = grounding.read_whole(client, screen.image)  # the reader is free again, and nothing of the other read comes
    assert [words(line.text) for line in lines] == [words(t) for t in screen.lines]


def test_a_stopped_request_stops_the_planners_read_at_once(client, latin_font):
    import threading
    import time

    from engine.ocr import grounding

    screen = ui_screen(1920, 1080, 12, seed=8)
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()  # the user pressed Stop while the text was read
    start = time.monotonic()
    assert grounding.read_whole(client, screen.image, stop=stop) is None
    assert time.monotonic() - start < 0.5 + 2 * grounding.POLL_S
    assert client.next_event(1.0) is None  # cancelled in the OCR process: nothing more of it comes


def test_the_reported_peak_is_the_readers_own_not_its_parents(latin_font):
    """A reader spawned by a process that holds a model (the bench's llama.cpp path, the app's GUI)
    reports its own memory: ru_maxrss on Linux would start from the parent's at the fork."""
    held = bytearray(1024**3)  # the parent holds 1 GiB, resident
    held[::4096] = b"\x01" * len(held[::4096])
    client = OcrClient(n_threads=1)
    client.start()
    try:
        assert isinstance(client.wait_ready(), Ready)
        client.read(ui_screen(640, 200, 16, seed=5).image)
        _, end = events_until_end(client)
    finally:
        client.close()
        del held
    assert isinstance(end, ReadDone) and 50e6 < end.peak_rss_bytes < 1024**3
