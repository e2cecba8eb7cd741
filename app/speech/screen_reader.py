"""The user's screen reader: is one running, which one, can it speak announcements; NVDA's own channel.

- `detect_screen_reader()` decides the "Automatic" output setting and how results reach
  the screen reader. Windows: the SPI_GETSCREENREADER flag every Windows screen reader
  sets (NVDA, JAWS, Narrator all read UIA notifications, which Qt's announcements become).
  A screen reader that crashed leaves the flag set, so the flag counts only with a known
  screen reader's process running; set without one, the answer is "unknown" (both outputs),
  never "a screen reader runs", which would silence the app's voice for good.
  Linux: the AT-SPI bus's `org.a11y.Status.ScreenReaderEnabled` property (GNOME sets it when
  Orca is turned on), or an Orca process of this user (an Orca started by hand never sets
  the property); Orca's version says whether it handles AT-SPI announcement events, which
  Orca added in 46.0 (GNOME/orca commit 9b02b1c4, "Add listener for the new
  object:announcement event"). macOS: NSWorkspace's isVoiceOverEnabled (AppKit, public
  since macOS 10.13; pyobjc-framework-Cocoa); VoiceOver reads Qt's announcements.
- `NvdaController` talks to NVDA through its controller client library
  (nvdaControllerClient.dll, shipped beside the app by packaging/), so results are spoken
  by NVDA in the user's own voice and settings, and Stop silences NVDA too. Its calls are
  synchronous RPCs into NVDA, so they run on a thread of their own and the caller waits at
  most NVDA_CALL_TIMEOUT_S: a hung NVDA never freezes the window. Elsewhere,
  and when NVDA is not running, results reach screen readers as Qt accessibility
  announcements (app/ui/announcer.py).
No Qt here: the announcer and the speech link use these.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import queue
import re
import subprocess
import sys
import threading
from concurrent.futures import Future, TimeoutError as FutureTimeout
from ctypes import wintypes
from dataclasses import dataclass
from pathlib import Path

from app.platform.native_calls import Prototype, load_windows_library

logger = logging.getLogger("visionpangu.speech")

SPI_GETSCREENREADER = 0x0046
A11Y_BUS, A11Y_PATH = "org.a11y.Bus", "/org/a11y/bus"
A11Y_STATUS = "org.a11y.Status"
DBUS_TIMEOUT_S = 0.5
NVDA_OK = 0
# NVDA's controller client: one library per process architecture (NVDA 2024+ ships
# nvdaControllerClient.dll in x64/, x86/ and arm64/ folders; older releases used these names).
NVDA_LIBRARIES = {"x64": ("nvdaControllerClient.dll", "nvdaControllerClient64.dll"),
                  "x86": ("nvdaControllerClient.dll", "nvdaControllerClient32.dll"),
                  "arm64": ("nvdaControllerClient.dll",)}
ARM64_MACHINES = frozenset({"ARM64", "AARCH64"})  # platform.machine() of an ARM64 process (not x64 emulated)
NVDA_CALL_TIMEOUT_S = 0.5  # past this NVDA counts as hung, and the announcement goes through Qt instead
# Processes of the Windows screen readers that set SPI_GETSCREENREADER.
WINDOWS_SCREEN_READERS = {"nvda.exe": "NVDA", "jfw.exe": "JAWS", "narrator.exe": "Narrator"}
VOICEOVER = "VoiceOver"
# BOOL SystemParametersInfoW(UINT uiAction, UINT uiParam, PVOID pvParam, UINT fWinIni) (winuser.h)
USER32_PROTOTYPES = (Prototype("SystemParametersInfoW", wintypes.BOOL,
                               (wintypes.UINT, wintypes.UINT, ctypes.c_void_p, wintypes.UINT)),)


ORCA = "Orca"
ORCA_FIRST_WITH_ANNOUNCEMENTS = 46
VERSION_TIMEOUT_S = 3.0
_orca_versions: dict[tuple[int, float], str] = {}  # (pid, start time) -> "43.1": asked once per Orca process


@dataclass(frozen=True)
class ScreenReaderInfo:
    is_running: bool | None  # None: this platform cannot tell
    name: str = ""  # "Orca" where known
    version: str = ""
    reads_announcements: bool | None = None  # None: not known, so the platform's standard path is used

    def describe(self) -> str:
        """For logs and tests; the Settings dialog words it for users."""
        if self.is_running is None:
            return "unknown"
        if not self.is_running:
            return "none"
        return " ".join(part for part in (self.name or "a screen reader", self.version) if part)


def detect_screen_reader() -> ScreenReaderInfo:
    """What the platform says; a detection failure is "unknown" and never stops a description."""
    try:
        if sys.platform == "win32":
            return _windows_screen_reader()
        if sys.platform == "darwin":
            return _macos_screen_reader()
        if sys.platform.startswith("linux"):
            return _linux_screen_reader()
    except Exception:
        logger.warning("could not tell whether a screen reader runs", exc_info=True)
    return ScreenReaderInfo(None)


def _linux_screen_reader() -> ScreenReaderInfo:
    orca = _find_orca()
    if orca is not None:
        version = _orca_version(orca)
        major = re.match(r"(\d+)", version)
        reads = None if major is None else int(major.group(1)) >= ORCA_FIRST_WITH_ANNOUNCEMENTS
        return ScreenReaderInfo(True, ORCA, version, reads)
    return ScreenReaderInfo(_atspi_screen_reader_enabled())


def _find_orca():
    """This user's running Orca process (psutil.Process), or None."""
    import psutil

    uid = os.getuid()
    for process in psutil.process_iter(["name", "uids", "cmdline"]):
        info = process.info
        if info["uids"] is None or info["uids"].real != uid:
            continue
        if info["name"] == "orca" or any(Path(arg).name == "orca" for arg in (info["cmdline"] or [])[:2]):
            return process
    return None


def _orca_version(process) -> str:
    """`orca --version` of the running Orca's own program ("43.1"), "" if it cannot be asked."""
    import psutil

    try:
        key = (process.pid, process.create_time())
        if key in _orca_versions:
            return _orca_versions[key]
        command = process.cmdline()[:2]
        script = next((i for i, arg in enumerate(command) if Path(arg).name == "orca"), None)
        program = command[: script + 1] if script is not None else [process.exe()]
        done = subprocess.run([*program, "--version"], capture_output=True, text=True, timeout=VERSION_TIMEOUT_S,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired, psutil.Error):
        return ""
    found = re.search(r"(\d+(?:\.\d+)*)", done.stdout)
    _orca_versions[key] = found.group(1) if found else ""
    return _orca_versions[key]


def _macos_screen_reader() -> ScreenReaderInfo:
    try:
        from AppKit import NSWorkspace  # pyobjc-framework-Cocoa (comes with pyobjc-framework-Quartz)
    except ImportError:
        return ScreenReaderInfo(None)
    if NSWorkspace.sharedWorkspace().isVoiceOverEnabled():
        return ScreenReaderInfo(True, VOICEOVER, reads_announcements=True)
    return ScreenReaderInfo(False)


def _windows_screen_reader() -> ScreenReaderInfo:
    if not _windows_flag():
        return ScreenReaderInfo(False)
    name = _running_windows_screen_reader()
    return ScreenReaderInfo(True, name) if name else ScreenReaderInfo(None)  # a stale flag: both outputs


def _running_windows_screen_reader() -> str:
    """NVDA, JAWS or Narrator if one of their processes runs (for this or any user), else ""."""
    import psutil

    for process in psutil.process_iter(["name"]):
        name = WINDOWS_SCREEN_READERS.get((process.info["name"] or "").lower())
        if name:
            return name
    return ""


def load_user32():
    return load_windows_library("user32", USER32_PROTOTYPES)


def _windows_flag() -> bool:
    flag = wintypes.BOOL(0)
    if not load_user32().SystemParametersInfoW(SPI_GETSCREENREADER, 0, ctypes.byref(flag), 0):
        return False
    return bool(flag.value)


def _atspi_screen_reader_enabled() -> bool:
    """Orca sets this on the accessibility bus's status object; no session bus means no screen reader."""
    from jeepney import DBusAddress, MessageType, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    try:
        connection = open_dbus_connection("SESSION")
    except (OSError, KeyError, ValueError):  # no session bus at all (a bare X session, a container)
        return False
    try:
        address = DBusAddress(A11Y_PATH, bus_name=A11Y_BUS, interface="org.freedesktop.DBus.Properties")
        message = new_method_call(address, "Get", "ss", (A11Y_STATUS, "ScreenReaderEnabled"))
        reply = connection.send_and_get_reply(message, timeout=DBUS_TIMEOUT_S)
    except TimeoutError:
        return False
    finally:
        connection.close()
    if reply.header.message_type == MessageType.error:
        return False  # no accessibility bus: nothing that reads the screen is listening
    signature, value = reply.body[0]
    return signature == "b" and bool(value)


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
