"""A real Wayland desktop for end-to-end tests: sway, its screenshot portal, and a private session bus.

sway runs headless (wlroots' headless back end, drawn in software by pixman) on a private
Wayland socket; the portal chain is the real one a sway user has: xdg-desktop-portal (the
frontend apps call), xdg-desktop-portal-wlr (its Screenshot, which runs grim), xdg-desktop-portal-gtk
(the Access part the frontend needs before it offers Screenshot) and PipeWire (which the wlr part
needs to start at all), all on a private D-Bus session bus. sway refuses to run as root
("Unable to drop root"), so as root it runs as the user nobody, in a folder of its own.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from engine.bench.desktop import stop_processes
from tests.app.hotkeys.dbus_helpers import PrivateBus

PROGRAMS = {"sway": "sway", "grim": "grim", "pipewire": "pipewire-bin", "setpriv": "util-linux"}  # name: its package
PORTAL_PARTS = ("/usr/libexec/xdg-desktop-portal-wlr", "/usr/libexec/xdg-desktop-portal-gtk")
PORTAL = "/usr/libexec/xdg-desktop-portal"  # the packages are named as the programs
PORTAL_PART_NAMES = ("org.freedesktop.impl.portal.desktop.wlr", "org.freedesktop.impl.portal.desktop.gtk")
SCREEN = (1280, 800)
START_TIMEOUT_S = 30.0
SWAY_CONFIG = f"output HEADLESS-1 resolution {SCREEN[0]}x{SCREEN[1]}\n"
UNPRIVILEGED = "nobody"


def missing_programs() -> list[str]:
    """The Debian packages of what is missing (.ci/run installs them)."""
    missing = [package for name, package in PROGRAMS.items() if not shutil.which(name)]
    missing += [Path(path).name for path in (*PORTAL_PARTS, PORTAL) if not os.path.exists(path)]
    return missing


def _wait(condition, what: str):
    deadline = time.monotonic() + START_TIMEOUT_S
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not start within {START_TIMEOUT_S:.0f} s")
        time.sleep(0.1)
    return value


class WaylandDesktop:
    def __init__(self, folder: Path):
        self.folder = folder
        self.runtime = folder / "run"  # the session's XDG_RUNTIME_DIR (PipeWire's socket, the app's)
        self.runtime.mkdir(mode=0o700)
        self.bus = PrivateBus(folder)
        self.compositor: subprocess.Popen | None = None
        self.socket = ""  # the Wayland display: an absolute socket path, for WAYLAND_DISPLAY
        self._processes: list[subprocess.Popen] = []
        # sway's own folder: outside pytest's root-only temporary tree, so that nobody can enter it
        self._sway_home = Path(tempfile.mkdtemp(prefix="vp-sway-"))

    def start(self) -> "WaylandDesktop":
        self._start_sway()
        self.bus.start()  # a bus that starts nothing by itself: each part is started here, in order
        self.spawn(["pipewire"], "pipewire")
        _wait(lambda: (self.runtime / "pipewire-0").exists(), "PipeWire")  # the wlr part ends without it
        for program in PORTAL_PARTS:
            self.spawn([program], Path(program).name)
        for name in PORTAL_PART_NAMES:
            _wait(lambda: self._has_owner(name), name)
        self.spawn([PORTAL, "--verbose"], "xdg-desktop-portal")
        _wait(self._offers_screenshot, "xdg-desktop-portal's Screenshot")
        return self

    def session(self) -> dict[str, str]:
        """What a program's environment says in this session: a Wayland desktop and its bus."""
        return {"WAYLAND_DISPLAY": self.socket, "XDG_SESSION_TYPE": "wayland", "XDG_CURRENT_DESKTOP": "sway",
                "XDG_RUNTIME_DIR": str(self.runtime), "DBUS_SESSION_BUS_ADDRESS": self.bus.address}

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """`base` (this process's environment) in this session, with no X display."""
        env = {key: value for key, value in (base or os.environ).items() if key not in ("DISPLAY", "QT_QPA_PLATFORM")}
        return {**env, **self.session()}

    def spawn(self, args: list[str], name: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        with open(self.folder / f"{name}.log", "ab") as log:
            process = subprocess.Popen(args, env=env or self.env(), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self._processes.append(process)
        return process

    def kill_compositor(self) -> None:
        """sway gone at once, as when a desktop session crashes."""
        self.compositor.kill()
        self.compositor.wait(10)

    def stop(self) -> None:
        stop_processes(self._processes)
        self._processes.clear()
        if self.compositor is not None:
            stop_processes([self.compositor])
        self.bus.stop()
        shutil.rmtree(self._sway_home, ignore_errors=True)

    def _start_sway(self) -> None:
        home = self._sway_home
        (home / "config").write_text(SWAY_CONFIG)
        env = {"HOME": str(home), "XDG_RUNTIME_DIR": str(home), "PATH": os.environ.get("PATH", ""),
               "WLR_BACKENDS": "headless", "WLR_RENDERER": "pixman", "WLR_LIBINPUT_NO_DEVICES": "1"}
        command = ["sway", "--config", str(home / "config")]
        if os.getuid() == 0:
            user = pwd.getpwnam(UNPRIVILEGED)
            for path in (home, home / "config"):
                os.chown(path, user.pw_uid, user.pw_gid)
            command = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", *command]
        with open(self.folder / "sway.log", "ab") as log:
            self.compositor = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        socket = _wait(lambda: next((p for p in home.glob("wayland-*") if not p.name.endswith(".lock")), None)
                       if self.compositor.poll() is None else self._sway_failed(), "sway")
        self.socket = str(socket)

    def _sway_failed(self):
        raise RuntimeError(f"sway ended at start; see {self.folder / 'sway.log'}")

    def _has_owner(self, name: str) -> bool:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        with open_dbus_connection(self.bus.address) as connection:
            return bool(connection.send_and_get_reply(message_bus.NameHasOwner(name), timeout=5).body[0])

    def _offers_screenshot(self) -> bool:
        from jeepney import DBusAddress, MessageType, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        with open_dbus_connection(self.bus.address) as connection:
            address = DBusAddress("/org/freedesktop/portal/desktop", bus_name="org.freedesktop.portal.Desktop",
                                  interface="org.freedesktop.DBus.Properties")
            reply = connection.send_and_get_reply(
                new_method_call(address, "Get", "ss", ("org.freedesktop.portal.Screenshot", "version")), timeout=5)
            return reply.header.message_type == MessageType.method_return
