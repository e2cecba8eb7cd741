"""`python main.py`: the app's command line, single instance, and clean exits, as separate processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from app.launch.instance import forward
from app.launch.launcher import request_from
from main import build_parser
from tests.app.helpers import write_png

ROOT = Path(__file__).resolve().parents[3]
WAIT_S = 180  # generous: CI machines may be busy with other work


def _run(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=WAIT_S, env=env)


def test_help_lists_the_subcommands_and_the_app_options():
    done = _run("--help")
    assert done.returncode == 0
    for word in ("describe", "convert", "make-checkpoint", "--describe {screen,window,clipboard}",
                 "--describe-file", "--stop"):
        assert word in done.stdout


def test_the_existing_subcommands_still_run(tmp_path):
    done = _run("make-checkpoint", "--out", str(tmp_path / "ck"))
    assert done.returncode == 0 and (tmp_path / "ck" / "config.json").is_file()


def test_arguments_become_the_forwarded_request(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    parse = build_parser().parse_args
    assert request_from(parse([])) == {"command": "show"}
    assert request_from(parse(["--describe", "window"])) == {"command": "describe", "source": "window"}
    assert request_from(parse(["--describe-file", "a.png"])) == {"command": "describe-file",
                                                                   "path": str(tmp_path / "a.png")}
    assert request_from(parse(["--stop"])) == {"command": "stop"}


def test_stop_with_nothing_running_says_so_and_succeeds():
    done = _run("--stop")
    assert done.returncode == 0 and "not running" in done.stderr


def _wait_for_history(count: int, process: subprocess.Popen) -> dict:
    """The running app's status once it holds `count` finished entries (it answers its own socket)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        status = forward({"command": "status"})
        if status and status["history"] == count and status["phase"] == "idle":
            return status
        assert time.monotonic() < deadline and process.poll() is None, f"no entry {count} in time"
        time.sleep(0.1)


def test_a_describe_launch_starts_the_app_and_later_launches_are_forwarded(model_dir, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    first = subprocess.Popen([sys.executable, "main.py", "--describe-file", str(write_png(tmp_path / "a.png"))],
                             cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for_history(1, first)["description"]
        second = _run("--describe-file", str(write_png(tmp_path / "b.png")), env=env)
        assert second.returncode == 0
        assert _wait_for_history(2, first)["description"]
        assert _run("--stop", env=env).returncode == 0
        workers = psutil.Process(first.pid).children(recursive=True)
        first.send_signal(signal.SIGTERM)  # a session ending: the app quits and takes its worker along
        assert first.wait(WAIT_S) == 0
        psutil.wait_procs(workers, timeout=10)
        assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()


def test_the_app_never_imports_llama_cpp():
    """The model lives only in the worker process (app/ has no llama_cpp imports)."""
    code = ("import sys, main, app.application, app.launch.launcher; main.build_parser(); "
            "print('llama_cpp' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=WAIT_S,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_without_a_screen_the_app_says_so_instead_of_crashing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run([sys.executable, "main.py"], env=env, cwd=Path(__file__).resolve().parents[3],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "No screen was found" in done.stderr and "Traceback" not in done.stderr
