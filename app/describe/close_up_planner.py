"""The describe flow's planner in the app (engine.flow.Planner): the second look's close-ups are
chosen with the image's text, as `describe --second-look` chooses them (engine/flow_run.py).

The text is read by the app's text reader (app/describe/ocr_owner.py, below the model worker's
CPU priority) while the glance is written: engine.ocr.grounding.read_whole waits at most a few
seconds more once the glance is done, then engine.flow.plan_close_ups chooses the regions with
the text boxes as well as the edge signal and gives each its text. A read that fails or is not
done in time leaves the close-ups to the edge signal alone. Asked for no close-ups (a one-pass
detailed description), it reads the text alone, which the description is then given. All of it
runs on the text reader's thread (scoring a large image alone takes 0.1-0.2 s); the choice comes
back on the GUI thread.
"""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.describe.ocr_owner import OcrOwner
from engine.flow import plan_close_ups
from engine.ocr.grounding import read_timeout_s, read_whole


class CloseUpPlanner(QObject):
    planned = Signal(int, object, bool, object)  # ticket, the close-ups, whether choosing them failed, the text

    def __init__(self, reader: OcrOwner, parent: QObject | None = None):
        super().__init__(parent)
        self._reader = reader
        self._glance_done = threading.Event()

    def __call__(self, ticket: int, rgb: np.ndarray, count: int, hint) -> None:
        glance_done = self._glance_done = threading.Event()

        def plan(client, stop: threading.Event) -> None:
            lines = read_whole(client, rgb, glance_done, read_timeout_s(count), stop=stop)
            if not stop.is_set():
                self.planned.emit(ticket, *plan_close_ups(rgb, count, hint, lines))

        self._reader.submit(plan, lambda _message: self.planned.emit(ticket, *plan_close_ups(rgb, count, hint)))

    def glance_finished(self) -> None:
        """The glance is written: the close-ups wait for the text only a little longer."""
        self._glance_done.set()
