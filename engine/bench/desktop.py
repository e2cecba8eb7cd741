"""A private X desktop for driving the real app: Xvfb on a display it picks, openbox, and xdotool.

Xvfb's -displayfd makes the server choose a free display number and write it once it accepts
connections, so the bench never races another X server on the machine. Every process started
here ends with stop(), and Xvfb also with the bench's process (Linux: PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
COMMAND_TIMEOUT_S = 30.0
SCREEN = "1920x1080x24"  # the bench's glance screen
# Openbox with no key or mouse bindings of its own, so that it can take none of the app's.
OPENBOX_CONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<openbox_config xmlns="http://openbox.org/3.4/rc">
  <focus><focusNew>yes</focusNew><followMouse>no</followMouse></focus>
  <keyboard></keyboard>
  <mouse></mouse>
</openbox_config>
"""
NEEDED_PROGRAMS = ("Xvfb", "xdotool", "xmessage")


def missing_programs() -> list[str]:
    return [name for name in NEEDED_PROGRAMS if not shutil.which(name)]


def _die_with_parent() -> None:
    """Linux: Xvfb ends when the process that started it does, even one that crashed before its clean-up ran."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGTERM)


def start_xvfb(screen: str, timeout_s: float = START_TIMEOUT_S) -> tuple[subprocess.Popen, str]:
    """A private X server with one screen of `screen` ("WIDTHxHEIGHTxDEPTH"): (process, display name).
    Also the tests' X server (tests/app/conftest.py)."""
    read_fd, write_fd = os.pipe()
    try:
        process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
    finally:
        os.close(write_fd)
    number = b""
    try:
        while not number.endswith(b"\n"):
            readable, _, _ = select.select([read_fd], [], [], timeout_s)
            if not readable:
                raise RuntimeError("Xvfb did not start")
            data = os.read(read_fd, 16)
            if not data:
                raise RuntimeError("Xvfb exited while starting")
            number += data
    except RuntimeError:
        process.kill()
        process.wait()
        raise
    finally:
        os.close(read_fd)
    return process, f":{number.decode().strip()}"


def stop_processes(processes: list[subprocess.Popen], timeout_s: float = STOP_TIMEOUT_S) -> None:
    """End them, last started first: all are asked at once, and one that does not end is killed; their pipes close."""
    for process in reversed(processes):
        if process.poll() is None:
            process.terminate()
    for process in reversed(processes):
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout_s)
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()


class Desktop:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.display = ""
        self._processes: list[subprocess.Popen] = []

    def start(self) -> Desktop:
        process, self.display = start_xvfb(SCREEN)
        self._processes.append(process)
        if shutil.which("openbox"):  # a window manager, as on a desktop; the app does not need one
            config = self.workdir / "openbox-rc.xml"
            config.write_text(OPENBOX_CONFIG)
            self.spawn(["openbox", "--sm-disable", "--config-file", str(config)], "openbox")
        return self

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key != "WAYLAND_DISPLAY"}
        return {**env, "DISPLAY": self.display, **(extra or {})}

    def spawn(self, args: list[str], name: str, env: dict[str, str] | None = None, **options) -> subprocess.Popen:
        with open(self.workdir / f"{name}.log", "ab") as log:
            process = subprocess.Popen(args, env=env or self.env(), stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=log, **options)
        self._processes.append(process)
        return process

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(["xdotool", *args], env=self.env(), capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT_S)
        if done.returncode != 0:
            raise RuntimeError(f"xdotool {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def window(self, name: str) -> str:
        """Wait for a visible window of this class name (WM_CLASS) and return its id."""
        return self.xdotool("search", "--sync", "--onlyvisible", "--classname", name).split()[0]

    def stop(self) -> None:
        stop_processes(self._processes)
        self._processes.clear()


def wait_until(condition, timeout_s: float, what: str, poll_s: float = 0.01):
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(poll_s)
