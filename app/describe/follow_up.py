"""Whether a follow-up question can be asked now, and if not, why: one plain sentence (no Qt objects needed).

Checked before anything is stopped or replaced, so a refused question stays in its box to be
changed, and what the user was hearing goes on.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.storage.history import HistoryEntry
from engine.user_text import TextError, check_question


def _tr(text: str) -> str:
    return QCoreApplication.translate("Controller", text)


def follow_up_problem(question: str, entry: HistoryEntry | None, has_engine: bool) -> str | None:
    """None if `question` (already stripped) can be asked about `entry`, else why not."""
    if not question:
        return _tr("Type a question first, then press Enter.")
    try:
        check_question(question)
    except TextError as exc:
        return str(exc)
    if entry is None or entry.is_note or entry.load_image() is None:
        return _tr("There is no image to ask about. Describe something first.")
    if not has_engine:
        return _tr("The model is not set up yet. Open Set up model in the Edit menu.")
    return None
