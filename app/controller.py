"""What happens when the user asks for a description: capture, check, describe, stream, speak.

Each request gets a new ticket; captures and engine events carrying an older ticket
are dropped, so pressing a key again simply replaces what was going on. Every status
and error is shown in the status line and announced; errors are also spoken, and
none of this moves focus or raises the window (a desktop shortcut may have started it).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication

from app.capture.advice import black_capture_advice, pointer_position
from app.capture.errors import CaptureError
from app.capture.jobs import CaptureJobs
from app.capture.mime import ImageSource, source_from_mime
from app.history import HistoryEntry
from app.reporter import Reporter
from app.settings import COPY_RESULTS, DETAIL, GLANCE_FIRST, LANGUAGE, MONITORS, Settings
from app.speech_link import SpeechLink
from app.ui.announcer import Announcer
from app.ui.main_page import MainPage
from engine import flow
from engine.flow import DescribeFlow, Request, description_request, plan_close_ups
from engine.images import DARK_LEVEL, check_uniform
from engine.notices import NOTICE_TEXTS
from engine.user_text import TextError, check_language, check_question

log = logging.getLogger(__name__)
IDLE, CAPTURING, DESCRIBING, ANSWERING = "idle", "capturing", "describing", "answering"


def _tr(text: str) -> str:
    return QCoreApplication.translate("Controller", text)


class _SentRequests:
    """The engine bridge as the describe flow sends to it, noting each ticket until the engine ends it."""

    def __init__(self, controller: "Controller"):
        self._controller = controller
        self.open_tickets: set[int] = set()  # requests the worker has not finished or cancelled yet

    def describe(self, ticket, conversation) -> None:
        self.open_tickets.add(ticket)
        self._controller.engine.describe(ticket, conversation)

    def ask(self, ticket, conversation, question) -> None:
        self.open_tickets.add(ticket)
        self._controller.engine.ask(ticket, conversation, question)

    def refine(self, ticket, conversation, regions) -> None:
        self.open_tickets.add(ticket)
        self._controller.engine.refine(ticket, conversation, regions)

    def cancel(self) -> None:
        if self._controller.engine is not None:
            self._controller.engine.cancel()


class Controller(QObject):
    entry_added = Signal(object)  # HistoryEntry
    entry_changed = Signal(object)
    phase_changed = Signal(str)
    _planned = Signal(int, object, bool)  # ticket, the second look's close-ups (chosen off the GUI thread), failed

    def __init__(self, page: MainPage, settings: Settings, speech: SpeechLink, announcer: Announcer,
                 set_status: Callable[[str], None],
                 capture_window: Callable[[], tuple[str, Callable[[], np.ndarray]]],
                 parent: QObject | None = None):
        super().__init__(parent)
        self.page, self.settings, self.speech, self.announcer = page, settings, speech, announcer
        self.reporter = Reporter(set_status, announcer, speech)
        self.report = self.reporter.report
        self._capture_window = capture_window
        self.jobs = CaptureJobs(self)
        self.jobs.finished.connect(self._on_captured)
        self.jobs.failed.connect(self._on_capture_failed)
        self.engine = None
        self.is_model_ready = False
        self.has_model = False
        self.phase = IDLE
        self.ticket = 0
        self.current: HistoryEntry | None = None
        self._label = ""  # the source of the capture in flight
        # The pass in flight writes into the current entry (the source of the window's text, copy,
        # repeat and the saved history): its description, or the answer to `_question`.
        self._question: str | None = None
        self._is_writing = False
        self._is_screen_capture = False  # a black result then gets advice on permissions and curtains
        self._stream = ""  # the current pass's text so far
        self._sent = _SentRequests(self)
        self.flow = DescribeFlow(self._sent, self._on_flow_event, self._plan)
        self._planner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="second-look")
        self._planned.connect(self.flow.planned)
        self._notices: list[str] = []  # what the user should know about the request, said at its end
        self._description_prefix = ""  # the glance and close-ups so far: the next close-up's text follows
        self._screen_regions: dict[int, dict] = {}  # ticket -> desktop rectangle a screen capture shows
        self.active_window_rect: Callable[[], tuple[int, int, int, int] | None] = lambda: None
        page.question_asked.connect(self.ask)

    @property
    def engine_busy(self) -> bool:
        """True until the worker has confirmed the end of every request sent (done, cancelled, failed)."""
        return bool(self._sent.open_tickets)

    @property
    def status_text(self) -> str:
        return self.reporter.status_text

    def _set_phase(self, phase: str) -> None:
        self.phase = phase
        self.phase_changed.emit(phase)

    # --- engine -------------------------------------------------------------------------------
    def attach_engine(self, engine) -> None:
        self.engine = engine
        self.has_model = True
        self.is_model_ready = False
        for finished in (engine.done, engine.cancelled, engine.failed):  # first: a second look re-adds its ticket
            finished.connect(lambda ticket, *_rest: self._sent.open_tickets.discard(ticket))
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
        self.flow.stop()
        self._sent.open_tickets.clear()
        if self.phase != IDLE:
            self._set_phase(IDLE)
        self.report(message, is_error=True)

    def _on_loading(self) -> None:
        self.is_model_ready = False
        if self.phase == IDLE and self.status_text != _tr("Loading model..."):
            self.report(_tr("Loading model..."))

    def _on_loaded(self, _loaded) -> None:
        self.is_model_ready = True
        if self.phase == IDLE:
            self.report(_tr("Ready."))

    def _on_load_failed(self, message: str) -> None:
        self.is_model_ready = False
        self._set_phase(IDLE)
        self.report(message, is_error=True)

    # --- requests -------------------------------------------------------------------------------
    def _new_ticket(self) -> int:
        """Replace whatever was going on: silence, keep the partial text, cancel the request."""
        self.speech.stop()
        self.announcer.cancel()
        self.jobs.abandon()
        if self.phase in (DESCRIBING, ANSWERING):
            self._end_pass()
        self.flow.stop()
        self._notices, self._description_prefix = [], ""
        self.ticket += 1
        return self.ticket

    def describe_screen(self) -> None:
        policy, pointer = self.settings.get(MONITORS), pointer_position()
        from app.capture.screen import capture_screen_region

        ticket = self._new_ticket()
        regions = self._screen_regions
        regions.clear()

        def job(_abort) -> np.ndarray:
            rgb, region = capture_screen_region(policy, pointer)
            regions[ticket] = region  # read on the GUI thread once the capture is delivered
            return rgb

        self._capture(_tr("Screen"), job, _tr("Capturing the screen..."), ticket, is_screen=True)

    def describe_window(self) -> None:
        ticket = self._new_ticket()
        try:
            label, job = self._capture_window()
        except CaptureError as exc:
            self._set_phase(IDLE)
            self.report(str(exc), is_error=True)
            return
        self._capture(label, lambda _abort: job(), _tr("Capturing {0}...").format(label), ticket, is_screen=True)

    def describe_clipboard(self) -> None:
        ticket = self._new_ticket()
        try:
            source = source_from_mime(QGuiApplication.clipboard().mimeData(), "clipboard")
        except CaptureError as exc:
            self._set_phase(IDLE)
            self.report(str(exc), is_error=True)
            return
        self.describe_source(source, ticket)

    def describe_source(self, source: ImageSource, ticket: int | None = None) -> None:
        self._capture(source.label, source.load, _tr("Opening {0}...").format(source.label), ticket)

    def describe_image(self, rgb: np.ndarray, label: str) -> None:
        self._capture(label, lambda _abort: rgb, _tr("Describing {0}...").format(label))

    def describe_again(self) -> None:
        image = self.current.load_image() if self.current is not None else None
        if image is None:
            self.report(_tr("There is no image to describe again yet."), is_error=True)
            return
        self.describe_image(image, self.current.source)

    def _capture(self, label: str, job: Callable[[threading.Event], np.ndarray], status: str,
                 ticket: int | None = None, is_screen: bool = False) -> None:
        ticket = ticket if ticket is not None else self._new_ticket()
        self._label = label
        self._is_screen_capture = is_screen
        self._set_phase(CAPTURING)
        self.reporter.show(status)  # not announced: "Describing" follows within moments
        self.jobs.run(ticket, job)

    def _on_capture_failed(self, ticket: int, message: str) -> None:
        if ticket != self.ticket:
            return
        self._set_phase(IDLE)
        self.report(message, is_error=True)

    def _on_captured(self, ticket: int, rgb: np.ndarray) -> None:
        if ticket != self.ticket:
            return
        label = self._label or _tr("Image")
        entry = HistoryEntry(source=label, image=rgb)
        uniform = check_uniform(rgb)
        if uniform.is_uniform:
            note = uniform.describe()
            if self._is_screen_capture and sum(uniform.mean_rgb) / 3 <= DARK_LEVEL:
                note += " " + black_capture_advice()
            entry.description, entry.is_note = note, True
            self._show_entry(entry)
            self._set_phase(IDLE)
            self.speech.resolve()
            self.report(note)
            self.speech.say(note)
            if self.settings.get(COPY_RESULTS):
                QGuiApplication.clipboard().setText(note)
            self.entry_changed.emit(entry)
            return
        if not self.has_model:
            self._set_phase(IDLE)
            self.report(_tr("The model is not set up yet, so nothing can be described. Open Set up model in the "
                            "Edit menu."), is_error=True)
            return
        try:
            language = check_language(self.settings.get(LANGUAGE) or None)
        except TextError as exc:
            self._set_phase(IDLE)
            self.report(str(exc) + " " + _tr("Change it in Settings."), is_error=True)
            return
        request = description_request(ticket, rgb, self.settings.get(DETAIL), language,
                                      bool(self.settings.get(GLANCE_FIRST)), self._window_hint(ticket, rgb.shape))
        entry.conversation = request.conversation
        self._show_entry(entry)
        self._start_pass(None)
        self._set_phase(DESCRIBING)
        self.speech.resolve()
        self.speech.play_started()
        self.report(_tr("Describing {0}...").format(label) if self.is_model_ready
                    else _tr("Describing {0} as soon as the model has loaded...").format(label))
        self.flow.start(request)

    def _window_hint(self, ticket: int, shape: tuple) -> tuple[int, int, int, int] | None:
        """For a whole screen, the window the user works in (in image pixels): it matters most."""
        region = self._screen_regions.pop(ticket, None)
        if region is None:
            return None
        from app.capture.screen import rect_in_image

        try:
            return rect_in_image(self.active_window_rect(), region, shape)
        except Exception:  # no window known, or the window system refused: look where the text is
            log.info("no active window for the second look", exc_info=True)
            return None

    def _plan(self, ticket: int, rgb: np.ndarray, count: int, hint) -> None:
        """The flow's planner: the close-ups are chosen on the planner thread, handed back on the GUI thread."""
        self._planner.submit(lambda: self._planned.emit(ticket, *plan_close_ups(rgb, count, hint)))

    def _on_flow_event(self, ticket: int, event: flow.FlowEvent) -> None:
        if ticket != self.ticket:
            return
        if isinstance(event, flow.TextChunk):
            self._stream += event.text
            self._write(self._stream)
            self.page.append_text(event.text)
            self._announce_results(self.speech.feed(event.text))
        elif isinstance(event, flow.PassDone):
            self._announce_results(self.speech.finish())
            self._write(event.text)
            self._end_pass()
        elif isinstance(event, flow.CloseUp):
            self._look_closer(event)
        elif isinstance(event, flow.Notice):
            self._notices.append(QCoreApplication.translate("Notices", NOTICE_TEXTS[event.kind]))
        elif isinstance(event, flow.Finished):
            self._finish(event.is_answer)
        elif isinstance(event, flow.Failed):
            self._fail(event.message)

    def _look_closer(self, close_up: flow.CloseUp) -> None:
        """A close-up of the second look is asked for: it follows the text so far after a blank line.

        One close-up at a time (about one encode + prefill each) keeps speech going: its few
        sentences are written while the glance or the previous close-up is still being spoken.
        """
        entry = self.current
        if self._stream.strip():  # an empty answer leaves no blank paragraph behind
            self._description_prefix += self._stream.strip() + "\n\n"
            self.page.append_text("\n\n")
        self._start_pass(None)
        if close_up.index == 1:
            # Said after the glance (queued behind its last sentence, never over it): the user knows more is
            # coming, and that Stop now keeps just the glance.
            self._say_with_results(_tr("Taking a closer look."))
        self.reporter.show(_tr("Taking a closer look ({0} of {1})...").format(close_up.index, close_up.total))

    def _show_entry(self, entry: HistoryEntry) -> None:
        self.current = entry
        self.page.set_text(entry.description)
        self.entry_added.emit(entry)

    def ask(self, question: str) -> None:
        question = question.strip()
        if not question:
            self.report(_tr("Type a question first, then press Enter."), is_error=True)
            return
        try:
            check_question(question)
        except TextError as exc:  # the question stays in the box, to be shortened
            self.report(str(exc), is_error=True)
            return
        if self.current is None or self.current.is_note or self.current.load_image() is None:
            self.report(_tr("There is no image to ask about. Describe something first."), is_error=True)
            return
        if self.engine is None:
            self.report(_tr("The model is not set up yet. Open Set up model in the Edit menu."), is_error=True)
            return
        ticket = self._new_ticket()
        entry = self.current
        conversation = entry.follow_up_conversation(self.settings.get(DETAIL), self.settings.get(LANGUAGE) or None)
        entry.exchanges.append((question, ""))
        self._start_pass(question)
        self.page.question.clear()
        self.page.append_text(_tr("\n\nQ: {0}\nA: ").format(question))
        self._set_phase(ANSWERING)
        self.speech.resolve()
        self.speech.play_started()
        self.report(_tr("Answering..."))
        self.flow.start(Request(ticket, conversation, question))

    # --- results -------------------------------------------------------------------------------
    def _finish(self, was_question: bool) -> None:
        """The description or answer is complete: copy it if asked, and say anything the user should know."""
        self._set_phase(IDLE)
        text = self.current.exchanges[-1][1] if was_question else self.current.full_text()
        copied = bool(self.settings.get(COPY_RESULTS) and text.strip())
        if copied:
            QGuiApplication.clipboard().setText(text.strip())
        if self._notices:  # honest about memory: what the model no longer holds, or why an answer stopped
            notice = " ".join(self._notices)
            self.reporter.show(_tr("Ready.") + " " + notice)
            self._say_with_results(notice)
        elif copied:
            self.reporter.show(_tr("Ready. Copied to the clipboard."))
        else:
            self.reporter.show(_tr("Ready."))  # not announced: the end is, just below
        # The one place the end of a description or answer is announced: politely, after its last sentence.
        self.announcer.announce(_tr("Answer finished.") if was_question else _tr("Description finished."))

    def _say_with_results(self, text: str) -> None:
        """A short note in the stream of results, by whichever output reads them (queued, never over them)."""
        self._announce_results([text])
        self.speech.say(text)

    def _announce_results(self, sentences: list[str]) -> None:
        if self.speech.announces_results:
            for sentence in sentences:
                self.announcer.announce(sentence)

    def _start_pass(self, question: str | None) -> None:
        self._question, self._stream, self._is_writing = question, "", True
        self._write("")  # a close-up's blank line is kept even if it is stopped before a word

    def _write(self, text: str) -> None:
        """The pass's text so far, into the current entry."""
        if not self._is_writing or self.current is None:
            return
        if self._question is None:
            self.current.description = self._description_prefix + text
        else:
            self.current.exchanges[-1] = (self._question, text)

    def _end_pass(self) -> None:
        if self._is_writing and self.current is not None:
            self._is_writing = False
            self.entry_changed.emit(self.current)

    def _on_failed(self, ticket: int, kind: str, message: str) -> None:
        if ticket == 0:  # no request: the worker was lost between requests
            self._fail(message)
        else:
            self.flow.failed(ticket, kind, message)

    def _fail(self, message: str) -> None:
        if self.phase in (DESCRIBING, ANSWERING):
            self._end_pass()
            self.page.append_text("\n\n" + message)
        self.speech.stop()
        self._set_phase(IDLE)
        self.report(message, is_error=True)

    # --- stop and copy --------------------------------------------------------------------------
    def stop(self) -> None:
        was_busy = self.phase != IDLE
        self._new_ticket()
        self._set_phase(IDLE)
        self.report(_tr("Stopped.") if was_busy else _tr("Speech stopped."))

    def copy(self) -> None:
        text = self._text()
        if not text:
            self.report(_tr("There is no description to copy yet."), is_error=True)
            return
        QGuiApplication.clipboard().setText(text)
        self.report(_tr("Description copied."))

    def repeat_last(self) -> None:
        """Say the current description and answers again, from the start."""
        text = self._text()
        if not text:
            self.report(_tr("There is no description to repeat yet."), is_error=True)
            return
        self.speech.stop()
        self.announcer.cancel()
        self.speech.resolve()
        if self.speech.announces_results:
            self.announcer.announce(text)
        self.speech.say_text(text)

    def _text(self) -> str:
        """The current description and answers, as the window shows them (without error messages)."""
        return self.current.full_text().strip() if self.current is not None else ""

    def reopen(self, entry: HistoryEntry) -> None:
        self._new_ticket()
        self._set_phase(IDLE)
        self.current = entry
        self.page.set_text(entry.full_text())
        self.report(_tr("Reopened {0}.").format(entry.title()))

    def set_detail(self, level: str) -> None:
        self.settings.set(DETAIL, level)

    def shutdown(self) -> None:
        self.speech.stop()
        self.jobs.close()
        self._planner.shutdown(wait=True, cancel_futures=True)


def is_app_active() -> bool:
    return QGuiApplication.applicationState() == Qt.ApplicationState.ApplicationActive
