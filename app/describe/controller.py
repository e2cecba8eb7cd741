"""What happens when the user asks for a description: routing from a command to a capture (app/describe/captures.py),
the describe flow (engine/flow.py) and the presenter (app/describe/presenter.py), which shows and speaks it.

Each request gets a new ticket; captures and engine events carrying an older ticket
are dropped, so pressing a key again simply replaces what was going on. Every status
and error is shown in the status line and announced; errors are also spoken, and
none of this moves focus or raises the window (a desktop shortcut may have started it).
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication

from app.capture.active_window import ActiveWindowTracker
from app.describe.captures import Captures
from app.describe.close_up_planner import CloseUpPlanner
from app.describe.follow_up import follow_up_problem
from app.describe.ocr_owner import OcrOwner
from app.describe.presenter import DescriptionView, Presenter
from app.describe.reader import ReadText
from app.speech.speech_link import SpeechLink
from app.storage.history import HistoryEntry
from app.storage.settings import DETAIL, GLANCE_FIRST, LANGUAGE, Settings
from app.ui.announcer import Announcer
from app.ui.reporter import Reporter
from engine import flow
from engine.flow import DescribeFlow, Request, description_request
from engine.timeline import MODEL_READY, timeline
from engine.user_text import TextError, check_language

IDLE, CAPTURING, DESCRIBING, ANSWERING, READING = "idle", "capturing", "describing", "answering", "reading"


def _tr(text: str) -> str:
    return QCoreApplication.translate("Controller", text)


class Controller(QObject):
    entry_added = Signal(object)  # HistoryEntry
    entry_changed = Signal(object)
    phase_changed = Signal(str)

    def __init__(self, page: DescriptionView, settings: Settings, speech: SpeechLink, announcer: Announcer,
                 reporter: Reporter, tracker: ActiveWindowTracker, parent: QObject | None = None):
        super().__init__(parent)
        self.settings, self.speech, self.announcer = settings, speech, announcer
        self.reporter = reporter
        self.report = reporter.report
        self.presenter = Presenter(page, settings, speech, announcer, self.reporter, self.entry_added.emit,
                                   self.entry_changed.emit)
        self.captures = c = Captures(settings, reporter, tracker, self._new_ticket, lambda t: t == self.ticket, self)
        c.started.connect(lambda: self._set_phase(CAPTURING))
        c.captured.connect(self._on_captured)
        c.blank.connect(self._on_blank)
        c.failed.connect(self._refuse)
        self.describe_screen, self.describe_window, self.describe_clipboard = c.screen, c.window, c.clipboard
        self.describe_source, self.describe_image = c.source, c.image
        self.engine, self.is_model_ready, self.has_model = None, False, False
        self.phase, self.ticket = IDLE, 0
        self.ocr = OcrOwner()  # the text reader's process: Read text and the second look's text
        self._planner = CloseUpPlanner(self.ocr, self)
        self.reading = ReadText(self.ocr, self.presenter, reporter, lambda: self._set_phase(IDLE), self)
        self._reading_ticket = 0  # the capture with this ticket is read, not described
        self.flow = DescribeFlow(None, self._on_flow_event, self._planner)  # the engine, once attached
        self._planner.planned.connect(self.flow.planned)
        self.copy, self.repeat_last = self.presenter.copy, self.presenter.repeat

    @property
    def current(self) -> HistoryEntry | None:
        return self.presenter.current

    @property
    def engine_busy(self) -> bool:
        """True until the worker has confirmed the end of every request sent (done, cancelled, failed)."""
        return self.engine is not None and self.engine.is_busy

    @property
    def status_text(self) -> str:
        return self.reporter.status_text

    def _set_phase(self, phase: str) -> None:
        self.phase = phase
        self.phase_changed.emit(phase)

    # --- engine -------------------------------------------------------------------------------
    def attach_engine(self, engine) -> None:
        self.engine, self.has_model, self.is_model_ready = engine, True, False
        self.flow.attach(engine)
        engine.loading.connect(self._on_loading)
        engine.loaded.connect(self._on_loaded)
        engine.load_failed.connect(self._on_load_failed)
        engine.chunk.connect(self.flow.chunk)
        engine.done.connect(self.flow.done)
        engine.cancelled.connect(self.flow.cancelled)
        engine.failed.connect(self._on_failed)
        self._on_loading()  # now, not when the engine thread's signal arrives: the window shows it at once

    def detach_engine(self, message: str) -> None:
        self.engine, self.has_model, self.is_model_ready = None, False, False
        self.flow.attach(None)  # the engine is being let go: nothing more is sent to it
        self.flow.stop()
        if self.phase != IDLE:
            self._set_phase(IDLE)
        self.report(message, is_error=True)

    def _on_loading(self) -> None:
        self.is_model_ready = False
        if self.phase == IDLE and self.status_text != _tr("Loading model..."):
            self.report(_tr("Loading model..."))

    def _on_loaded(self, loaded) -> None:
        self.is_model_ready = True
        timeline.event(MODEL_READY)
        if self.phase == IDLE:  # a GPU that could not hold the model: the user is told why it will be slower
            self.report(_tr("Ready.") if not loaded.has_gpu_failed else
                        _tr("Ready. The GPU could not load the model, so the processor runs it, more slowly."))

    def _on_load_failed(self, message: str) -> None:
        self.is_model_ready = False
        self._refuse(message)

    # --- requests -------------------------------------------------------------------------------
    def _new_ticket(self) -> int:
        """Replace whatever was going on: silence, keep the partial text, cancel the request."""
        self.speech.stop()
        self.announcer.cancel()
        self.captures.abandon()
        self.presenter.stop()
        self.flow.stop()
        self.reading.stop()
        self.ticket += 1
        timeline.begin()
        return self.ticket

    def read_text(self, describe: Callable[[], None]) -> None:
        """Read the text of what `describe` (a describe command) captures, instead of describing it."""
        describe()
        self._reading_ticket = self.ticket

    def describe_again(self) -> None:
        image = self.current.load_image() if self.current is not None else None
        if image is None:
            self.report(_tr("There is no image to describe again yet."), is_error=True)
            return
        self.describe_image(image, self.current.source)

    def _refuse(self, message: str) -> None:
        """The request cannot go on: back to idle, and the user is told why."""
        self._set_phase(IDLE)
        self.report(message, is_error=True)

    def _on_blank(self, entry: HistoryEntry, note: str) -> None:
        self._set_phase(IDLE)
        self.presenter.show_note(entry, note)

    def _on_captured(self, ticket: int, entry: HistoryEntry) -> None:
        rgb, label = entry.image, entry.source
        if ticket == self._reading_ticket:
            self._set_phase(READING)
            return self.reading.start(ticket, entry)
        if not self.has_model:
            return self._refuse(_tr("The model is not set up yet, so nothing can be described. Open Set up model "
                                    "in the Edit menu."))
        try:
            language = check_language(self.settings.get(LANGUAGE) or None)
        except TextError as exc:
            return self._refuse(str(exc) + " " + _tr("Change it in Settings."))
        hint = self.captures.window_hint(ticket, rgb.shape)
        request = description_request(ticket, rgb, self.settings.get(DETAIL), language,
                                      bool(self.settings.get(GLANCE_FIRST)), hint)
        entry.conversation = request.conversation
        self.presenter.begin_description(entry)
        self._set_phase(DESCRIBING)
        self.report(_tr("Describing {0}...").format(label) if self.is_model_ready
                    else _tr("Describing {0} as soon as the model has loaded...").format(label))
        self.flow.start(request)

    def _on_flow_event(self, ticket: int, event: flow.FlowEvent) -> None:
        if ticket != self.ticket:
            return
        if isinstance(event, flow.Failed):
            self._fail(event.message)
            return
        if isinstance(event, flow.Finished):
            self._set_phase(IDLE)
        elif isinstance(event, flow.PassDone):
            self._planner.glance_finished()
        self.presenter.on_event(event)

    def ask(self, question: str) -> None:
        question = question.strip()
        detail, language = self.settings.get(DETAIL), self.settings.get(LANGUAGE) or None
        problem = follow_up_problem(question, self.current, self.engine is not None, detail, language)
        if problem is not None:  # the question stays in its box, to be changed
            return self.report(problem, is_error=True)
        ticket = self._new_ticket()
        conversation = self.current.follow_up_conversation(detail, language)
        self.presenter.begin_answer(question)
        self._set_phase(ANSWERING)
        self.report(_tr("Answering..."))
        self.flow.start(Request(ticket, conversation, question))

    def _on_failed(self, ticket: int, kind: str, message: str) -> None:
        if ticket == 0:  # no request: the worker was lost between requests
            self._fail(message)
        else:
            self.flow.failed(ticket, kind, message)

    def _fail(self, message: str) -> None:
        self._set_phase(IDLE)
        self.presenter.fail(message)

    # --- stop and copy --------------------------------------------------------------------------
    def stop(self) -> None:
        was_busy = self.phase != IDLE
        self._new_ticket()
        self._set_phase(IDLE)
        self.report(_tr("Stopped.") if was_busy else _tr("Speech stopped."))

    def reopen(self, entry: HistoryEntry) -> None:
        self._new_ticket()
        self._set_phase(IDLE)
        self.presenter.show_entry(entry, is_new=False)
        self.report(_tr("Reopened {0}.").format(entry.title()))

    def shutdown(self) -> None:
        self.presenter.stop()  # what was written or read so far goes into the history, as on Stop
        self.reading.stop()
        self.speech.stop()
        self.captures.close()
        self.ocr.shutdown()  # the text reader's process ends here, before the engine worker


def is_app_active() -> bool:
    return QGuiApplication.applicationState() == Qt.ApplicationState.ApplicationActive
