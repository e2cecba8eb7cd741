"""NVDA's controller client: speaking, cancelling, where the library is found, a hung NVDA.

MOCK: no Windows here: a fake controller-client library with NVDA's three functions (one that
can hang, as a hung NVDA does).
"""

from __future__ import annotations

import threading
import time

from app.speech.nvda import NvdaController, find_nvda_client, nvda_architecture


class FakeNvdaLibrary:
    """Mock of nvdaControllerClient.dll (Windows only): records what NVDA was asked to do."""

    def __init__(self, running: bool = True):
        self.running = running
        self.spoken: list[str] = []
        self.cancels = 0
        self.threads: set[int] = set()
        self.hang = threading.Event()  # set: NVDA hangs in speakText until `release` is set
        self.release = threading.Event()

    def nvdaController_testIfRunning(self) -> int:
        return 0 if self.running else 1717  # RPC_S_UNKNOWN_IF, what the client returns without NVDA

    def nvdaController_speakText(self, text) -> int:
        self.threads.add(threading.get_ident())
        if self.hang.is_set():
            self.release.wait(10)
        if not self.running:
            return 1717
        self.spoken.append(text.value)
        return 0

    def nvdaController_cancelSpeech(self) -> int:
        self.cancels += 1
        return 0


def test_nvda_controller_speaks_and_cancels_through_the_client_library():
    library = FakeNvdaLibrary()
    nvda = NvdaController(library)
    assert nvda.is_running()
    assert nvda.speak("A dialog with two buttons.")
    nvda.cancel()
    assert library.spoken == ["A dialog with two buttons."] and library.cancels == 1
    library.running = False
    assert not nvda.is_running() and not nvda.speak("Lost.")


def test_nvda_client_is_not_looked_for_off_windows(tmp_path):
    (tmp_path / "nvdaControllerClient.dll").write_bytes(b"MZ")
    assert NvdaController.load([tmp_path]) is None  # this machine is Linux


def test_announcer_sends_results_to_nvda_when_it_runs_and_to_qt_otherwise(qapp):
    from PySide6.QtCore import QObject

    from app.ui.announcer import Announcer

    library = FakeNvdaLibrary()
    heard = []
    announcer = Announcer(QObject(), nvda=NvdaController(library))
    announcer.announced.connect(lambda text, assertive: heard.append((text, assertive)))
    announcer.announce("First sentence.")
    announcer.announce("Something failed.", is_assertive=True)  # interrupts what NVDA was saying
    announcer.cancel()
    assert library.spoken == ["First sentence.", "Something failed."] and library.cancels == 2
    library.running = False
    announcer.announce("Through Qt now.")  # NVDA quit: the Qt accessibility event carries it
    assert library.spoken == ["First sentence.", "Something failed."]
    assert heard[-1] == ("Through Qt now.", False)


def test_the_nvda_client_folder_follows_the_process_architecture(tmp_path):
    assert nvda_architecture("ARM64", True) == "arm64"
    assert nvda_architecture("AMD64", True) == "x64" and nvda_architecture("x86", False) == "x86"
    for arch in ("x64", "arm64"):
        (tmp_path / arch).mkdir()
        (tmp_path / arch / "nvdaControllerClient.dll").write_bytes(b"MZ")
    assert find_nvda_client([tmp_path], "arm64") == [tmp_path / "arm64" / "nvdaControllerClient.dll"]
    assert find_nvda_client([tmp_path], "x86") == []


def test_nvda_calls_run_off_the_callers_thread_and_a_hung_nvda_does_not_freeze_it():
    library = FakeNvdaLibrary()
    nvda = NvdaController(library, call_timeout_s=0.2)
    assert nvda.speak("First.") and threading.get_ident() not in library.threads
    library.hang.set()
    started = time.monotonic()
    assert nvda.speak("NVDA hangs now.") is False  # given up after the timeout
    assert nvda.is_running() is False and not nvda.speak("Not queued behind the hung call.")
    assert time.monotonic() - started < 1.0
    library.hang.clear()
    library.release.set()  # NVDA recovers
    deadline = time.monotonic() + 5
    while not nvda.is_running():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert nvda.speak("Back.") and library.spoken == ["First.", "NVDA hangs now.", "Back."]
