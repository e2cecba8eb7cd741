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
from engine.client import Conversation
from engine.images import DARK_LEVEL, check_uniform
from engine.regions import DEFAULT_REGIONS, choose_regions, has_close_ups
from engine.user_text import TextError, check_language, check_question

log = logging.getLogger(__name__)
IDLE, CAPTURING, DESCRIBING, ANSWERING = "idle", "capturing", "describing", "answering"
GLANCE_DETAIL = "brief"  # the glance: the overview tile alone (256 image tokens), a short answer
# Close-ups in the second look, by the detail level the user chose (brief: the glance alone).
SECOND_LOOK_REGIONS = {"standard": DEFAULT_REGIONS, "detailed": 2 * DEFAULT_REGIONS}


def _tr(text: str) -> str:
    return QCoreApplication.translate("Controller", text)


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
        self._pending: tuple[str, str | None] | None = None  # (source label, question) of the request in flight
        self._is_screen_capture = False  # a black result then gets advice on permissions and curtains
        self._stream = ""
        self._engine_tickets: set[int] = set()  # requests the worker has not finished or cancelled yet
        self._told_set_aside: set[str] = set()  # history entries whose set-aside follow-ups were reported
        # Glance first: (ticket, the close-ups, the next one's index) while the glance or a close-up
        # runs; the text so far then prefixes the next close-up's in the history and the window.
        # The close-ups are None while they are being chosen, and a glance that ends before that
        # waits in _glance_done (its text and figures).
        self._second_look: tuple[int, list | None, int] | None = None
        self._glance_done: tuple[str, dict] | None = None
        self._look_failed = 0  # the ticket whose close-ups could not be chosen: the user is told at its end
        self._planner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="second-look")
        self._planned.connect(self._on_planned)
        self._description_prefix = ""
        self._screen_regions: dict[int, dict] = {}  # ticket -> desktop rectangle a screen capture shows
        self.active_window_rect: Callable[[], tuple[int, int, int, int] | None] = lambda: None
        page.question_asked.connect(self.ask)

    @property
    def engine_busy(self) -> bool:
        """True until the worker has confirmed the end of every request sent (done, cancelled, failed)."""
        return bool(self._engine_tickets)

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
            finished.connect(lambda ticket, *_rest: self._engine_tickets.discard(ticket))
        engine.loading.connect(self._on_loading)
        engine.loaded.connect(self._on_loaded)
        engine.load_failed.connect(self._on_load_failed)
        engine.chunk.connect(self._on_chunk)
        engine.done.connect(self._on_done)
        engine.failed.connect(self._on_failed)
        self._on_loading()  # now, not when the engine thread's signal arrives: the window shows it at once

    def detach_engine(self, message: str) -> None:
        self.engine, self.has_model, self.is_model_ready = None, False, False
        self._engine_tickets.clear()
        if self.phase != IDLE:
            self._set_phase(IDLE)
        self.report(message, is_error=True)

    def _on_loading(self) -> None:
        self.is_model_ready = False
        if self.phase == IDLE and self.status_text != _tr("Loading model..."):
            self.report(_tr("Loading model..."))

    def _on_loaded(self, _data: dict) -> None:
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
            self._record(self._stream)
            if self.engine is not None:
                self.engine.cancel()
        self._second_look, self._glance_done, self._description_prefix = None, None, ""
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
        self._pending = (label, None)
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
        label = self._pending[0] if self._pending else _tr("Image")
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
        detail = self.settings.get(DETAIL)
        glance_first = bool(self.settings.get(GLANCE_FIRST)) and detail in SECOND_LOOK_REGIONS and has_close_ups(rgb)
        entry.conversation = Conversation(rgb, GLANCE_DETAIL if glance_first else detail, language)
        self._second_look, self._glance_done, self._description_prefix = None, None, ""
        self._show_entry(entry)
        self._stream = ""
        self._set_phase(DESCRIBING)
        self.speech.resolve()
        self.speech.play_started()
        self.report(_tr("Describing {0}...").format(label) if self.is_model_ready
                    else _tr("Describing {0} as soon as the model has loaded...").format(label))
        self._engine_tickets.add(ticket)
        self.engine.describe(ticket, entry.conversation)
        if glance_first:
            # Chosen once the glance is on its way, and off the GUI thread: scoring a large image takes
            # 0.1-0.2 s, which would hold back the window and the screen reader's announcements.
            self._second_look = (ticket, None, 0)
            self._planner.submit(self._plan_second_look, ticket, rgb, SECOND_LOOK_REGIONS[detail],
                                 self._window_hint(ticket, rgb.shape))

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

    def _plan_second_look(self, ticket: int, rgb: np.ndarray, count: int, hint) -> None:
        """(Planner thread) Regions for the second, sharper look after a glance, most informative first."""
        try:
            regions, failed = choose_regions(rgb, count, hint=hint), False
        except Exception:  # never seen; the glance then stands alone rather than the request hanging
            log.exception("choosing the close-ups failed")
            regions, failed = [], True
        self._planned.emit(ticket, regions, failed)

    def _on_planned(self, ticket: int, regions: list, failed: bool) -> None:
        if self._second_look is None or self._second_look[0] != ticket or self._second_look[1] is not None:
            return  # replaced or stopped meanwhile
        self._second_look = (ticket, regions, 0) if regions else None
        if failed:
            self._look_failed = ticket
        if self._glance_done is not None:  # the glance ended first and waits for its close-ups
            text, data = self._glance_done
            self._glance_done = None
            if regions:
                self._look_closer(ticket, text)
            else:
                self._finish(text, data, was_question=False)

    def _look_closer(self, ticket: int, text_so_far: str) -> None:
        """The next close-up of the second look, one request each, most informative first.

        One close-up at a time (about one encode + prefill each) keeps speech going: its few
        sentences are written while the glance or the previous close-up is still being spoken.
        """
        _, regions, index = self._second_look
        self._second_look = (ticket, regions, index + 1) if index + 1 < len(regions) else None
        entry = self.current
        if text_so_far.strip():  # an empty answer leaves no blank paragraph behind
            self._description_prefix += text_so_far.strip() + "\n\n"
            self.page.append_text("\n\n")
        self._pending = (entry.source, None)
        self._stream = ""
        if index == 0:
            # Said after the glance (queued behind its last sentence, never over it): the user knows more is
            # coming, and that Stop now keeps just the glance.
            self._say_with_results(_tr("Taking a closer look."))
        self.reporter.show(_tr("Taking a closer look ({0} of {1})...").format(index + 1, len(regions)))
        self._engine_tickets.add(ticket)
        self.engine.refine(ticket, entry.conversation, [regions[index]])

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
        if entry.conversation is None:  # reopened from saved history: rebuild the turns
            entry.conversation = Conversation(entry.image, self.settings.get(DETAIL),
                                              self.settings.get(LANGUAGE) or None)
            turns = [{"role": "assistant", "content": entry.description}]
            for q, a in entry.exchanges:
                turns += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
            entry.conversation.turns = turns
        self._pending = (entry.source, question)
        self._stream = ""
        self.page.question.clear()
        self.page.append_text(_tr("\n\nQ: {0}\nA: ").format(question))
        self._set_phase(ANSWERING)
        self.speech.resolve()
        self.speech.play_started()
        self.report(_tr("Answering..."))
        self._engine_tickets.add(ticket)
        self.engine.ask(ticket, entry.conversation, question)

    # --- streamed results -----------------------------------------------------------------------
    def _on_chunk(self, ticket: int, text: str) -> None:
        if ticket != self.ticket or self.phase not in (DESCRIBING, ANSWERING):
            return
        self._stream += text
        self.page.append_text(text)
        self._announce_results(self.speech.feed(text))

    def _on_done(self, ticket: int, data: dict) -> None:
        if ticket != self.ticket or self.phase not in (DESCRIBING, ANSWERING):
            return
        self._announce_results(self.speech.finish())
        text = str(data.get("text", self._stream))
        was_question = self._pending is not None and self._pending[1] is not None
        self._record(text)
        if self._second_look is not None and self._second_look[0] == ticket and not was_question:
            if self._second_look[1] is None:  # its close-ups are still being chosen
                self._glance_done = (text, data)
            else:
                self._look_closer(ticket, text)
            return
        self._finish(text, data, was_question)

    def _finish(self, text: str, data: dict, was_question: bool) -> None:
        """The description or answer is complete: copy it if asked, and say anything the user should know."""
        self._set_phase(IDLE)
        copied = bool(self.settings.get(COPY_RESULTS) and text.strip())
        if copied:
            QGuiApplication.clipboard().setText(text.strip() if was_question else self.page.text().strip())
        entry_id = self.current.id if self.current is not None else None
        stats = data.get("stats") or {}
        notices = []  # honest about memory: what the model no longer holds, or why an answer stopped
        if self._look_failed == self.ticket and not was_question:
            notices.append(_tr("A sharper look was not possible this time, so this is the quick description."))
        self._look_failed = 0
        if stats.get("set_aside_turns") and entry_id not in self._told_set_aside:
            # once per image: answers can no longer draw on the earliest questions
            self._told_set_aside.add(entry_id)
            notices.append(_tr("To make room, the model no longer remembers your earliest questions about this image."))
        if stats.get("answer_room") and data.get("stop_reason") == "limit":
            notices.append(_tr("The answer stopped early: the model's memory for this image is full. "
                               "A lower detail level leaves more room."))
        if notices:
            notice = " ".join(notices)
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

    def _record(self, text: str) -> None:
        if self.current is None or self._pending is None:
            return
        question = self._pending[1]
        if question is None:
            self.current.description = self._description_prefix + text
        else:
            self.current.exchanges.append((question, text))
        self._pending = None
        self.entry_changed.emit(self.current)

    def _on_failed(self, ticket: int, _kind: str, message: str) -> None:
        if ticket not in (0, self.ticket):
            return
        if self.phase in (DESCRIBING, ANSWERING):
            self._record(self._stream)
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
        text = self.page.text().strip()
        if not text:
            self.report(_tr("There is no description to copy yet."), is_error=True)
            return
        QGuiApplication.clipboard().setText(text)
        self.report(_tr("Description copied."))

    def repeat_last(self) -> None:
        """Say the current description and answers again, from the start."""
        text = self.page.text().strip()
        if not text:
            self.report(_tr("There is no description to repeat yet."), is_error=True)
            return
        self.speech.stop()
        self.announcer.cancel()
        self.speech.resolve()
        if self.speech.announces_results:
            self.announcer.announce(text)
        self.speech.say_text(text)

    def reopen(self, entry: HistoryEntry) -> None:
        self._new_ticket()
        self._set_phase(IDLE)
        self.current = entry
        self.page.set_text(entry.full_text())
        self.report(_tr("Reopened {0}.").format(entry.title()))

    def set_detail(self, level: str) -> None:
        self.settings.set(DETAIL, level)

    def shutdown(self) -> None:
        if self.phase in (DESCRIBING, ANSWERING):  # what was written so far goes into the history, as on Stop
            self._record(self._stream)
        self.speech.stop()
        self.jobs.close()
        self._planner.shutdown(wait=True, cancel_futures=True)


def is_app_active() -> bool:
    return QGuiApplication.applicationState() == Qt.ApplicationState.ApplicationActive
