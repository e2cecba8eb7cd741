"""The describe flow's planner in the app (engine.flow.Planner): the second look's close-ups are
chosen on a thread of their own, since scoring a large image takes 0.1-0.2 s, which would hold
back the window and the screen reader's announcements; the choice comes back on the GUI thread."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine.flow import plan_close_ups


class CloseUpPlanner(QObject):
    planned = Signal(int, object, bool)  # ticket, the close-ups, whether choosing them failed

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="second-look")

    def __call__(self, ticket: int, rgb: np.ndarray, count: int, hint) -> None:
        self._pool.submit(lambda: self.planned.emit(ticket, *plan_close_ups(rgb, count, hint)))

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
