"""Settings: declared once, stored in a temporary INI file, read typed, damaged values read as defaults."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from app.storage.settings import (ALL_SETTINGS, CLOSE_TO_TRAY, DETAIL, DEVICE, ENGINE_SETTINGS, LANGUAGE, MONITORS,
                          SAVE_HISTORY, SCHEMA_VERSION, THREADS, VERSION_KEY, Settings)


def test_every_setting_is_declared_once_with_a_description_and_a_typed_default(settings):
    keys = [s.key for s in ALL_SETTINGS]
    assert len(keys) == len(set(keys))
    for setting in ALL_SETTINGS:
        assert isinstance(setting.default, setting.type)
        assert setting.label and len(setting.description) > 20
        assert settings.get(setting) == setting.default
    assert {"model/folder", "describe/detail", "capture/monitors", "engine/threads", "describe/language",
            "history/save", "window/close_to_tray"} <= set(keys)


def test_values_round_trip_typed_through_the_file(tmp_path, qtbot):
    path = tmp_path / "s.ini"
    first = Settings(path)
    with qtbot.waitSignals([first.changed, first.changed, first.changed], order="strict"):
        first.set(THREADS, 3)
        first.set(SAVE_HISTORY, True)
        first.set(DETAIL, "detailed")
    second = Settings(path)
    assert second.get(THREADS) == 3 and isinstance(second.get(THREADS), int)
    assert second.get(SAVE_HISTORY) is True
    assert second.get(DETAIL) == "detailed"
    assert second.get(CLOSE_TO_TRAY) is True  # untouched: the default


def test_damaged_values_read_as_defaults(tmp_path):
    path = tmp_path / "s.ini"
    raw = QSettings(str(path), QSettings.Format.IniFormat)
    raw.setValue(THREADS.key, "lots")
    raw.setValue(SAVE_HISTORY.key, "perhaps")
    raw.setValue(DETAIL.key, "enormous")
    raw.setValue(MONITORS.key, 42)
    raw.setValue(DEVICE.key, "quantum")
    raw.sync()
    settings = Settings(path)
    assert settings.get(THREADS) == THREADS.default
    assert settings.get(SAVE_HISTORY) is False
    assert settings.get(DETAIL) == "standard"
    assert settings.get(MONITORS) == "pointer"
    assert settings.get(DEVICE) == "auto"


def test_out_of_range_and_unknown_choices_are_refused(settings):
    with pytest.raises(ValueError):
        settings.set(DETAIL, "enormous")
    settings.set(LANGUAGE, "French")
    assert settings.get(LANGUAGE) == "French"


def test_an_unversioned_file_is_stamped_with_the_schema_version(tmp_path):
    path = tmp_path / "old.ini"
    raw = QSettings(str(path), QSettings.Format.IniFormat)
    raw.setValue(DETAIL.key, "brief")
    raw.sync()
    settings = Settings(path)
    assert settings.schema_version() == SCHEMA_VERSION
    assert settings.get(DETAIL) == "brief"  # kept through the upgrade
    assert QSettings(str(path), QSettings.Format.IniFormat).value(VERSION_KEY) is not None


def test_the_default_location_follows_the_config_environment_variable(tmp_path):
    # conftest points VISIONPANGU_CONFIG_DIR at tmp_path/config: never the user's real settings
    settings = Settings()
    assert settings.path == tmp_path / "config" / "settings.ini"


def test_version_1_speech_off_becomes_screen_reader_output(tmp_path):
    from app.storage.settings import OUTPUT, OUTPUT_SCREEN_READER

    path = tmp_path / "v1.ini"
    raw = QSettings(str(path), QSettings.Format.IniFormat)
    raw.setValue(VERSION_KEY, 1)
    raw.setValue("speech/enabled", "false")
    raw.sync()
    settings = Settings(path)
    assert settings.get(OUTPUT) == OUTPUT_SCREEN_READER
    assert not QSettings(str(path), QSettings.Format.IniFormat).contains("speech/enabled")


def test_version_1_speech_on_keeps_the_automatic_output(tmp_path):
    from app.storage.settings import OUTPUT, OUTPUT_AUTO

    path = tmp_path / "v1.ini"
    raw = QSettings(str(path), QSettings.Format.IniFormat)
    raw.setValue(VERSION_KEY, 1)
    raw.setValue("speech/enabled", "true")
    raw.sync()
    assert Settings(path).get(OUTPUT) == OUTPUT_AUTO


def test_voice_rate_and_volume_stay_in_range(settings):
    from app.storage.settings import RATE, VOLUME

    with pytest.raises(ValueError):
        settings.set(RATE, 5000)
    settings.set(RATE, 320)
    assert settings.get(RATE) == 320
    assert settings.get(VOLUME) == 100


def test_the_device_setting_offers_the_engines_choices_and_restarts_the_engine():
    from engine.device import DEVICES

    assert DEVICE.choices == DEVICES and DEVICE.default == "auto" and len(DEVICE.choice_labels) == len(DEVICES)
    assert DEVICE in ENGINE_SETTINGS  # a change starts the engine again on the chosen device
