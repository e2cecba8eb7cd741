"""End to end: the real app, quit many times in a row in each way a user's session ends it (issue 22).

Each run is a user's desktop of its own: a private Xvfb with the Openbox window manager, a
system tray (tray_host.py, a real one speaking the System Tray Protocol) and `python
main.py` with the tiny real model in its worker. The app is quit by SIGTERM (a logout or
shutdown), SIGINT (Ctrl+C in a terminal), SIGHUP (its terminal closed), Quit in the
Describe menu, Quit in the tray icon's menu, a logout (the desktop's session monitor, through
xdg-desktop-portal, says query-end and then ending) and the X server going away under it (a
session ending with no monitor). Every time it must end with exit code 0, no fault output, its
worker gone, and what the user did on disk: the first run of each way describes an image
with history saving on and changes the detail level, which must be there after the quit.
Before the fix, about one quit by SIGTERM in two to four was a segmentation fault, and a lost
display ended the app with Qt's exit(1). The logout runs on a private session bus with a
stand-in for the portal and the session manager behind it (tests/app/launch/session_portal.py).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.app.conftest import require_xvfb
from tests.app.e2e.desktop import WINDOW_TITLE, make_desktop, wait_for
from tests.app.helpers import noise, write_png
from tests.app.hotkeys.dbus_helpers import PrivateBus, read_line, tell
from tests.app.hotkeys.xserver import XServer
from tests.app.launch.session_portal import ENDING, QUERY_END
from tests.system_programs import require

RUNS_PER_WAY = 5
# Seconds idle after the model is ready, per run (None: quit while it is still loading). The
# crash came from a poll that runs every 300 ms, so the idle times spread the quit over it.
IDLE_S = (0.5, None, 0.3, 1.5, 4.0)
QUIT_TIMEOUT_S = 30
WORKER_EXIT_TIMEOUT_S = 10
FAULT_MARKERS = ("Fatal Python error", "Segmentation fault", "Traceback", "unexpected error", "core dumped")
SETTINGS_INI = "[history]\nsave=true\n[describe]\ndetail=brief\n"
TRAY_HOST = Path(__file__).with_name("tray_host.py")
WAYS = ("sigterm", "sigint", "sighup", "menu", "tray", "logout", "display-lost")


def _require_programs() -> None:
    """Skip without them, except in CI, where their absence is a failure (.ci/run installs them)."""
    require_xvfb()
    require("xdotool", "openbox", "dbus-daemon", install="apt-get install xdotool openbox dbus-daemon")


class Run:
    """One user's session: X server, window manager, tray, and the app in it."""

    def __init__(self, folder: Path, model_dir: Path, has_session_monitor: bool):
        folder.mkdir()
        self.folder = folder
        self.server = XServer(folder).start()
        self.server.start_window_manager()
        self.desktop = make_desktop(self.server.display, model_dir, folder, SETTINGS_INI, "null")
        self.desktop.env["PYTHONFAULTHANDLER"] = "1"  # a crash prints "Fatal Python error" and the stacks
        self.bus = self.portal = None
        if has_session_monitor:
            self.bus = PrivateBus(folder).start()
            self.portal = self.bus.start_stand_in("tests.app.launch.session_portal")
            self.desktop.env["DBUS_SESSION_BUS_ADDRESS"] = self.bus.address
        self.tray = self.desktop.spawn([sys.executable, str(TRAY_HOST), self.server.display],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.tray.stdout.readline().decode().strip() == "ready"
        self.app = self.desktop.spawn([sys.executable, "main.py"])

    def stderr(self) -> str:
        return (self.folder / "main.log").read_text(encoding="utf-8", errors="replace")

    def window(self) -> str:
        return self.desktop.xdotool("search", "--sync", "--onlyvisible", "--name", WINDOW_TITLE).split()[0]

    def visible_windows(self) -> set[str]:
        done = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(self.app.pid)],
                              env=self.desktop.env, capture_output=True, text=True, timeout=QUIT_TIMEOUT_S)
        return set(done.stdout.split())

    def close(self) -> None:
        self.desktop.stop()
        if self.bus is not None:
            self.bus.stop()
        self.server.stop()


def _ended(run: Run) -> None:
    """Fails at once, with the app's output, if it ended before answering (no 180 s wait)."""
    code = run.app.poll()
    assert code is None, f"the app ended with code {code} before it answered:\n{run.stderr()}"


def _describe_and_change_a_setting(run: Run, image: Path) -> None:
    """What a user did before the session ended: a described image, the detail level changed."""
    run.desktop.xdotool("windowactivate", "--sync", run.window())
    run.desktop.xdotool("key", "--clearmodifiers", "ctrl+shift+3")  # View > Detail level > Detailed
    reply = run.desktop.forward({"command": "describe-file", "path": str(image)})
    assert reply and reply.get("ok"), reply
    wait_for(lambda: (s := run.desktop.status()) and s["history"] == 1 and s["phase"] == "idle",
             "the image to be described")


def _open_menu_and_quit(run: Run, open_menu) -> None:
    before = run.visible_windows()
    open_menu()
    wait_for(lambda: run.visible_windows() - before, "the menu to open", timeout=QUIT_TIMEOUT_S)
    run.desktop.xdotool("key", "q")  # &Quit


def _quit(run: Run, way: str) -> None:
    if way in ("sigterm", "sigint", "sighup"):
        run.app.send_signal({"sigterm": signal.SIGTERM, "sigint": signal.SIGINT, "sighup": signal.SIGHUP}[way])
    elif way == "menu":
        window = run.window()
        run.desktop.xdotool("windowactivate", "--sync", window)
        _open_menu_and_quit(run, lambda: run.desktop.xdotool("key", "--clearmodifiers", "alt+d"))  # &Describe
    elif way == "logout":
        _log_out(run)
    elif way == "tray":
        icon = run.tray.stdout.readline().decode().split()
        assert icon[:1] == ["docked"], f"the app's tray icon never docked: {icon}"
        _open_menu_and_quit(run, lambda: run.desktop.xdotool("mousemove", "--window", icon[1], "12", "12",
                                                             "click", "3"))
    else:
        run.server.kill_server()


def _log_out(run: Run) -> None:
    """As a desktop's session manager ends a session through the portal: query-end, the app's answer, ending."""
    monitor = read_line(run.portal.stdout, QUIT_TIMEOUT_S).split()
    assert monitor[:1] == ["monitor"], f"the app opened no session monitor: {monitor}\n{run.stderr()}"
    tell(run.portal, f"state {QUERY_END}")
    assert read_line(run.portal.stdout, QUIT_TIMEOUT_S) == f"query-end answered {monitor[1]}"
    assert run.app.poll() is None, "query-end only asks: the app runs on until the session ends"
    tell(run.portal, f"state {ENDING}")


def _quit_once(way: str, index: int, folder: Path, model_dir: Path, image: Path) -> None:
    run = Run(folder, model_dir, has_session_monitor=way == "logout")
    try:
        idle = IDLE_S[index]
        # The app answers once its event loop runs, its signal handlers installed (before that a
        # signal ends a process that has started nothing: the default action, as for any program).
        status = wait_for(lambda: run.desktop.status() or _ended(run), "the app to start")
        if idle is not None:
            wait_for(lambda: (run.desktop.status() or {}).get("model") == "ready", "the model to load")
        else:
            print(f"{way}: quit while the model is {status['model']}")
        workers = psutil.Process(run.app.pid).children(recursive=True)
        is_first = index == 0
        if is_first:
            _describe_and_change_a_setting(run, image)
        time.sleep(idle or 0.2)
        _quit(run, way)
        code = run.app.wait(QUIT_TIMEOUT_S)
        stderr = run.stderr()
        what = f"{way} run {index + 1}"
        assert code == 0, f"{what} exited {code}:\n{stderr}"
        faults = [marker for marker in FAULT_MARKERS if marker in stderr]
        assert not faults, f"{what} printed {faults}:\n{stderr}"
        _, alive = psutil.wait_procs(workers, timeout=WORKER_EXIT_TIMEOUT_S)
        assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], f"{what} left its worker running"
        if way == "logout":
            closed = read_line(run.portal.stdout)
            assert closed.startswith("closed "), f"{what}: the session monitor was not closed ({closed!r})"
        if is_first:
            records = list((folder / "app-data" / "history").glob("*.json"))
            assert len(records) == 1, f"{what}: the described image's record is on disk"
            assert json.loads(records[0].read_text(encoding="utf-8"))["description"].strip()
            assert "detail=detailed" in (folder / "app-config" / "settings.ini").read_text(encoding="utf-8")
    finally:
        run.close()


@pytest.mark.parametrize("way", WAYS)
def test_the_app_quits_cleanly_every_time(way, model_dir, tmp_path):
    _require_programs()
    image = write_png(tmp_path / "photo.png", noise(160, 120, seed=22))
    for index in range(RUNS_PER_WAY):
        _quit_once(way, index, tmp_path / f"run-{index + 1}", model_dir, image)
