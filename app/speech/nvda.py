"""NVDA's own channel: results spoken by NVDA through its controller client library.

`NvdaController` talks to NVDA through nvdaControllerClient.dll (shipped beside the app by
packaging/), so results are spoken by NVDA in the user's own voice and settings, and Stop
silences NVDA too. Its calls are synchronous RPCs into NVDA, so they run on a thread of their
own and the caller waits at most NVDA_CALL_TIMEOUT_S: a hung NVDA never freezes the window.
Elsewhere, and when NVDA is not running, results reach screen readers as Qt accessibility
announcements (app/ui/announcer.py). No Qt here: the announcer uses it.
"""

from __future__ import annotations

import ctypes
import logging
import platform
import queue
import sys
import threading
from concurrent.futures import Future, TimeoutError as FutureTimeout
from pathlib import Path

logger = logging.getLogger("visionpangu.speech")

NVDA_OK = 0
# NVDA's controller client: one library per process architecture (NVDA 2024+ ships
# nvdaControllerClient.dll in x64/, x86/ and arm64/ folders; older releases used these names).
NVDA_LIBRARIES = {"x64": ("nvdaControllerClient.dll", "nvdaControllerClient64.dll"),
                  "x86": ("nvdaControllerClient.dll", "nvdaControllerClient32.dll"),
                  "arm64": ("nvdaControllerClient.dll",)}
ARM64_MACHINES = frozenset({"ARM64", "AARCH64"})  # platform.machine() of an ARM64 process (not x64 emulated)
NVDA_CALL_TIMEOUT_S = 0.5  # past this NVDA counts as hung, and the announcement goes through Qt instead


def nvda_architecture(machine: str | None = None, is_64bit: bool | None = None) -> str:
    """The controller client folder for this process: arm64, x64 or x86."""
    machine = (machine if machine is not None else platform.machine()).upper()
    if machine in ARM64_MACHINES:
        return "arm64"
    is_64bit = is_64bit if is_64bit is not None else sys.maxsize > 2**32
    return "x64" if is_64bit else "x86"


def find_nvda_client(folders: list[Path], architecture: str) -> list[Path]:
    """Candidate client libraries, best first: the architecture's folder, then beside it."""
    return [path for folder in folders for name in NVDA_LIBRARIES[architecture]
            for path in (folder / architecture / name, folder / name) if path.is_file()]


class NvdaController:
    """NVDA's controller client. `library` is injected by tests (no Windows here).

    Every call runs on one daemon thread; a caller waits at most NVDA_CALL_TIMEOUT_S. While a
    call is stuck (NVDA hung), NVDA counts as not running, so nothing more queues behind it.
    """

    def __init__(self, library=None, call_timeout_s: float = NVDA_CALL_TIMEOUT_S):
        self._library = library
        self._timeout_s = call_timeout_s
        self._calls: queue.SimpleQueue = queue.SimpleQueue()
        self._stuck: Future | None = None
        self._thread = threading.Thread(target=self._serve, name="nvda-client", daemon=True)
        self._thread.start()

    @classmethod
    def load(cls, folders: list[Path] | None = None) -> "NvdaController | None":
        """The client beside the app or in resources/nvda, or None (not Windows, not shipped)."""
        if sys.platform != "win32":
            return None
        search = folders if folders is not None else [Path(sys.executable).parent,
                                                      Path(__file__).resolve().parents[2] / "resources" / "nvda"]
        for path in find_nvda_client(search, nvda_architecture()):
            try:
                return cls(ctypes.WinDLL(str(path)))  # type: ignore[attr-defined]
            except OSError:
                logger.warning("could not load %s", path, exc_info=True)
        return None

    def _serve(self) -> None:
        while True:
            function, args, future = self._calls.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(function(*args))
                except BaseException as error:  # handed to the caller, who treats it as "not taken"
                    future.set_exception(error)

    def _call(self, name: str, *args) -> int | None:
        """The function's result, or None if NVDA failed, is hung, or did not answer in time."""
        if self._stuck is not None:
            if not self._stuck.done():
                return None
            self._stuck = None
        future: Future = Future()
        self._calls.put((getattr(self._library, name), args, future))
        try:
            return future.result(timeout=self._timeout_s)
        except FutureTimeout:
            logger.warning("NVDA did not answer %s within %s s", name, self._timeout_s)
            self._stuck = future
        except OSError:
            pass
        return None

    def is_running(self) -> bool:
        return self._call("nvdaController_testIfRunning") == NVDA_OK

    def speak(self, text: str) -> bool:
        """Queued after what NVDA is saying; False if NVDA did not take it."""
        return self._call("nvdaController_speakText", ctypes.c_wchar_p(text)) == NVDA_OK

    def cancel(self) -> None:
        self._call("nvdaController_cancelSpeech")
