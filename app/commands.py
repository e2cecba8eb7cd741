"""The commands a second launch forwards to the running app (no Qt here: main.py imports it)."""

COMMANDS = ("show", "describe", "describe-file", "stop", "status")
SOURCES = ("screen", "window", "clipboard")
