"""A private X server for one test: Xvfb on a display number it picks itself, and helpers.

Xvfb is started as the bench's desktop starts it (engine/bench/desktop.py: -displayfd, so tests never
race each other or a developer's own display). Every process started here is ended by stop(), even
when the test failed.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

from Xlib import display as xdisplay

from engine.bench import desktop

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 10.0
POLL_S = 0.02
SCREEN = "640x480x24"
GRAB_HELPER = Path(__file__).with_name("grab_helper.py")


def wait_until(condition, timeout_s: float, what: str):
    return desktop.wait_until(condition, timeout_s, what, POLL_S)


class XServer:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.display = ""
        self._processes: list[subprocess.Popen] = []

    # --- lifetime -------------------------------------------------------------------------
    def start(self) -> "XServer":
        process, self.display = desktop.start_xvfb(SCREEN, START_TIMEOUT_S)
        self._processes.append(process)
        return self

    def start_window_manager(self) -> None:
        """Openbox, so that _NET_ACTIVE_WINDOW and windowactivate work as on a desktop."""
        config = self.workdir / "openbox-rc.xml"
        config.write_text(desktop.OPENBOX_CONFIG)
        self.spawn(["openbox", "--sm-disable", "--config-file", str(config)], "openbox")
        wait_until(self._has_window_manager, START_TIMEOUT_S, "openbox to manage the screen")

    def stop(self) -> None:
        desktop.stop_processes(self._processes, STOP_TIMEOUT_S)
        self._processes.clear()

    def kill_server(self) -> None:
        """End Xvfb now, as when a desktop session crashes."""
        xvfb = self._processes[0]
        xvfb.kill()
        xvfb.wait(STOP_TIMEOUT_S)

    # --- processes on this display --------------------------------------------------------
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
        env["DISPLAY"] = self.display
        return env

    def spawn(self, args: list[str], name: str, **options) -> subprocess.Popen:
        return self._spawn(args, name, env=self.env(), **options)

    def _spawn(self, args, name, **options) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")
        try:
            process = subprocess.Popen(args, stdin=options.pop("stdin", subprocess.DEVNULL),
                                       stdout=options.pop("stdout", log), stderr=log, **options)
        finally:
            log.close()
        self._processes.append(process)
        return process

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(["xdotool", *args], env=self.env(), capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT_S)
        if done.returncode != 0:
            raise RuntimeError(f"xdotool {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def press(self, keys: str) -> None:
        self.xdotool("key", "--clearmodifiers", keys)

    def grab_in_other_program(self, keys: str) -> tuple[subprocess.Popen, str]:
        """Another X client grabs `keys` (as a desktop or another app would) and holds it.

        Returns the process and its verdict: "grabbed" or "busy".
        """
        process = self.spawn([sys.executable, str(GRAB_HELPER), self.display, keys], "grab-helper",
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        readable, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_S)
        verdict = process.stdout.readline().decode().strip() if readable else ""
        if verdict not in ("grabbed", "busy"):
            raise RuntimeError(f"grab helper said {verdict!r}; see {self.workdir / 'grab-helper.log'}")
        return process, verdict

    def release_other_program(self, process: subprocess.Popen) -> None:
        process.stdin.close()  # the helper exits at end of input; its grabs go with its connection
        process.wait(STOP_TIMEOUT_S)

    def _has_window_manager(self) -> bool:
        connection = xdisplay.Display(self.display)
        try:
            atom = connection.intern_atom("_NET_SUPPORTING_WM_CHECK")
            return connection.screen().root.get_full_property(atom, 0) is not None
        finally:
            connection.close()
