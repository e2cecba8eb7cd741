"""The user's screen reader: is one running, and NVDA's own speech channel on Windows.

- `is_screen_reader_running()` decides the "Automatic" output setting. Windows: the
  SPI_GETSCREENREADER flag every Windows screen reader sets (NVDA, JAWS, Narrator). Linux:
  the AT-SPI bus's `org.a11y.Status.ScreenReaderEnabled` property, which Orca sets. macOS:
  not detectable without private APIs, so None ("unknown"), and Automatic uses our voice.
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
import sys
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


def is_screen_reader_running() -> bool | None:
    """True or False where the platform says; None where it cannot be known."""
    try:
        if sys.platform == "win32":
            return _windows_flag()
        if sys.platform.startswith("linux"):
            return _atspi_screen_reader_enabled()
    except Exception:  # a detection failure must never stop a description
        logger.warning("could not tell whether a screen reader runs", exc_info=True)
        return None
    return None


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
