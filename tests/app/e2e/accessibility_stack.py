"""The Linux accessibility stack of a user's session, private to one test: D-Bus, AT-SPI, Speech Dispatcher, Orca.

- `AccessibilityStack.start()`: a session dbus-daemon and the real at-spi-bus-launcher
  (the accessibility bus and its registry), with `org.a11y.Status.IsEnabled` set as a
  desktop sets it when assistive technologies are on.
- `start_speech_dispatcher()`: the real speech-dispatcher, recording what it is asked to
  say as text and as speech (tests/app/speech/recording_speechd.py).
- `start_orca()`: the real Orca, started by hand as a user may (so `ScreenReaderEnabled`
  stays false), speaking through that speech-dispatcher.
- `tree()` and `EventRecorder`: tests/app/e2e/atspi_probe.py, an AT-SPI client run by the
  system Python (where pyatspi is), reads the app's accessible tree and records its events.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path

from resources import APP_NAME
from tests.app.e2e.desktop import Desktop, wait_for
from tests.app.hotkeys.dbus_helpers import PrivateBus
from tests.app.speech.recording_speechd import RecordingSpeechDispatcher
from tests.system_programs import require

BUS_LAUNCHER = Path("/usr/libexec/at-spi-bus-launcher")
SYSTEM_PYTHON = "/usr/bin/python3"
PROBE = Path(__file__).with_name("atspi_probe.py")
START_S = 30
class AccessibilityStack:
    def __init__(self, desktop: Desktop):
        self.desktop = desktop
        self.folder = desktop.tmp_path / "a11y"
        self.folder.mkdir()
        self.speech_dispatcher = RecordingSpeechDispatcher(self.folder)
        # dconf as on a desktop: at-spi-bus-launcher keeps IsEnabled in GSettings, and a set that dconf
        # cannot write is taken back
        self._bus = PrivateBus(self.folder, activatable=("ca.desrt.dconf",))

    def start(self) -> "AccessibilityStack":
        require("dbus-daemon", str(BUS_LAUNCHER), SYSTEM_PYTHON)
        probe = subprocess.run([SYSTEM_PYTHON, "-c", "import pyatspi"], capture_output=True)
        if probe.returncode != 0:
            require("python3-pyatspi (import pyatspi)")
        self._bus.start()
        self.desktop.env["DBUS_SESSION_BUS_ADDRESS"] = self._bus.address
        self.desktop.spawn([str(BUS_LAUNCHER), "--launch-immediately"])
        wait_for(lambda: self._a11y_call("GetAddress", "org.a11y.Bus") is not None, "the accessibility bus", START_S)
        self.set_enabled(True)
        return self

    def set_enabled(self, is_enabled: bool) -> None:
        """What a desktop does when assistive technologies are turned on or off; Qt's bridge follows it.

        Off also removes the bus address that at-spi-bus-launcher puts on the X root window:
        Qt connects through that property whatever IsEnabled says (for programs run as root,
        as tests are here), so while it is there the app is always heard.
        """
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        if not is_enabled:
            subprocess.run(["xprop", "-root", "-remove", "AT_SPI_BUS"], env=self.desktop.env, check=True, timeout=10)
        with open_dbus_connection(self._bus.address) as connection:
            address = DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus", interface="org.freedesktop.DBus.Properties")
            connection.send_and_get_reply(new_method_call(address, "Set", "ssv",
                                                          ("org.a11y.Status", "IsEnabled", ("b", is_enabled))))

    def _a11y_call(self, member: str, interface: str):
        from jeepney import DBusAddress, MessageType, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        with open_dbus_connection(self._bus.address) as connection:
            reply = connection.send_and_get_reply(new_method_call(
                DBusAddress("/org/a11y/bus", bus_name="org.a11y.Bus", interface=interface), member), timeout=2)
        return None if reply.header.message_type == MessageType.error else reply.body

    def start_speech_dispatcher(self) -> None:
        self.speech_dispatcher.start(self.desktop.spawn, self.desktop.env)
        self.desktop.env["SPEECHD_ADDRESS"] = self.speech_dispatcher.address

    def start_orca(self) -> None:
        require("orca")
        home = self.folder / "orca-home"
        home.mkdir()
        env = dict(self.desktop.env, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
                   XDG_DATA_HOME=str(home / ".local" / "share"), XDG_CACHE_HOME=str(home / ".cache"))
        self.desktop.spawn(["orca", "--replace", f"--debug-file={self.folder / 'orca-debug.txt'}"], env=env)
        wait_for(lambda: "Screen reader on" in self.spoken_text(), "Orca to say it is on", START_S)

    def spoken_text(self) -> str:
        return self.speech_dispatcher.text()

    def tree(self) -> list[dict]:
        done = subprocess.run([SYSTEM_PYTHON, str(PROBE), "tree", APP_NAME], env=self.desktop.env,
                              capture_output=True, text=True, timeout=START_S)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def record_events(self) -> "EventRecorder":
        return EventRecorder(self.desktop)

    def stop(self) -> None:
        self._bus.stop()


class EventRecorder:
    """The probe in `events` mode: every AT-SPI event of interest, as a screen reader receives it."""

    def __init__(self, desktop: Desktop):
        self._process = desktop.spawn([SYSTEM_PYTHON, str(PROBE), "events", APP_NAME], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE)
        self._lines: queue.Queue = queue.Queue()
        self.events: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()
        first = self._lines.get(timeout=START_S)
        assert first.get("type") == "ready", first

    def _read(self) -> None:
        for line in self._process.stdout:
            self._lines.put(json.loads(line))

    def collect(self) -> list[dict]:
        while not self._lines.empty():
            self.events.append(self._lines.get_nowait())
        return self.events

    def of_type(self, prefix: str) -> list[dict]:
        return [event for event in self.collect() if event["type"].startswith(prefix)]
