"""Data files (prompts, chat templates, sounds) shipped with the app."""

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent
APP_NAME = "VisionPangu Assistant"  # the name people see: window, messages, the macOS bundle
APP_FOLDER = "VisionPangu"  # the name of the user's folders: settings, data and models, the instance socket


def read_text(relative: str) -> str:
    return (RESOURCES_DIR / relative).read_text(encoding="utf-8")
