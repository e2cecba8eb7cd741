"""Where the app keeps its settings and data.

Each folder resolves as an environment variable, then the platform default, so tests
and portable installs never touch the user's real configuration.
"""

from __future__ import annotations

import os
from pathlib import Path

from resources import APP_FOLDER

CONFIG_DIR_ENV = "VISIONPANGU_CONFIG_DIR"
DATA_DIR_ENV = "VISIONPANGU_DATA_DIR"
SETTINGS_FILE = "settings.ini"
HISTORY_DIR = "history"


def config_dir() -> Path:
    if os.environ.get(CONFIG_DIR_ENV):
        return Path(os.environ[CONFIG_DIR_ENV]).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_FOLDER, appauthor=False))


def data_dir() -> Path:
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_FOLDER, appauthor=False))


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def history_dir() -> Path:
    return data_dir() / HISTORY_DIR
