"""This session's images and descriptions, and (only if the user opts in) their copy on disk.

Each saved entry is two files named by its id: a PNG of the image and a JSON file with
the source, the time, the description and the follow-up questions and answers as shown, and
the conversation as the model read it (detail level, language, turns with the close-ups'
regions), so a reopened entry's follow-ups send the engine what the live entry's did. Files
are written to a temporary name and renamed, so a crash never leaves a half entry, and
are private to the user (app/storage/private_files.py): a screenshot can hold anything.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from app.storage.private_files import private_folder, tighten, write_private
from engine.conversation import ROLE_ASSISTANT, ROLE_USER, Conversation

log = logging.getLogger(__name__)
MAX_SAVED = 200  # oldest saved entries are removed beyond this
PNG_COMPRESSION = 1  # fast: history is written on the GUI thread
ENTRY_VERSION = 2  # 2: the conversation as the model read it
# What an entry's text is: the model's description (with its answers), or the text read off the
# image exactly by Read text (app/describe/reader.py). Saved as "kind"; older records are descriptions.
KIND_DESCRIPTION, KIND_READ_TEXT = "description", "read_text"
KINDS = (KIND_DESCRIPTION, KIND_READ_TEXT)


@dataclass
class HistoryEntry:
    source: str
    image: np.ndarray | None = None
    description: str = ""
    exchanges: list[tuple[str, str]] = field(default_factory=list)  # (question, answer)
    created: datetime = field(default_factory=datetime.now)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    image_path: Path | None = None  # where a saved entry's image is, loaded when reopened
    conversation: Conversation | None = None  # for follow-ups; a saved entry's is rebuilt from `saved_conversation`
    is_note: bool = False  # an honest note (black screen), not a model description
    saved_conversation: dict | None = None  # as read from disk, until the entry is asked about
    kind: str = KIND_DESCRIPTION  # one of KINDS

    @property
    def is_read_text(self) -> bool:
        return self.kind == KIND_READ_TEXT

    def follow_up_conversation(self, detail: str, language: str | None) -> Conversation | None:
        """The conversation a follow-up continues; None without an image.

        A reopened entry gets its own back as it was saved. One saved before conversations were
        (version 1) is rebuilt from its text at `detail` and `language`, the settings of now.
        """
        if self.conversation is None and self.load_image() is not None:
            if self.saved_conversation is not None:
                self.conversation = Conversation.from_saved(self.image, self.saved_conversation)
            else:
                turns = [{"role": ROLE_ASSISTANT, "content": self.description}]
                for question, answer in self.exchanges:
                    turns += [{"role": ROLE_USER, "content": question}, {"role": ROLE_ASSISTANT, "content": answer}]
                self.conversation = Conversation(self.image, detail, language, turns=turns)
        return self.conversation

    def full_text(self) -> str:
        parts = [self.description.strip()]
        for question, answer in self.exchanges:
            parts.append(f"Q: {question}\nA: {answer.strip()}")
        return "\n\n".join(p for p in parts if p)

    def title(self) -> str:
        summary = " ".join(self.description.split())
        if len(summary) > 60:
            summary = summary[:57] + "..."
        stamp = f"{self.created:%H:%M:%S} {self.source}"
        return f"{stamp}: {summary}" if summary else stamp

    def load_image(self) -> np.ndarray | None:
        if self.image is None and self.image_path is not None:
            from engine.images import ImageError, load_image

            try:
                self.image = load_image(self.image_path)
            except ImageError:
                log.warning("saved history image %s cannot be read", self.image_path)
        return self.image


class HistoryStore:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._is_tightened = False

    def save(self, entry: HistoryEntry) -> None:
        """Raises OSError (the caller reports it) if the folder cannot be written."""
        from PIL import Image

        self._open()
        image_path = self.folder / f"{entry.id}.png"
        if entry.image is not None and not image_path.exists():
            png = io.BytesIO()
            Image.fromarray(entry.image).save(png, format="PNG", compress_level=PNG_COMPRESSION)
            write_private(image_path, png.getvalue())
        entry.image_path = image_path if image_path.exists() else None
        record = {"version": ENTRY_VERSION, "id": entry.id, "source": entry.source,
                  "created": entry.created.isoformat(timespec="seconds"), "description": entry.description,
                  "exchanges": [list(pair) for pair in entry.exchanges], "is_note": entry.is_note,
                  "kind": entry.kind}
        conversation = entry.conversation.saved() if entry.conversation is not None else entry.saved_conversation
        if conversation is not None:
            record["conversation"] = conversation
        write_private(self.folder / f"{entry.id}.json",
                      json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8"))
        self._prune()

    def _open(self) -> None:
        """The folder 0700 and every saved file 0600, also those an earlier version left readable."""
        private_folder(self.folder)
        if self._is_tightened:
            return
        for path in self.folder.iterdir():
            tighten(path)
        self._is_tightened = True

    def _records(self) -> list[Path]:
        return sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime) if self.folder.is_dir() else []

    def _prune(self) -> None:
        records = self._records()
        for path in records[: max(0, len(records) - MAX_SAVED)]:
            self._delete(path.stem)

    def _delete(self, entry_id: str) -> None:
        for suffix in (".json", ".png"):
            (self.folder / f"{entry_id}{suffix}").unlink(missing_ok=True)

    def load(self) -> list[HistoryEntry]:
        """Saved entries, oldest first; damaged records are skipped."""
        entries = []
        if self.folder.is_dir():
            try:
                self._open()
            except OSError as exc:  # still readable: load what is there
                log.warning("cannot make the history folder %s private: %s", self.folder, exc)
        for path in self._records():
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                entry = HistoryEntry(source=str(record["source"]), description=str(record["description"]),
                                     exchanges=[(str(q), str(a)) for q, a in record.get("exchanges", [])],
                                     created=datetime.fromisoformat(record["created"]), id=str(record["id"]),
                                     is_note=bool(record.get("is_note", False)),
                                     kind=_kind(record.get("kind", KIND_DESCRIPTION)))
                if record.get("conversation") is not None:
                    saved = record["conversation"]
                    Conversation.from_saved(None, saved)  # damaged: skipped here, not when asked about
                    entry.saved_conversation = saved
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("skipping damaged history record %s: %s", path, exc)
                continue
            image_path = self.folder / f"{entry.id}.png"
            entry.image_path = image_path if image_path.is_file() else None
            entries.append(entry)
        return entries

    def clear(self) -> None:
        for path in self._records():
            self._delete(path.stem)


def _kind(value) -> str:
    """A saved record's kind; an unknown one (a newer version's) is a ValueError: the record is skipped."""
    if value not in KINDS:
        raise ValueError(f"unknown entry kind {value!r}")
    return value
