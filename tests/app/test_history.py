"""History on disk: written only when asked, atomically, read back, pruned, cleared; damage is skipped."""

from __future__ import annotations

import numpy as np

from app import history
from app.history import HistoryEntry, HistoryStore


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
