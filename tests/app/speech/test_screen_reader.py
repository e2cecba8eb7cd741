"""Screen-reader detection (NVDA's controller client: test_nvda.py).

Linux detection runs for real: a private dbus-daemon with a stand-in for the AT-SPI bus's
status object (Orca itself needs a full desktop session). The Windows flag and VoiceOver
cannot exist here. MOCK: no macOS/Windows here: a compiled stand-in user32 exporting
SystemParametersInfoW with its documented prototype (so the app's ctypes declaration is what
writes the flag), and a fake AppKit NSWorkspace.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys
import threading
import time

import pytest

from app.speech import screen_reader
from app.speech.screen_reader import detect_screen_reader
from tests.app.native_stand_in import build_stand_in
from tests.system_programs import require


USER32_STAND_IN = """
static long flag = 0;
void stand_in_flag(long value) { flag = value; }
long SystemParametersInfoW(unsigned long action, unsigned long param, void *value, unsigned long ini) {
    if (action != 0x0046 || value == 0) return 0;  /* SPI_GETSCREENREADER writes a BOOL */
    *(long *)value = flag; return 1;
}
"""


@pytest.fixture(scope="module")
def user32(tmp_path_factory):
    library = build_stand_in(tmp_path_factory.mktemp("user32"), "user32", USER32_STAND_IN)
    library.stand_in_flag.argtypes = (ctypes.c_long,)
    return library


@pytest.mark.parametrize("flag, process, expected", [(True, "NVDA", (True, "NVDA")), (False, "", (False, "")),
                                                     (True, "", (None, ""))])
def test_windows_flag_counts_with_a_screen_reader_process_and_a_stale_one_never_silences_the_voice(
        monkeypatch, user32, flag, process, expected):
    from app.platform.native_calls import declare

    user32.stand_in_flag(int(flag))
    monkeypatch.setattr(screen_reader.sys, "platform", "win32")
    monkeypatch.setattr(screen_reader, "load_user32", lambda: declare(user32, screen_reader.USER32_PROTOTYPES))
    monkeypatch.setattr(screen_reader, "_running_windows_screen_reader", lambda: process)
    info = detect_screen_reader()
    assert (info.is_running, info.name) == expected  # (None: Automatic uses the voice and the reader)


class FakeWorkspace:
    """MOCK: AppKit's NSWorkspace.sharedWorkspace() (no macOS here)."""

    def __init__(self, is_voiceover_on: bool):
        self.is_voiceover_on = is_voiceover_on

    def isVoiceOverEnabled(self):
        return self.is_voiceover_on


@pytest.mark.parametrize("is_on", [True, False])
def test_macos_asks_whether_voiceover_is_on(monkeypatch, is_on):
    import types

    appkit = types.ModuleType("AppKit")
    appkit.NSWorkspace = types.SimpleNamespace(sharedWorkspace=lambda: FakeWorkspace(is_on))
    monkeypatch.setitem(sys.modules, "AppKit", appkit)
    monkeypatch.setattr(screen_reader.sys, "platform", "darwin")
    info = detect_screen_reader()
    if is_on:
        assert (info.is_running, info.name, info.reads_announcements) == (True, "VoiceOver", True)
    else:
        assert info.is_running is False


def test_macos_without_appkit_cannot_tell(monkeypatch):
    monkeypatch.setitem(sys.modules, "AppKit", None)  # import fails, as without pyobjc
    monkeypatch.setattr(screen_reader.sys, "platform", "darwin")
    assert detect_screen_reader().is_running is None


def _serve_a11y_status(address: str, enabled: bool, ready: threading.Event, stop: threading.Event) -> None:
    """Owns org.a11y.Bus on the private bus and answers Get(org.a11y.Status, ScreenReaderEnabled)."""
    from jeepney import HeaderFields, MessageType, new_error, new_method_return
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(address) as connection:
        connection.send_and_get_reply(message_bus.RequestName(screen_reader.A11Y_BUS))
        ready.set()
        while not stop.is_set():
            try:
                message = connection.receive(timeout=0.1)
            except TimeoutError:
                continue
            if message.header.message_type != MessageType.method_call:
                continue
            member = message.header.fields[HeaderFields.member]
            if member == "Get" and message.body == (screen_reader.A11Y_STATUS, "ScreenReaderEnabled"):
                connection.send(new_method_return(message, "v", (("b", enabled),)))
            else:
                connection.send(new_error(message, "org.freedesktop.DBus.Error.UnknownMethod"))


@pytest.fixture
def private_bus(tmp_path, monkeypatch):
    require("dbus-daemon", install="apt-get install dbus-daemon")
    from tests.app.hotkeys.dbus_helpers import PrivateBus

    bus = PrivateBus(tmp_path).start()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    monkeypatch.setattr(screen_reader.sys, "platform", "linux")
    monkeypatch.setattr(screen_reader, "_find_orca", lambda: None)  # the bus alone decides here (Orca: below)
    yield bus
    bus.stop()


@pytest.mark.parametrize("enabled", [True, False])
def test_linux_asks_the_accessibility_bus_whether_orca_runs(private_bus, enabled):
    ready, stop = threading.Event(), threading.Event()
    service = threading.Thread(target=_serve_a11y_status, args=(private_bus.address, enabled, ready, stop))
    service.start()
    try:
        assert ready.wait(5)
        assert detect_screen_reader().is_running is enabled
    finally:
        stop.set()
        service.join(5)


def test_linux_without_an_accessibility_bus_has_no_screen_reader(private_bus):
    assert detect_screen_reader().is_running is False  # the bus answers "no such name": nothing reads the screen


def test_linux_without_a_session_bus_has_no_screen_reader(monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setattr(screen_reader.sys, "platform", "linux")
    monkeypatch.setattr(screen_reader, "_find_orca", lambda: None)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent")
    assert detect_screen_reader().is_running is False


ORCA_STAND_IN = """#!{python}
import sys, time
if "--version" in sys.argv:
    print("{version}")
else:
    time.sleep(60)
"""


@pytest.mark.parametrize("version, reads", [("43.1", False), ("46.2", True), ("", None)])
def test_a_running_orca_is_found_by_its_process_and_its_version_says_whether_it_speaks_announcements(
        tmp_path, monkeypatch, version, reads):
    # A stand-in program named "orca" (the real Orca is started in tests/app/e2e/test_screen_readers.py):
    # the real process table is searched and the program itself is asked for its version.
    script = tmp_path / "orca"
    script.write_text(ORCA_STAND_IN.format(python=sys.executable, version=version), encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setattr(screen_reader.sys, "platform", "linux")
    monkeypatch.setattr(screen_reader, "_atspi_screen_reader_enabled", lambda: False)  # started by hand
    process = subprocess.Popen([str(script)])
    try:
        wait_for = time.monotonic() + 10
        while screen_reader._find_orca() is None:
            assert time.monotonic() < wait_for, "the orca process was not found"
            time.sleep(0.05)
        info = detect_screen_reader()
    finally:
        process.kill()
        process.wait()
    assert (info.is_running, info.name, info.version, info.reads_announcements) == (True, "Orca", version, reads)

