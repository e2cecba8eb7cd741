"""Settings shows which screen reader was found and how results reach it; the channel choice applies on OK."""

from __future__ import annotations

import pytest

from app.speech.base import NullSpeech
from app.speech.earcons import NullEarconPlayer
from app.speech.screen_reader import ScreenReaderInfo
from app.speech.speech_link import SpeechLink
from app.storage.settings import READER_CHANNEL, READER_SPEECH_DISPATCHER


def _link(reader: ScreenReaderInfo, has_speech_dispatcher: bool) -> SpeechLink:
    # The detection itself runs for real in tests/app/speech/test_screen_reader.py and the e2e tests;
    # here it is given, so each sentence of the summary can be checked.
    return SpeechLink(NullSpeech(), earcons=NullEarconPlayer(), detect_screen_reader=lambda: reader,
                      has_speech_dispatcher=lambda: has_speech_dispatcher)


@pytest.mark.parametrize("reader, has_sd, expected", [
    (ScreenReaderInfo(True, "Orca", "43.1", False), True,
     "Orca 43.1 is running. It does not speak accessibility announcements. Results are sent to Speech "
     "Dispatcher, the speech service Orca speaks through."),
    (ScreenReaderInfo(True, "Orca", "43.1", False), False,
     "Orca 43.1 is running. It does not speak accessibility announcements. Nothing it could speak was found, "
     "so the app's own voice reads results."),
    (ScreenReaderInfo(True, "Orca", "47.1", True), True,
     "Orca 47.1 is running. Results are sent to screen readers as accessibility announcements."),
    (ScreenReaderInfo(False), True, "No screen reader is running now. Results are read by the app's own voice."),
    (ScreenReaderInfo(None), True, "Whether a screen reader is running cannot be told on this system. Results are "
     "sent to screen readers as accessibility announcements. The app's own voice reads them too."),
])
def test_the_summary_says_what_was_found_and_where_results_go(qtbot, settings, reader, has_sd, expected):
    from app.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(settings, speech=_link(reader, has_sd))
    qtbot.addWidget(dialog)
    assert dialog.reader_summary.text() == expected
    assert dialog.reader_summary.accessibleName() == ""  # its name is its text, read as it is


def test_choosing_speech_dispatcher_is_saved_and_applied(make_app, qtbot, settings):
    from PySide6.QtWidgets import QApplication, QComboBox

    from app.ui.settings_dialog import SettingsDialog

    application = make_app(speech=_link(ScreenReaderInfo(True, "Orca", "47.1", True), True))
    application.actions.settings.trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog) and w.isVisible())
    combo = dialog.controls[READER_CHANNEL.key]
    assert isinstance(combo, QComboBox) and combo.accessibleName() == "How results reach the screen reader"
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Automatic: what the running screen reader can speak", "Accessibility announcements",
        "Speech Dispatcher (Linux)"]
    combo.setCurrentIndex(combo.findData(READER_SPEECH_DISPATCHER))
    dialog.accept()
    assert settings.get(READER_CHANNEL) == READER_SPEECH_DISPATCHER
    assert application.speech.route.channel == "speech_dispatcher"
