"""Who reads results, and how they reach the screen reader: one pure decision, tested with plain values.

Inputs: the output setting (voice, screen reader, both, automatic), the screen-reader channel
setting (automatic, announcements, Speech Dispatcher), what is known of the running screen
reader, and whether Speech Dispatcher can be reached. Output: a `Route`.

Why a channel at all: Orca before 46 ignores accessibility announcements, so a user whose
Orca is 43 heard nothing of a description. Where the screen reader cannot speak
announcements, results go to Speech Dispatcher (the service Orca speaks through); where that
is missing too, the app's own voice speaks, so a result is never silent.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.storage.settings import (OUTPUT_BOTH, OUTPUT_SCREEN_READER, OUTPUT_VOICE, READER_ANNOUNCEMENTS,
                          READER_SPEECH_DISPATCHER)
from app.speech.screen_reader import ScreenReaderInfo

CHANNEL_ANNOUNCEMENTS, CHANNEL_SPEECH_DISPATCHER = READER_ANNOUNCEMENTS, READER_SPEECH_DISPATCHER


@dataclass(frozen=True)
class Route:
    is_voice_on: bool  # the app's own voice speaks results
    is_reader_on: bool  # results go to the screen reader, through `channel`
    channel: str  # CHANNEL_ANNOUNCEMENTS or CHANNEL_SPEECH_DISPATCHER
    is_fallback_voice: bool = False  # the voice is on only because the screen reader could not be reached


def reader_channel(channel_setting: str, reader: ScreenReaderInfo, has_speech_dispatcher: bool) -> str | None:
    """The channel to the screen reader, or None where nothing would speak what is sent."""
    if channel_setting == READER_ANNOUNCEMENTS:
        return CHANNEL_ANNOUNCEMENTS
    if channel_setting == READER_SPEECH_DISPATCHER or reader.reads_announcements is False:
        return CHANNEL_SPEECH_DISPATCHER if has_speech_dispatcher else None
    return CHANNEL_ANNOUNCEMENTS


def choose_route(output_mode: str, channel_setting: str, reader: ScreenReaderInfo,
                 has_speech_dispatcher: bool) -> Route:
    if output_mode == OUTPUT_VOICE:
        return Route(True, False, CHANNEL_ANNOUNCEMENTS)
    channel = reader_channel(channel_setting, reader, has_speech_dispatcher)
    if output_mode == OUTPUT_SCREEN_READER:
        voice, to_reader = False, True
    elif output_mode == OUTPUT_BOTH or reader.is_running is None:
        voice, to_reader = True, True  # automatic, and the platform cannot tell: both, so nothing is missed
    else:
        voice, to_reader = not reader.is_running, bool(reader.is_running)
    if to_reader and channel is None:
        # Announcements are still sent (another assistive tool may read them), and the app speaks.
        return Route(True, True, CHANNEL_ANNOUNCEMENTS, is_fallback_voice=not voice)
    return Route(voice, to_reader, channel or CHANNEL_ANNOUNCEMENTS)
