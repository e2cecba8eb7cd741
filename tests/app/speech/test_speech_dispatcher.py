"""The Speech Dispatcher channel against the real speech-dispatcher (its output recorded, not played)."""

from __future__ import annotations

import os
import subprocess
import threading

import pytest

from app.speech.speech_dispatcher import SpeechDispatcherChannel, escape_text, socket_path
from tests.app.speech.helpers import read_wav
from tests.app.speech.recording_speechd import RecordingSpeechDispatcher, wait_until
from tests.app.speech.test_real_speech import assert_is_speech


@pytest.fixture
def service(tmp_path):
    processes = []

    def spawn(args, env):
        log = open(tmp_path / "speech-dispatcher.log", "ab")
        processes.append(subprocess.Popen(args, env=env, stdout=log, stderr=log))
        log.close()
        return processes[-1]

    recorder = RecordingSpeechDispatcher(tmp_path)
    recorder.start(spawn, dict(os.environ))
    yield recorder
    for process in processes:
        process.terminate()
        process.wait(10)


def test_ssip_text_is_sent_as_lines_with_leading_dots_doubled():
    assert escape_text("One.\n.hidden\r\nlast") == b"One.\r\n..hidden\r\nlast\r\n"


def test_the_address_comes_from_speechd_address_then_the_runtime_folder():
    assert str(socket_path({"SPEECHD_ADDRESS": "unix_socket:/run/a.sock"})) == "/run/a.sock"
    assert socket_path({"SPEECHD_ADDRESS": "inet_socket:127.0.0.1:6560"}) is None  # never a network socket
    assert str(socket_path({"XDG_RUNTIME_DIR": "/run/user/7"})) == "/run/user/7/speech-dispatcher/speechd.sock"
    assert socket_path({}) is None


def test_text_reaches_the_users_speech_service_as_speech(service):
    undelivered = []
    channel = SpeechDispatcherChannel(undelivered.append, path=service.socket, should_spawn=False)
    try:
        channel.speak("A window titled Documents is open.")
        channel.speak(".profile is a file name that starts with a dot.")
        wait_until(lambda: "starts with a dot" in service.text(), "the second text")
    finally:
        channel.close()
    assert service.text().index("Documents is open") < service.text().index(".profile is a file")
    samples, rate = read_wav(service.wav_files()[0])
    assert_is_speech(samples, rate)
    assert not undelivered


def test_cancel_drops_what_is_queued_and_later_text_is_spoken(service):
    channel = SpeechDispatcherChannel(lambda text: None, path=service.socket, should_spawn=False)
    try:
        for number in range(30):
            channel.speak(f"Sentence number {number} of a long description that the user stopped.")
        channel.cancel()
        channel.speak("After the stop.")
        wait_until(lambda: "After the stop" in service.text(), "the text after the stop")
    finally:
        channel.close()
    spoken = service.text().count("of a long description")
    assert spoken < 30, "Stop silenced the rest"
    assert service.text().endswith("After the stop.")


def test_without_a_service_text_is_handed_back_at_once_for_the_apps_voice(tmp_path):
    undelivered, both = [], threading.Event()

    def on_undelivered(text):
        undelivered.append(text)
        if len(undelivered) == 2:
            both.set()

    channel = SpeechDispatcherChannel(on_undelivered, path=tmp_path / "missing.sock", should_spawn=False)
    channel.speak("First.")
    channel.speak("Second.")
    assert both.wait(5)
    channel.close()
    assert undelivered == ["First.", "Second."]
    assert channel.last_error
