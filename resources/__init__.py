"""Data files (prompts, chat templates, sounds) shipped with the app."""

from pathlib import Path

RESOURCES_DIR = Path(__file__).resolve().parent


def read_text(relative: str) -> str:
    return (RESOURCES_DIR / relative).read_text(encoding="utf-8")
