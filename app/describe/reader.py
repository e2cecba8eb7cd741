"""Read text: the exact text of a capture, shown, spoken and announced line by line as it is found.

The capture is the describe commands' own (the controller routes it here instead of to the model);
the lines come from the text reader (app/describe/ocr_owner.py) in reading order, and reach
the window, the voice and the screen reader through the presenter, as a description's text does:
each line is a piece of the pass, a blank line between blocks (as `python main.py read` prints
them). The result is a history entry of kind "read text"; copy and repeat read it from there.
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.describe.presenter import Presenter
from app.describe.ocr_owner import OcrOwner, tr
from app.storage.history import KIND_READ_TEXT, HistoryEntry
from app.ui.reporter import Reporter
from engine import flow
from engine.ocr.messages import NO_TEXT_MESSAGE, LineRead, ReadDone, ReadFailed
from engine.protocol import Stats, StopReason

POLL_S = 0.1  # how often the read looks at its stop event while waiting for the next line


def _tr(text: str) -> str:
    return QCoreApplication.translate("Controller", text)


class ReadText(QObject):
    _line = Signal(int, str)  # ticket, text (with the line break or blank line before it)
    _done = Signal(int, int)  # ticket, number of lines
    _failed = Signal(int, str)  # ticket, plain message

    def __init__(self, reader: OcrOwner, presenter: Presenter, reporter: Reporter, on_end: Callable[[], None],
                 parent: QObject | None = None):
        super().__init__(parent)
        self._reader, self._presenter, self._reporter, self._on_end = reader, presenter, reporter, on_end
        self._ticket: int | None = None  # the read being shown
        self._text = ""
        self._line.connect(self._on_line)
        self._done.connect(self._on_done)
        self._failed.connect(self._on_failed)

    @property
    def is_reading(self) -> bool:
        return self._ticket is not None

    def start(self, ticket: int, entry: HistoryEntry) -> None:
        """(GUI thread) Read `entry`'s image; the entry becomes the current one."""
        entry.kind = KIND_READ_TEXT
        self._ticket, self._text = ticket, ""
        self._presenter.begin_description(entry)
        self._reporter.report(_tr("Reading the text of {0}...").format(entry.source))
        image = entry.image
        self._reader.submit(lambda client, stop: self._read(client, stop, ticket, image),
                            lambda message: self._failed.emit(ticket, message))

    def stop(self) -> None:
        """(GUI thread) Stop reading at once: what was read so far stays in the window and the history."""
        self._ticket = None
        self._reader.cancel()

    # --- the text reader's thread -------------------------------------------------------------
    def _read(self, client, stop: threading.Event, ticket: int, image: np.ndarray) -> None:
        client.read(image)
        count, block = 0, None
        while not stop.is_set():
            event = client.next_event(POLL_S)
            if isinstance(event, LineRead):
                line = event.line
                before = "" if block is None else ("\n\n" if line.block != block else "\n")
                self._line.emit(ticket, before + line.text)
                count, block = count + 1, line.block
            elif isinstance(event, ReadDone):
                self._done.emit(ticket, count)
                return
            elif isinstance(event, ReadFailed):
                self._failed.emit(ticket, tr(event.message))
                return
        client.cancel()

    # --- the GUI thread ------------------------------------------------------------------------
    def _on_line(self, ticket: int, text: str) -> None:
        if ticket == self._ticket:
            self._text += text
            self._presenter.on_event(flow.TextChunk(text))

    def _on_done(self, ticket: int, count: int) -> None:
        if ticket != self._ticket:
            return
        if count == 0:  # said in plain words, and kept as an honest note
            self._presenter.current.is_note = True
            self._on_line(ticket, tr(NO_TEXT_MESSAGE))
        self._end()
        self._presenter.on_event(flow.PassDone(self._text, StopReason.END, Stats()))
        self._presenter.on_event(flow.Finished(is_answer=False))

    def _on_failed(self, ticket: int, message: str) -> None:
        if ticket == self._ticket:
            self._end()
            self._presenter.fail(message)

    def _end(self) -> None:
        self._ticket = None
        self._on_end()
