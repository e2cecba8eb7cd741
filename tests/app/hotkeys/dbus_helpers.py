"""A private dbus-daemon and the stand-in portals on it (portal_stand_in.py); all ended by stop()."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
from pathlib import Path

from engine.bench.desktop import stop_processes

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
LINE_TIMEOUT_S = 5.0
ROOT = Path(__file__).resolve().parents[3]  # the stand-ins run as modules of the tests package
# A session bus that starts by D-Bus activation only the services a test names (their .service files
# copied from the system's folder into one of its own), so a test that says "no portal" gets none even
# where xdg-desktop-portal is installed (the standard session.conf would start it).
SYSTEM_SERVICES = Path("/usr/share/dbus-1/services")
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def read_line(stream, timeout_s: float = LINE_TIMEOUT_S) -> str:
    readable, _, _ = select.select([stream], [], [], timeout_s)
    if not readable:
        raise TimeoutError(f"no output within {timeout_s} s")
    return stream.readline().decode().strip()


class PrivateBus:
    def __init__(self, workdir: Path, activatable: tuple[str, ...] = ()):
        """`activatable`: the bus names D-Bus may start on demand, as a desktop's bus does (e.g. dconf's)."""
        self.workdir = workdir
        self.activatable = activatable
        self.address = ""
        self._processes: list[subprocess.Popen] = []

    def start(self) -> "PrivateBus":
        services = self.workdir / "bus-services"
        services.mkdir(exist_ok=True)
        for name in self.activatable:
            shutil.copyfile(SYSTEM_SERVICES / f"{name}.service", services / f"{name}.service")
        config = self.workdir / "bus.conf"
        config.write_text(BUS_CONFIG.format(socket=self.workdir / "bus", services=services))
        daemon = self._spawn(["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile", "--print-address=1"],
                             "dbus-daemon", os.environ)
        self.address = read_line(daemon.stdout, START_TIMEOUT_S)
        if not self.address:
            self.stop()
            raise RuntimeError(f"dbus-daemon did not start; see {self.workdir / 'dbus-daemon.log'}")
        return self

    def start_portal(self, mode: str = "accept") -> subprocess.Popen:
        """The GlobalShortcuts stand-in (fake_portal.py)."""
        return self.start_stand_in("tests.app.hotkeys.fake_portal", mode)

    def start_stand_in(self, module: str, *args: str) -> subprocess.Popen:
        """`python -m module args` on this bus; returns once it says "ready" (its log: <module's name>.log)."""
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.address, PYTHONPATH=str(ROOT))
        name = module.rsplit(".", 1)[-1]
        stand_in = self._spawn([sys.executable, "-m", module, *args], name, env, stdin=subprocess.PIPE)
        line = read_line(stand_in.stdout, START_TIMEOUT_S)
        if line != "ready":
            raise RuntimeError(f"{name} said {line!r}; see {self.workdir / f'{name}.log'}")
        return stand_in

    def stop(self) -> None:
        stop_processes(self._processes, STOP_TIMEOUT_S)
        self._processes.clear()

    def _spawn(self, args, name, env, stdin=subprocess.DEVNULL) -> subprocess.Popen:
        with open(self.workdir / f"{name}.log", "ab") as log:
            # Unbuffered: select() then readline() must not leave later lines in a buffer.
            process = subprocess.Popen(args, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=log, bufsize=0)
        self._processes.append(process)
        return process


def tell(portal: subprocess.Popen, command: str) -> None:
    portal.stdin.write((command + "\n").encode())
    portal.stdin.flush()
