"""The user's screen reader: is one running, which one, can it speak announcements.

`detect_screen_reader()` decides the "Automatic" output setting and how results reach
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
No Qt here: the speech link and the Settings dialog use it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import subprocess
import sys
from ctypes import wintypes
from dataclasses import dataclass
from pathlib import Path

from app.platform.native_calls import Prototype, load_windows_library

logger = logging.getLogger("visionpangu.speech")

SPI_GETSCREENREADER = 0x0046
A11Y_BUS, A11Y_PATH = "org.a11y.Bus", "/org/a11y/bus"
A11Y_STATUS = "org.a11y.Status"
DBUS_TIMEOUT_S = 0.5
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
