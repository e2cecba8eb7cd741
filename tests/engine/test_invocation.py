"""How the app's command line is named and started: from the source, frozen, and frozen on Windows.

The frozen cases set sys.frozen and sys.executable as PyInstaller's bootloader does; the Windows
case also stands in the platform test (no Windows here), with real files for the executable and its twin.
The real frozen Linux build is checked by tests/packaging (its --help names the executable).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine import invocation

ROOT = Path(__file__).resolve().parents[2]


def test_from_the_source_it_is_python_main_py(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(sys, "argv", ["main.py"])
    assert invocation.program_name() == "python main.py"
    assert invocation.shown("convert") == "python main.py convert"
    assert invocation.argv("describe", "a b.png") == [sys.executable, str(ROOT / "main.py"), "describe", "a b.png"]
    assert invocation.shell_line("--describe-file", "a b.png").endswith("main.py --describe-file 'a b.png'")


def test_installed_as_a_script(monkeypatch):
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(sys, "argv", ["/home/u/.local/bin/visionpangu-assistant"])
    assert invocation.shown("convert") == "visionpangu-assistant convert"


def test_frozen_it_is_the_executable(monkeypatch, tmp_path):
    executable = tmp_path / "visionpangu-assistant"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(executable))
    assert invocation.shown("describe", "IMAGE") == "visionpangu-assistant describe IMAGE"
    assert invocation.argv("convert", reads_output=True) == [str(executable), "convert"]


def test_frozen_on_windows_a_child_whose_output_is_read_runs_the_console_twin(monkeypatch, tmp_path):
    app, twin = tmp_path / "visionpangu-assistant.exe", tmp_path / "visionpangu-assistant-cli.exe"
    app.touch()
    twin.touch()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app))
    monkeypatch.setattr(invocation, "IS_WINDOWS", True)  # stands in for Windows
    assert invocation.argv("convert", reads_output=True) == [str(twin), "convert"]
    assert invocation.argv("--describe", "screen") == [str(app), "--describe", "screen"]  # a shortcut: no console
    assert invocation.program_name() == "visionpangu-assistant-cli"


def test_help_names_the_program_as_it_was_run():
    done = subprocess.run([sys.executable, "main.py", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("usage: python main.py "), done.stdout[:200]
