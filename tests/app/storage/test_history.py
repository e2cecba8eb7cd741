"""History on disk: written only when asked, atomically, read back, pruned, cleared; damage is skipped."""

from __future__ import annotations

import numpy as np

from app.storage import history
from app.storage.history import HistoryEntry, HistoryStore


def _entry(n: int = 0) -> HistoryEntry:
    image = np.zeros((20, 30, 3), dtype=np.uint8)
    image[:, :, 0] = n
    return HistoryEntry(source=f"Screen {n}", image=image, description=f"A red square number {n}.",
                        exchanges=[("What colour?", "Red.")])


def test_saved_entries_come_back_with_their_text_and_image(tmp_path):
    store = HistoryStore(tmp_path / "h")
    entry = _entry(7)
    store.save(entry)
    (loaded,) = store.load()
    assert (loaded.id, loaded.source, loaded.description) == (entry.id, "Screen 7", "A red square number 7.")
    assert loaded.exchanges == [("What colour?", "Red.")]
    assert loaded.image is None  # read lazily, when reopened
    assert np.array_equal(loaded.load_image(), entry.image)
    assert not list((tmp_path / "h").glob("*.tmp"))
    assert "Q: What colour?\nA: Red." in loaded.full_text()


def test_saving_again_updates_the_record(tmp_path):
    store = HistoryStore(tmp_path)
    entry = _entry()
    store.save(entry)
    entry.exchanges.append(("Anything else?", "No."))
    store.save(entry)
    (loaded,) = store.load()
    assert loaded.exchanges[-1] == ("Anything else?", "No.")


def test_damaged_records_are_skipped_and_the_rest_load(tmp_path):
    store = HistoryStore(tmp_path)
    good = _entry(1)
    store.save(good)
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "partial.json").write_text('{"id": "x"}', encoding="utf-8")
    assert [e.id for e in store.load()] == [good.id]


def test_only_the_newest_entries_are_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(history, "MAX_SAVED", 3)
    store = HistoryStore(tmp_path)
    entries = [_entry(n) for n in range(5)]
    for entry in entries:
        store.save(entry)
    assert {e.id for e in store.load()} == {e.id for e in entries[-3:]}
    assert len(list(tmp_path.glob("*.png"))) == 3


def test_clear_deletes_every_saved_file(tmp_path):
    store = HistoryStore(tmp_path)
    for n in range(3):
        store.save(_entry(n))
    store.clear()
    assert store.load() == [] and not list(tmp_path.iterdir())


def test_titles_are_short_and_say_the_source():
    entry = _entry()
    entry.description = "word " * 50
    assert "Screen 0" in entry.title() and len(entry.title()) < 90


def _glance_close_up_and_answer(image: np.ndarray):
    """A live conversation as the describe flow records it: a glance, one close-up, one follow-up."""
    from engine.conversation import Conversation
    from engine.prompts import refine_instruction
    from engine.protocol import Done, Stats, StopReason

    conversation = Conversation(image, "brief", "fr")
    close_up = {"role": "user", "content": refine_instruction(["the top left"]), "images": 1,
                "regions": [[0, 0, 448, 448]]}
    for n, turn in enumerate((None, close_up, {"role": "user", "content": "What colour?"})):
        conversation.record(Done(n, f"Answer {n}.", StopReason.END, Stats(), turn))
    return conversation


def _sent(conversation, question: str) -> dict:
    """What the client sends the worker for a follow-up, but the ids (engine.client: conversation.request)."""
    from dataclasses import asdict

    request = asdict(conversation.request(7, question))
    del request["conversation"]
    return request


def test_a_reopened_entry_asks_the_engine_what_the_live_one_asked(tmp_path):
    """Same detail (the glance's), language, close-ups with their regions and answers, whatever the settings now."""
    image = np.random.default_rng(3).integers(0, 256, (600, 900, 3), dtype=np.uint8)
    live = _glance_close_up_and_answer(image)
    entry = HistoryEntry(source="Screen", image=image, description="Answer 0.\n\nAnswer 1.",
                         exchanges=[("What colour?", "Answer 2.")], conversation=live)
    store = HistoryStore(tmp_path)
    store.save(entry)
    (reopened,) = store.load()
    again = reopened.follow_up_conversation("detailed", None)  # the settings changed since
    assert again is not live and _sent(again, "And the corner?") == _sent(live, "And the corner?")
    assert again.turns[1]["regions"] == [[0, 0, 448, 448]]
    store.save(reopened)  # saved again once asked about: the conversation is kept, not lost
    assert HistoryStore(tmp_path).load()[0].follow_up_conversation("standard", None).turns == live.turns


def test_an_entry_saved_before_conversations_were_kept_is_rebuilt_from_its_text(tmp_path):
    import json

    store = HistoryStore(tmp_path)
    entry = _entry(4)
    store.save(entry)
    path = tmp_path / f"{entry.id}.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    assert "conversation" not in record  # this entry never had one
    (loaded,) = store.load()
    conversation = loaded.follow_up_conversation("standard", "en")
    assert (conversation.detail, conversation.language) == ("standard", "en")
    assert [t["content"] for t in conversation.turns] == ["A red square number 4.", "What colour?", "Red."]


def test_a_damaged_conversation_skips_the_record(tmp_path):
    import json

    store = HistoryStore(tmp_path)
    entry = HistoryEntry(source="Screen", image=np.zeros((20, 30, 3), np.uint8), description="A.",
                         conversation=_glance_close_up_and_answer(np.zeros((20, 30, 3), np.uint8)))
    store.save(entry)
    path = tmp_path / f"{entry.id}.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    record["conversation"]["turns"][1]["regions"] = [[0, 0, "wide"]]
    path.write_text(json.dumps(record), encoding="utf-8")
    assert store.load() == []
