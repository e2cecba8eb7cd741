"""A description's image: the screen, the window the user works in, the clipboard, a file or a camera
picture, captured off the GUI thread (app/capture/jobs.py) and checked for a blank picture first.

The controller gives each capture its ticket (a new one replaces whatever was going on) and says
which ticket is current: results for any other are dropped. A whole screen's capture keeps the
desktop rectangle it shows, so the describe flow can be told where the user's window is in it.
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtGui import QGuiApplication

from app.capture.active_window import ActiveWindowTracker
from app.capture.advice import black_capture_advice, pointer_position
from app.capture.errors import CaptureError
from app.capture.jobs import CaptureJobs
from app.capture.mime import ImageSource, source_from_mime
from app.capture.screen import capture_region, screen_job, window_in_capture
from app.storage.history import HistoryEntry
from app.storage.settings import MONITORS, Settings
from app.ui.reporter import Reporter
from engine.images import DARK_LEVEL, check_uniform
from engine.timeline import CAPTURED, timeline


def _tr(text: str) -> str:
    return QCoreApplication.translate("Controller", text)


class Captures(QObject):
    started = Signal()  # a capture is under way; its status is shown next
    captured = Signal(int, object)  # ticket, HistoryEntry with the image (not a blank picture)
    blank = Signal(object, str)  # HistoryEntry with the image, the note saying what it shows
    failed = Signal(str)  # a plain message: nothing was captured

    def __init__(self, settings: Settings, reporter: Reporter, tracker: ActiveWindowTracker,
                 new_ticket: Callable[[], int], is_current: Callable[[int], bool], parent: QObject | None = None):
        super().__init__(parent)
        self.settings, self.reporter, self.tracker = settings, reporter, tracker
        self._new_ticket, self._is_current = new_ticket, is_current
        self.jobs = CaptureJobs(self)
        self.jobs.finished.connect(self._on_finished)
        self.jobs.failed.connect(self._on_failed)
        self._label = ""  # the source of the capture in flight
        self._is_screen_capture = False  # a black result then gets advice on permissions and curtains
        self._screen_regions: dict[int, dict] = {}  # ticket -> desktop rectangle a screen capture shows

    def screen(self) -> None:
        ticket = self._new_ticket()
        self._screen_regions.clear()  # the job puts the desktop rectangle it captured there
        job = screen_job(self.settings.get(MONITORS), pointer_position(), self._screen_regions, ticket)
        self._capture(_tr("Screen"), job, _tr("Capturing the screen..."), ticket, is_screen=True)

    def window(self) -> None:
        ticket = self._new_ticket()
        try:
            info = self.tracker.target()
        except CaptureError as exc:
            self.failed.emit(str(exc))
            return
        label = _tr("Window {0}").format(info.title) if info.title else _tr("Active window")
        job = lambda _abort: capture_region(info.left, info.top, info.width, info.height)  # noqa: E731
        self._capture(label, job, _tr("Capturing {0}...").format(label), ticket, is_screen=True)

    def clipboard(self) -> None:
        ticket = self._new_ticket()
        try:
            source = source_from_mime(QGuiApplication.clipboard().mimeData(), "clipboard")
        except CaptureError as exc:
            self.failed.emit(str(exc))
            return
        self.source(source, ticket)

    def source(self, source: ImageSource, ticket: int | None = None) -> None:
        self._capture(source.label, source.load, _tr("Opening {0}...").format(source.label), ticket)

    def image(self, rgb: np.ndarray, label: str) -> None:
        self._capture(label, lambda _abort: rgb, _tr("Describing {0}...").format(label))

    def _capture(self, label: str, job: Callable[[threading.Event], np.ndarray], status: str,
                 ticket: int | None = None, is_screen: bool = False) -> None:
        ticket = ticket if ticket is not None else self._new_ticket()
        self._label = label
        self._is_screen_capture = is_screen
        self.started.emit()
        self.reporter.show(status)  # not announced: "Describing" follows within moments
        self.jobs.run(ticket, job)

    def _on_failed(self, ticket: int, message: str) -> None:
        if self._is_current(ticket):
            self.failed.emit(message)

    def _on_finished(self, ticket: int, rgb: np.ndarray) -> None:
        if not self._is_current(ticket):
            return
        timeline.mark(CAPTURED)
        entry = HistoryEntry(source=self._label or _tr("Image"), image=rgb)
        uniform = check_uniform(rgb)
        if not uniform.is_uniform:
            self.captured.emit(ticket, entry)
            return
        note = uniform.describe()
        if self._is_screen_capture and sum(uniform.mean_rgb) / 3 <= DARK_LEVEL:
            note += " " + black_capture_advice()
        self.blank.emit(entry, note)

    def window_hint(self, ticket: int, shape: tuple) -> tuple[int, int, int, int] | None:
        """For a whole screen, the window the user works in (in image pixels): it matters most."""
        return window_in_capture(self._active_window_rect, self._screen_regions.pop(ticket, None), shape)

    def _active_window_rect(self) -> tuple[int, int, int, int]:
        info = self.tracker.target()
        return info.left, info.top, info.width, info.height

    def abandon(self) -> None:
        self.jobs.abandon()

    def close(self) -> None:
        self.jobs.close()
