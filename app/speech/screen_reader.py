"""The user's screen reader: is one running, which one, can it speak announcements; NVDA's own channel.

- `detect_screen_reader()` decides the "Automatic" output setting and how results reach
  the screen reader. Windows: the SPI_GETSCREENREADER flag every Windows screen reader
  sets (NVDA, JAWS, Narrator all read UIA notifications, which Qt's announcements become).
  Linux: the AT-SPI bus's `org.a11y.Status.ScreenReaderEnabled` property (GNOME sets it when
  Orca is turned on), or an Orca process of this user (an Orca started by hand never sets
  the property); Orca's version says whether it handles AT-SPI announcement events, which
  Orca added in 46.0 (GNOME/orca commit 9b02b1c4, "Add listener for the new
  object:announcement event"). macOS: not detectable without private APIs, so "unknown".
- `NvdaController` talks to NVDA through its controller client library
  (nvdaControllerClient.dll, shipped beside the app by packaging/), so results are spoken
  by NVDA in the user's own voice and settings, and Stop silences NVDA too. Elsewhere,
  and when NVDA is not running, results reach screen readers as Qt accessibility
  announcements (app/ui/announcer.py).
No Qt here: the announcer and the speech link use these.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("visionpangu.speech")

SPI_GETSCREENREADER = 0x0046
A11Y_BUS, A11Y_PATH = "org.a11y.Bus", "/org/a11y/bus"
A11Y_STATUS = "org.a11y.Status"
DBUS_TIMEOUT_S = 0.5
NVDA_OK = 0
# NVDA's controller client: one library per process bitness (NVDA 2024+ names them both
# nvdaControllerClient.dll in x64/ and x86/ folders; older releases used these names).
NVDA_LIBRARIES = {64: ("nvdaControllerClient.dll", "nvdaControllerClient64.dll"),
                  32: ("nvdaControllerClient.dll", "nvdaControllerClient32.dll")}


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
            return ScreenReaderInfo(_windows_flag())
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


def _windows_flag() -> bool:
    flag = ctypes.c_int(0)
    user32 = ctypes.windll.user32  # type: ignore[attr-defined]
    if not user32.SystemParametersInfoW(SPI_GETSCREENREADER, 0, ctypes.byref(flag), 0):
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


class NvdaController:
    """NVDA's controller client. `library` is injected by tests (no Windows here)."""

    def __init__(self, library=None):
        self._library = library

    @classmethod
    def load(cls, folders: list[Path] | None = None) -> "NvdaController | None":
        """The client beside the app or in resources/nvda, or None (not Windows, not shipped)."""
        if sys.platform != "win32":
            return None
        bits = 64 if sys.maxsize > 2**32 else 32
        arch = "x64" if bits == 64 else "x86"
        search = folders if folders is not None else [Path(sys.executable).parent,
                                                      Path(__file__).resolve().parents[2] / "resources" / "nvda"]
        for folder in search:
            for name in NVDA_LIBRARIES[bits]:
                for path in (folder / arch / name, folder / name):
                    if path.is_file():
                        try:
                            return cls(ctypes.WinDLL(str(path)))  # type: ignore[attr-defined]
                        except OSError:
                            logger.warning("could not load %s", path, exc_info=True)
        return None

    def is_running(self) -> bool:
        try:
            return self._library.nvdaController_testIfRunning() == NVDA_OK
        except OSError:
            return False

    def speak(self, text: str) -> bool:
        """Queued after what NVDA is saying; False if NVDA did not take it."""
        try:
            return self._library.nvdaController_speakText(ctypes.c_wchar_p(text)) == NVDA_OK
        except OSError:
            return False

    def cancel(self) -> None:
        try:
            self._library.nvdaController_cancelSpeech()
        except OSError:
            pass
