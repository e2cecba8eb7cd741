"""How a description or answer reaches the user: the window's text, speech, the screen reader, the
status line and the clipboard, written from the describe flow's events (engine/flow.py).

The current history entry is the record: each pass writes its text into it as it arrives (the
description, with the glance and close-ups so far, or the answer to a question), and the window,
copy, repeat and the saved history all read it from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication

from app.speech.speech_link import SpeechLink
from app.storage.history import HistoryEntry
from app.storage.settings import COPY_RESULTS, Settings
from app.ui.announcer import Announcer
from app.ui.reporter import Reporter
from engine import flow
from engine.notices import NOTICE_TEXTS
from engine.timeline import FIRST_TOKEN, timeline


def _tr(text: str) -> str:
    return QCoreApplication.translate("Controller", text)


class DescriptionView(Protocol):
    """The part of the window that shows the description (app/ui/main_page.py)."""

    def set_text(self, text: str) -> None: ...
    def append_text(self, text: str) -> None: ...
    def clear_question(self) -> None: ...


@dataclass
class Shown:
    """The request being shown: where its passes write, and what to say at its end."""

    entry: HistoryEntry
    question: str | None = None  # None: the description (glance and close-ups)
    stream: str = ""  # the current pass's text so far
    prefix: str = ""  # the glance and close-ups before this pass
    is_writing: bool = False
    notices: list[str] = field(default_factory=list)


class Presenter:
    def __init__(self, view: DescriptionView, settings: Settings, speech: SpeechLink, announcer: Announcer,
                 reporter: Reporter, entry_added: Callable[[HistoryEntry], None],
                 entry_changed: Callable[[HistoryEntry], None]):
        self.view, self.settings, self.speech, self.announcer, self.reporter = (
            view, settings, speech, announcer, reporter)
        self._entry_added, self._entry_changed = entry_added, entry_changed
        self.current: HistoryEntry | None = None
        self._shown: Shown | None = None

    # --- starting ------------------------------------------------------------------------------
    def show_entry(self, entry: HistoryEntry, is_new: bool = True) -> None:
        self.current, self._shown = entry, None
        self.view.set_text(entry.full_text())
        if is_new:
            self._entry_added(entry)

    def show_note(self, entry: HistoryEntry, note: str) -> None:
        """An honest note instead of a description (a black or blank image)."""
        entry.description, entry.is_note = note, True
        self.show_entry(entry)
        self.speech.resolve()
        self.reporter.report(note)
        self.speech.say(note)
        if self.settings.get(COPY_RESULTS):
            self._to_clipboard(note)
        self._entry_changed(entry)

    def begin_description(self, entry: HistoryEntry) -> None:
        self.show_entry(entry)
        self._shown = Shown(entry)
        self._start_pass()
        self._begin_sound()

    def begin_answer(self, question: str) -> None:
        entry = self.current
        entry.exchanges.append((question, ""))
        self._shown = Shown(entry, question)
        self._start_pass()
        self.view.clear_question()
        self.view.append_text(_tr("\n\nQ: {0}\nA: ").format(question))
        self._begin_sound()

    def _begin_sound(self) -> None:
        self.speech.resolve()
        self.speech.play_started()

    # --- the flow's events ---------------------------------------------------------------------
    def on_event(self, event: flow.FlowEvent) -> None:
        shown = self._shown
        if shown is None:
            return
        if isinstance(event, flow.TextChunk):
            timeline.mark(FIRST_TOKEN)
            shown.stream += event.text
            self._write(shown.stream)
            self.view.append_text(event.text)
            self._announce_results(self.speech.feed(event.text))
        elif isinstance(event, flow.PassDone):
            self._announce_results(self.speech.finish())
            self._write(event.text)
            self.end_pass()
        elif isinstance(event, flow.CloseUp):
            self._look_closer(event)
        elif isinstance(event, flow.Notice):
            shown.notices.append(QCoreApplication.translate("Notices", NOTICE_TEXTS[event.kind]))
        elif isinstance(event, flow.Finished):
            self._finish(shown)

    def _look_closer(self, close_up: flow.CloseUp) -> None:
        """A close-up of the second look is asked for: it follows the text so far after a blank line.

        One close-up at a time (about one encode + prefill each) keeps speech going: its few
        sentences are written while the glance or the previous close-up is still being spoken.
        """
        shown = self._shown
        if shown.stream.strip():  # an empty answer leaves no blank paragraph behind
            shown.prefix += shown.stream.strip() + "\n\n"
            self.view.append_text("\n\n")
        self._start_pass()
        if close_up.index == 1:
            # Said after the glance (queued behind its last sentence, never over it): the user knows more is
            # coming, and that Stop now keeps just the glance.
            self._say_with_results(_tr("Taking a closer look."))
        self.reporter.show(_tr("Taking a closer look ({0} of {1})...").format(close_up.index, close_up.total))

    def _finish(self, shown: Shown) -> None:
        """The description or answer is complete: copy it if asked, and say anything the user should know."""
        self._shown = None
        is_answer = shown.question is not None
        text = shown.entry.exchanges[-1][1] if is_answer else shown.entry.full_text()
        copied = bool(self.settings.get(COPY_RESULTS) and text.strip())
        if copied:
            self._to_clipboard(text.strip())
        if shown.notices:  # honest about memory: what the model no longer holds, or why an answer stopped
            notice = " ".join(shown.notices)
            self.reporter.show(_tr("Ready.") + " " + notice)
            self._say_with_results(notice)
        elif copied:
            self.reporter.show(_tr("Ready. Copied to the clipboard."))
        else:
            self.reporter.show(_tr("Ready."))  # not announced: the end is, just below
        # The one place the end of a description or answer is announced: politely, after its last sentence.
        self.announcer.announce(_tr("Answer finished.") if is_answer else
                                _tr("Reading finished.") if shown.entry.is_read_text else _tr("Description finished."))

    def fail(self, message: str) -> None:
        """The request failed: what was said stays, the message follows it in the window."""
        if self._shown is not None:
            self.end_pass()
            self._shown = None
            self.view.append_text("\n\n" + message)
        self.speech.stop()
        self.reporter.report(message, is_error=True)

    # --- the record ----------------------------------------------------------------------------
    def _start_pass(self) -> None:
        self._shown.stream, self._shown.is_writing = "", True
        self._write("")  # a close-up's blank line is kept even if it is stopped before a word

    def _write(self, text: str) -> None:
        """The pass's text so far, into the current entry."""
        shown = self._shown
        if shown is None or not shown.is_writing:
            return
        if shown.question is None:
            shown.entry.description = shown.prefix + text
        else:
            shown.entry.exchanges[-1] = (shown.question, text)

    def end_pass(self) -> None:
        """The pass ended (done, or stopped with what it had said): the entry is saved as it is."""
        shown = self._shown
        if shown is not None and shown.is_writing:
            shown.is_writing = False
            self._entry_changed(shown.entry)

    def stop(self) -> None:
        """A new request or Stop replaces this one: what was said is kept."""
        self.end_pass()
        self._shown = None

    # --- copy and repeat -------------------------------------------------------------------------
    def text(self) -> str:
        """The current description and answers, as the window shows them (without error messages)."""
        return self.current.full_text().strip() if self.current is not None else ""

    def copy(self) -> None:
        text = self.text()
        if not text:
            self.reporter.report(_tr("There is no description to copy yet."), is_error=True)
            return
        self._to_clipboard(text)
        self.reporter.report(_tr("Description copied."))

    def repeat(self) -> None:
        """Say the current description and answers again, from the start."""
        text = self.text()
        if not text:
            self.reporter.report(_tr("There is no description to repeat yet."), is_error=True)
            return
        self.speech.stop()
        self.announcer.cancel()
        self.speech.resolve()
        if self.speech.announces_results:
            self.announcer.announce(text)
        self.speech.say_text(text)

    @staticmethod
    def _to_clipboard(text: str) -> None:
        QGuiApplication.clipboard().setText(text)

    def _say_with_results(self, text: str) -> None:
        """A short note in the stream of results, by whichever output reads them (queued, never over them)."""
        self._announce_results([text])
        self.speech.say(text)

    def _announce_results(self, sentences: list[str]) -> None:
        if self.speech.announces_results:
            for sentence in sentences:
                self.announcer.announce(sentence)
