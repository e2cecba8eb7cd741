"""Text in saved history is checked when the entry is reopened and asked about, as typed text is
(and as the language in Settings is, last test).

A history file is the app's own, but it sits on disk where anything can change it (an older or
newer version, a sync tool, another program): a reopened entry's language name and questions go
to the model again, so they pass the same limits as a question typed now, with a plain message,
and the entry and the question are kept.
"""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from engine.conversation import Conversation
from engine.user_text import MAX_LANGUAGE_CHARS, MAX_QUESTION_CHARS
from tests.app.helpers import REQUEST_MS, Announcements, noise, start_ready, wait_idle, write_png
from tests.hostile.test_tokens_and_files import HOSTILE_TEXTS

LONG_LANGUAGE = ("Klingon " * 1250)[:10_000]
QUESTION = "What is in the corner?"


def _saved(folder, language: str | None, turns: list[dict]) -> str:
    """One saved entry whose conversation holds `language` and `turns`, as a file on disk; its id."""
    from app.storage.history import HistoryEntry, HistoryStore

    entry = HistoryEntry(source="Screen", image=noise(seed=4), description="A window with a button.")
    entry.conversation = Conversation(entry.image, "brief", "English",
                                      turns=[{"role": "assistant", "content": entry.description}])
    HistoryStore(folder).save(entry)
    path = folder / f"{entry.id}.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["conversation"].update(language=language, turns=record["conversation"]["turns"] + turns)
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return entry.id


def _reopened(make_app, settings, qtbot, folder):
    from app.storage.settings import SAVE_HISTORY

    settings.set(SAVE_HISTORY, True)
    application = start_ready(make_app(history_folder=folder), qtbot)
    assert len(application.entries) == 1
    history = application.page.history
    history.setFocus()
    history.setCurrentRow(0)
    qtbot.keyClick(history, Qt.Key.Key_Return)  # as the user reopens it
    assert application.controller.current is application.entries[0]
    return application


@pytest.mark.parametrize("language, turns, words", [
    (LONG_LANGUAGE, [], "language name is too long: at most 64 characters"),
    (None, [{"role": "user", "content": "why " * (MAX_QUESTION_CHARS // 4 + 1)}, {"role": "assistant", "content": "."}],
     "question is too long"),
], ids=["a 10,000-character language name", "an overlong earlier question"])
def test_overlong_saved_text_gets_a_plain_message_and_nothing_is_lost(make_app, model_dir, settings, qtbot,
                                                                      tmp_path, language, turns, words):
    folder = tmp_path / "history"
    entry_id = _saved(folder, language, turns)
    saved = (folder / f"{entry_id}.json").read_bytes()
    application = _reopened(make_app, settings, qtbot, folder)
    heard = Announcements(application.announcer)
    application.page.question.setText(QUESTION)
    application.controller.ask(QUESTION)
    errors = heard.errors()
    assert len(errors) == 1 and words in errors[0] and "Describe again" in errors[0], heard.items
    assert "memory" not in errors[0] and "Traceback" not in errors[0]
    assert application.controller.phase == "idle"  # nothing was sent to the engine
    entry = application.entries[0]
    assert entry.exchanges == [] and application.page.text() == entry.description
    assert application.page.question.text() == QUESTION  # the question stays, to be asked elsewhere
    application.quit()
    assert (folder / f"{entry_id}.json").read_bytes() == saved  # the saved entry is as it was


def test_special_token_text_in_saved_history_is_plain_text_and_answered(make_app, model_dir, settings, qtbot,
                                                                        tmp_path):
    folder = tmp_path / "history"
    _saved(folder, HOSTILE_TEXTS[1], [{"role": "user", "content": HOSTILE_TEXTS[0]},
                                      {"role": "assistant", "content": HOSTILE_TEXTS[2]}])
    application = _reopened(make_app, settings, qtbot, folder)
    heard = Announcements(application.announcer)
    application.controller.ask(QUESTION)
    wait_idle(application, qtbot)
    assert heard.errors() == [], heard.items
    entry = application.entries[0]
    assert [q for q, _ in entry.exchanges] == [QUESTION] and entry.exchanges[0][1]


def test_the_app_says_an_overlong_language_setting_is_too_long(make_app, model_dir, qtbot, tmp_path, settings):
    from app.storage.settings import LANGUAGE

    settings.set(LANGUAGE, "x" * 10_000)
    application = start_ready(make_app(), qtbot)
    heard = Announcements(application.announcer)
    application.run_command({"command": "describe-file", "path": str(write_png(tmp_path / "photo.png", noise()))})
    qtbot.waitUntil(lambda: application.controller.phase == "idle" and bool(heard.errors()), timeout=REQUEST_MS)
    assert heard.errors() == [f"The language name is too long: at most {MAX_LANGUAGE_CHARS:,} characters are "
                              "accepted, and it has 10,000. Change it in Settings."], heard.items
    assert not application.entries  # refused before the model was asked
