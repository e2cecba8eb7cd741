"""How this app's own command line is run on this machine, written once for every place that says or starts it.

From the source it is `python main.py`; the frozen app (packaging/) is its own executable, and on
Windows the commands go through its console twin `visionpangu-assistant-cli.exe`, since the app's
executable opens no console; installed by pip it is the `visionpangu-assistant` script. Messages
that tell a user which command to type, argparse's program name, the converter's child process
and the command line a desktop shortcut runs all come from here.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

MAIN_SCRIPT = Path(__file__).resolve().parents[1] / "main.py"
SCRIPT_NAME = "visionpangu-assistant"  # pyproject.toml's [project.scripts] and the frozen executable
IS_WINDOWS = os.name == "nt"
WINDOWS_CLI_SUFFIX = "-cli"  # the frozen Windows build's console twin (packaging/visionpangu-assistant.spec)


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def program_name() -> str:
    """What a user types to run the commands: `python main.py`, or the executable's name."""
    if is_frozen():
        stem = Path(sys.executable).stem
        if IS_WINDOWS and not stem.endswith(WINDOWS_CLI_SUFFIX):
            return stem + WINDOWS_CLI_SUFFIX
        return stem
    if Path(sys.argv[0]).name == SCRIPT_NAME:
        return SCRIPT_NAME
    return "python main.py"


def shown(*args: str) -> str:
    """A command as the user would type it, for messages: `python main.py convert`."""
    return " ".join([program_name(), *args])


def argv(*args: str, reads_output: bool = False) -> list[str]:
    """The full command line that runs this app's command line with `args` in a new process.

    `reads_output`: the caller reads the child's stdout (the converter's progress). The frozen
    Windows app's executable is built without a console, so its sys.stdout is None and what it
    prints is lost (PyInstaller, "windowed" mode): such a child runs the console twin instead.
    """
    if not is_frozen():
        return [sys.executable, str(MAIN_SCRIPT), *args]
    executable = Path(sys.executable)
    twin = executable.with_name(executable.stem + WINDOWS_CLI_SUFFIX + executable.suffix)
    if reads_output and IS_WINDOWS and not executable.stem.endswith(WINDOWS_CLI_SUFFIX) and twin.is_file():
        executable = twin
    return [str(executable), *args]


def shell_line(*args: str) -> str:
    """`argv(*args)` quoted for a desktop's custom-shortcut field."""
    return shlex.join(argv(*args))
