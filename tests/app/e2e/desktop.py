"""A user's desktop for end-to-end tests: the app as its own process on the test's Xvfb, read back over its socket.

`make_desktop` writes the app's settings file and environment (private config, data and
runtime folders, the tiny real model); `Desktop.spawn` starts programs in it and
`Desktop.stop` ends them all. What the app shows is read through its own status query,
the socket a second launch uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import mss
import numpy as np

from app.launch.instance import forward
from app.launch.instance_address import INSTANCE_ENV, socket_path

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"
WAIT_S = 180  # generous: CI machines may be busy with other work
WINDOW_TITLE = "VisionPangu Assistant"


def wait_for(condition, what: str, timeout: float = WAIT_S, poll_s: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(poll_s)


class Desktop:
    def __init__(self, display: str, env: dict, tmp_path: Path):
        self.display, self.env, self.tmp_path = display, env, tmp_path
        self.processes: list[subprocess.Popen] = []

    def spawn(self, args: list[str], **options) -> subprocess.Popen:
        log = open(self.tmp_path / f"{Path(args[1] if args[0] == sys.executable else args[0]).stem}.log", "ab")
        try:
            process = subprocess.Popen(args, env=options.pop("env", self.env), cwd=ROOT,
                                       stdout=options.pop("stdout", log), stderr=log, **options)
        finally:
            log.close()
        self.processes.append(process)
        return process

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=WAIT_S)
        assert done.returncode == 0, f"xdotool {args}: {done.stderr}"
        return done.stdout.strip()

    def forward(self, request: dict) -> dict | None:
        """`request` to the app on this desktop, through its socket, as a second launch sends it."""
        # Where app.launch.instance_address.server_name() puts the socket under the app's own environment (its
        # private XDG_RUNTIME_DIR), not this process's.
        path = socket_path(self.env[INSTANCE_ENV], self.env["XDG_RUNTIME_DIR"])
        return forward(request, str(path))

    def status(self) -> dict | None:
        return self.forward({"command": "status"})

    def grab(self, left: int, top: int, width: int, height: int) -> np.ndarray:
        with mss.MSS(display=self.display) as sct:
            shot = sct.grab({"left": left, "top": top, "width": width, "height": height})
            return np.frombuffer(shot.rgb, dtype=np.uint8).reshape(shot.height, shot.width, 3).copy()

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()


def make_desktop(display: str, model_dir: Path, tmp_path: Path, settings_ini: str, speech: str) -> Desktop:
    config = tmp_path / "app-config"
    config.mkdir()
    (config / "settings.ini").write_text(settings_ini, encoding="utf-8")
    # The real X11 global-shortcut backend grabs keys on this private Xvfb, as on a user's desktop.
    env = {key: value for key, value in os.environ.items()
           if key not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "VISIONPANGU_HOTKEYS", "DBUS_SESSION_BUS_ADDRESS",
                          "SPEECHD_ADDRESS")}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", VISIONPANGU_CONFIG_DIR=str(config),
               VISIONPANGU_DATA_DIR=str(tmp_path / "app-data"), VISIONPANGU_MODEL_DIR=str(model_dir),
               VISIONPANGU_SPEECH=speech, XDG_RUNTIME_DIR=str(tmp_path), PYTHONPATH=str(ROOT),
               VISIONPANGU_INSTANCE=os.environ["VISIONPANGU_INSTANCE"])
    os.chmod(tmp_path, 0o700)  # Qt wants a private runtime folder
    return Desktop(display, env, tmp_path)
