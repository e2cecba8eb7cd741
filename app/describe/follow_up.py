"""Whether a follow-up question can be asked now, and if not, why: one plain sentence (no Qt objects needed).

Checked before anything is stopped or replaced, so a refused question stays in its box to be
changed, and what the user was hearing goes on. The conversation the question continues is
checked too, as typed text is: an entry reopened from saved history carries text (its language
name, its earlier questions) that was written to a file this app does not control.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.storage.history import HistoryEntry
from engine.conversation import ROLE_USER, Conversation
from engine.user_text import TextError, check_language, check_question


def _tr(text: str) -> str:
    return QCoreApplication.translate("Controller", text)


def follow_up_problem(question: str, entry: HistoryEntry | None, has_engine: bool, detail: str,
                      language: str | None) -> str | None:
    """None if `question` (already stripped) can be asked about `entry`, else why not.

    `detail` and `language` are the settings of now, for an entry saved before conversations were.
    """
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
    return _conversation_problem(entry.follow_up_conversation(detail, language))


def _conversation_problem(conversation: Conversation) -> str | None:
    try:
        check_language(conversation.language)
        for turn in conversation.turns:
            if turn["role"] == ROLE_USER:
                check_question(turn["content"])
    except TextError as exc:
        return _tr("This description cannot be asked about: {0} Use Describe again to describe its image "
                   "anew.").format(exc)
    return None
