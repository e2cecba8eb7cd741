"""Who reads results, and by which channel: the decision table of app/speech/route.py, with plain values."""

from __future__ import annotations

import pytest

from app.storage.settings import (OUTPUT_AUTO, OUTPUT_BOTH, OUTPUT_SCREEN_READER, OUTPUT_VOICE, READER_ANNOUNCEMENTS,
                          READER_AUTO, READER_SPEECH_DISPATCHER)
from app.speech.route import CHANNEL_ANNOUNCEMENTS, CHANNEL_SPEECH_DISPATCHER, choose_route
from app.speech.screen_reader import ScreenReaderInfo

NONE = ScreenReaderInfo(False)
UNKNOWN = ScreenReaderInfo(None)
ORCA_43 = ScreenReaderInfo(True, "Orca", "43.1", reads_announcements=False)
ORCA_47 = ScreenReaderInfo(True, "Orca", "47.3", reads_announcements=True)
NVDA = ScreenReaderInfo(True)  # Windows' flag: a screen reader that reads UIA notifications


@pytest.mark.parametrize("mode, channel_setting, reader, has_sd, voice, to_reader, channel, fallback", [
    # Automatic, the default: Orca 43 is reached through Speech Dispatcher, and the app's voice keeps quiet.
    (OUTPUT_AUTO, READER_AUTO, ORCA_43, True, False, True, CHANNEL_SPEECH_DISPATCHER, False),
    # Orca 43 without a Speech Dispatcher: nothing would speak an announcement, so the app's voice does.
    (OUTPUT_AUTO, READER_AUTO, ORCA_43, False, True, True, CHANNEL_ANNOUNCEMENTS, True),
    (OUTPUT_AUTO, READER_AUTO, ORCA_47, True, False, True, CHANNEL_ANNOUNCEMENTS, False),
    (OUTPUT_AUTO, READER_AUTO, NVDA, False, False, True, CHANNEL_ANNOUNCEMENTS, False),
    (OUTPUT_AUTO, READER_AUTO, NONE, True, True, False, CHANNEL_ANNOUNCEMENTS, False),
    (OUTPUT_AUTO, READER_AUTO, UNKNOWN, True, True, True, CHANNEL_ANNOUNCEMENTS, False),
    # Explicit choices are kept.
    (OUTPUT_VOICE, READER_AUTO, ORCA_43, True, True, False, CHANNEL_ANNOUNCEMENTS, False),
    (OUTPUT_BOTH, READER_AUTO, ORCA_43, True, True, True, CHANNEL_SPEECH_DISPATCHER, False),
    (OUTPUT_SCREEN_READER, READER_AUTO, ORCA_43, True, False, True, CHANNEL_SPEECH_DISPATCHER, False),
    (OUTPUT_SCREEN_READER, READER_ANNOUNCEMENTS, ORCA_43, True, False, True, CHANNEL_ANNOUNCEMENTS, False),
    (OUTPUT_SCREEN_READER, READER_SPEECH_DISPATCHER, ORCA_47, True, False, True, CHANNEL_SPEECH_DISPATCHER, False),
    (OUTPUT_SCREEN_READER, READER_SPEECH_DISPATCHER, ORCA_47, False, True, True, CHANNEL_ANNOUNCEMENTS, True),
])
def test_the_route_follows_the_settings_and_what_the_screen_reader_can_hear(
        mode, channel_setting, reader, has_sd, voice, to_reader, channel, fallback):
    route = choose_route(mode, channel_setting, reader, has_sd)
    assert (route.is_voice_on, route.is_reader_on, route.channel, route.is_fallback_voice) == (
        voice, to_reader, channel, fallback)
