"""One sentence for Settings: which screen reader the app found, and how results reach the user."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.speech.route import CHANNEL_SPEECH_DISPATCHER, Route
from app.speech.screen_reader import ScreenReaderInfo


def _tr(text: str) -> str:
    return QCoreApplication.translate("SettingsDialog", text)


def reader_summary(reader: ScreenReaderInfo, route: Route) -> str:
    if reader.is_running is None:
        found = _tr("Whether a screen reader is running cannot be told on this system.")
    elif not reader.is_running:
        found = _tr("No screen reader is running now.")
    else:
        name = " ".join(part for part in (reader.name, reader.version) if part) or _tr("A screen reader")
        found = _tr("{0} is running.").format(name)
        if reader.reads_announcements is False:
            found += " " + _tr("It does not speak accessibility announcements.")
    if route.is_fallback_voice:
        how = _tr("Nothing it could speak was found, so the app's own voice reads results.")
    elif not route.is_reader_on:
        how = _tr("Results are read by the app's own voice.")
    elif route.channel == CHANNEL_SPEECH_DISPATCHER:
        how = _tr("Results are sent to Speech Dispatcher, the speech service Orca speaks through.")
    else:
        how = _tr("Results are sent to screen readers as accessibility announcements.")
    if route.is_reader_on and route.is_voice_on and not route.is_fallback_voice:
        how += " " + _tr("The app's own voice reads them too.")
    return found + " " + how
