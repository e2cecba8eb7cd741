"""Why speech is unavailable or failed, in words a blind user can act on (never a traceback).

The messages are marked for Qt's translation and translated when they are raised, so the GUI can
announce `str(error)` as it is. The technical cause stays in `detail` and the log.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

CONTEXT = "Speech"

ESPEAK_MISSING = QT_TRANSLATE_NOOP(
    "Speech",
    "Speech is not available because the eSpeak NG voice is not installed. "
    "Install the espeak-ng package, then restart VisionPangu.",
)
ENGINE_FAILED = QT_TRANSLATE_NOOP(
    "Speech", "Speech is not available because the system voice could not be started."
)
ENGINE_TIMEOUT = QT_TRANSLATE_NOOP(
    "Speech", "Speech is not available because the system voice did not start in time."
)
NO_PLAYER = QT_TRANSLATE_NOOP(
    "Speech",
    "Speech is not available because no program to play sound was found. "
    "Install sox or alsa-utils, then restart VisionPangu.",
)
PLAYBACK_FAILED = QT_TRANSLATE_NOOP(
    "Speech", "Speech could not be played. Check that a sound device is connected and not muted."
)
SPEAKING_FAILED = QT_TRANSLATE_NOOP("Speech", "The voice failed while speaking. Speech goes on with the next sentence.")
UNKNOWN_VOICE = QT_TRANSLATE_NOOP("Speech", "The chosen voice is not installed, so the current voice is kept.")


def tr(text: str) -> str:
    """Translate one of the messages above (works before a QApplication exists: returns the text)."""
    return QCoreApplication.translate(CONTEXT, text)


class SpeechUnavailable(Exception):
    """The real voice cannot be used. str() is the plain message; detail is for the log."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail


class PlaybackFailed(Exception):
    """The sound player could not play a rendered utterance (no device, device busy)."""
