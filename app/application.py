"""Puts the app together: window, actions, dialogs, controller, model setup, history, tray, global shortcuts.

Built after QApplication exists; shows the window at once and loads the model in the background.
`run_command` is where forwarded commands (desktop shortcuts, a second launch) arrive and `on_hotkey`
where global shortcuts do: neither raises or focuses the window, except "show" and "ask a follow-up".
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QApplication

from app.capture.active_window import ActiveWindowTracker
from app.capture.mime import ImageSource
from app.commands import BY_HOTKEY, forwarded_command
from app.describe.controller import Controller, is_app_active
from app.dialogs import Dialogs
from app.hotkeys import HotkeyManager
from app.model.model_setup import ModelSetup
from app.speech.speech_link import SpeechLink
from app.storage.history import HistoryEntry, HistoryStore
from app.storage.paths import history_dir
from app.storage.settings import (CLOSE_TO_TRAY, DESCRIPTION_TEXT_SIZE, DETAIL, EARCONS, OUTPUT, RATE, READER_CHANNEL,
                                  VOICE, VOLUME, Settings)
from app.ui import colour_scheme, focus_ring
from app.ui.actions import Actions
from app.ui.announcer import Announcer
from app.ui.history_panel import HistoryPanel
from app.ui.main_window import MainWindow
from app.ui.reporter import Reporter
from app.ui.tray import Tray
from engine.timeline import timeline

def _tr(text: str) -> str:
    return QCoreApplication.translate("Application", text)


class Application(QObject):
    def __init__(self, settings: Settings, speech: SpeechLink | None = None, model_dir_flag: str | None = None,
                 history_folder: Path | None = None, hang_timeout: float | None = None,
                 window_backend=None, hotkey_backend=None, quit_qt: bool = True,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.settings = settings
        focus_ring.install(QApplication.instance())
        colour_scheme.install(QApplication.instance()).follow(settings)  # before any window: none flashes
        self.actions = Actions(self)
        self.window = MainWindow(self.actions)
        self.page = self.window.main_page
        self.speech = speech or SpeechLink()
        self._apply_speech_settings()
        self.announcer = Announcer(self.page.description, self, link=self.speech)
        self.tracker = ActiveWindowTracker(self.window.own_handles, is_app_active, backend=window_backend,
                                           parent=self)
        self.reporter = Reporter(self.window.set_status, self.announcer, self.speech)  # the one way to tell the user
        self.controller = Controller(self.page, settings, self.speech, self.announcer, self.reporter,
                                     self.tracker, self)
        self.setup = ModelSetup(settings, self.window.first_run, self.reporter.report, model_dir_flag,
                                hang_timeout, self)
        self.history = HistoryPanel(self.page.history, HistoryStore(history_folder or history_dir()), settings,
                                    self.reporter.report, self.controller.reopen, self)
        self.tray = Tray(self.actions, self)
        self.hotkeys = HotkeyManager(backend=hotkey_backend, parent=self)
        self.dialogs = Dialogs(self.window, self.actions, settings, self.speech, self.controller, self.setup,
                               self.reporter, self.hotkeys, self.run_command)
        self._hotkey_problems: list[str] = []
        self.is_quitting = False
        self._has_ended_work = False
        self._should_quit_qt = quit_qt  # tests keep their QApplication running
        self._handlers = self._command_handlers()
        self._wire()

    def _command_handlers(self) -> dict[str, Callable[[], None]]:
        """What each command of app/commands.py's table does, whichever way it comes."""
        c, d = self.controller, self.dialogs
        return {
            "describe_screen": c.describe_screen, "describe_window": c.describe_window,
            "describe_clipboard": c.describe_clipboard, "open_image": d.open_image, "camera": d.open_camera,
            "read_screen": lambda: c.read_text(c.describe_screen),
            "read_window": lambda: c.read_text(c.describe_window),
            "read_clipboard": lambda: c.read_text(c.describe_clipboard),
            "read_file": lambda: d.open_image(is_read=True), "read_camera": lambda: d.open_camera(is_read=True),
            "describe_again": c.describe_again, "stop": c.stop, "repeat_last": c.repeat_last, "copy": c.copy,
            "ask": lambda: self.window.focus_main_page(self.page.question),
            "show_history": lambda: self.window.focus_main_page(self.page.history),
            "show_description": lambda: self.window.focus_main_page(self.page.description),
            "clear_history": lambda: self.history.ask_to_clear(self.window),
            "settings": d.open_settings,
            "setup_model": lambda: self.setup.need_setup(_tr("Choose or convert the model files.")),
            "shortcuts_help": d.show_shortcuts, "show_window": self.show_window, "quit": self.quit,
        }

    def _wire(self) -> None:
        a, c = self.actions, self.controller
        for command_id, action in a.by_id.items():
            handler = self._handlers[command_id]
            action.triggered.connect(lambda _=False, run=handler: run())
        for level, action in a.detail.items():
            action.triggered.connect(lambda _=False, lv=level: self.settings.set(DETAIL, lv))
        self.page.detail_chosen.connect(lambda level: self.settings.set(DETAIL, level))
        self.page.question_asked.connect(c.ask)
        self.settings.changed.connect(self._on_setting_changed)
        self.speech.error.connect(lambda message: self.reporter.report(message, is_error=True, should_speak=False))
        self.window.image_dropped.connect(self.controller.describe_source)
        self.window.drop_failed.connect(lambda message: self.reporter.report(message, True))
        self.window.should_hide_on_close = lambda: (not self.is_quitting and self.tray.is_available()
                                                    and self.settings.get(CLOSE_TO_TRAY))
        self.window.close_finished.connect(self.quit)
        self.hotkeys.activated.connect(self.on_hotkey)
        self.hotkeys.results_changed.connect(lambda _results: self._report_hotkey_problems())
        self.hotkeys.failed.connect(lambda message: self.reporter.report(message, is_error=True))
        self.setup.engine_started.connect(self._on_engine_started)
        self.setup.setup_needed.connect(self._on_setup_needed)
        c.entry_added.connect(self.history.add)
        c.entry_changed.connect(self.history.changed)
        self._sync_detail()
        self.page.set_text_size(self.settings.get(DESCRIPTION_TEXT_SIZE))

    # --- start and stop ------------------------------------------------------------------------
    def start(self, show: bool = True) -> None:
        if show:
            self.window.show()
        self.history.load_saved()
        self.tracker.start()
        self.setup.start()
        self.hotkeys.follow_settings(self.settings)
        if self.speech.unavailable_reason:
            self.reporter.report(self.speech.unavailable_reason, is_error=True, should_speak=False)

    def show_window(self) -> None:
        """Only on the user's explicit request (a plain second launch, the tray): raise and focus."""
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def quit(self) -> None:
        """Once, from the event loop (never inside another slot), in this order:

        1. timers and native connections: the global-shortcut thread ends and closes its X
           connection, then the active-window poll stops and closes its own;
        2. the controller records a description or read still being written, stops captures, ends the OCR;
        3. the engine worker ends (and a running conversion);
        4. speech and announcements stop;
        5. history and settings are flushed to disk;
        6. tray and window go, and Qt's loop ends.
        """
        if self.is_quitting:
            return
        self.is_quitting = True
        self.hotkeys.shutdown()
        self.tracker.stop()
        self.end_work()
        self.tray.hide()
        self.window.close()
        if self._should_quit_qt:
            QApplication.instance().quit()

    def end_work(self) -> None:
        """Steps 2 to 5 of quit(), which need no display (all launch/display_lost.py runs); again, only a flush."""
        if not self._has_ended_work:
            self._has_ended_work = True
            self.controller.shutdown()
            self.setup.shutdown()
            self.speech.shutdown()
            self.announcer.shutdown()
        self.flush()

    def flush(self) -> None:
        """Everything the user would lose is on disk (also when a session manager asks before a logout)."""
        self.history.flush()
        self.settings.flush()

    # --- engine ------------------------------------------------------------------------------
    def _on_engine_started(self, engine) -> None:
        self.controller.attach_engine(engine)
        engine.load_failed.connect(self.setup.need_setup)
        self.window.show_main()

    def _on_setup_needed(self, message: str) -> None:
        self.controller.detach_engine(message)
        self.window.show_setup()

    # --- commands ----------------------------------------------------------------------------------
    def run_command(self, request: dict) -> None:
        """A forwarded request (validated by app/launch/instance.py): the command of the table it names."""
        command = forwarded_command(request)
        if command is None or command.id not in self._handlers:
            return
        if command.forwarded.has_path:
            path = Path(request["path"])
            describe = lambda: self.controller.describe_source(ImageSource(label=path.name, path=path))  # noqa: E731
            self.controller.read_text(describe) if command.id == "read_file" else describe()
        else:
            self._handlers[command.id]()

    def on_hotkey(self, action_id: str) -> None:
        """A global shortcut, pressed in any app: act without raising our window (except to ask)."""
        command = BY_HOTKEY[action_id]
        if command.hotkey.shows_window:
            self.show_window()  # the user asked for the question box: it needs the keyboard
        self._handlers[command.id]()

    def _report_hotkey_problems(self) -> None:
        """Each new problem once (a busy combination, no global shortcuts in this session)."""
        problems = list(dict.fromkeys(self.hotkeys.problems()))
        for message in problems:
            if message not in self._hotkey_problems:
                self.reporter.report(message, is_error=True, should_speak=False)
        self._hotkey_problems = problems

    @property
    def entries(self) -> list[HistoryEntry]:
        return self.history.entries

    def status(self) -> dict:
        return {"phase": self.controller.phase, "status": self.controller.status_text,
                "engine_busy": self.controller.engine_busy, "speaking": self.speech.speech.is_speaking(),
                "hotkey_problems": self.hotkeys.problems(),
                "model": "ready" if self.controller.is_model_ready else
                         ("loading" if self.controller.has_model else "missing"),
                "description": self.page.text(), "history": len(self.entries),
                "screen_reader": self.speech.reader.describe(), "reader_channel": self.speech.route.channel,
                "voice_reads_results": self.speech.is_enabled, "timeline": timeline.last()}

    def _on_setting_changed(self, key: str) -> None:
        if key == DETAIL.key:
            self._sync_detail()
        elif key == DESCRIPTION_TEXT_SIZE.key:
            self.page.set_text_size(self.settings.get(DESCRIPTION_TEXT_SIZE))
        elif key in (OUTPUT.key, READER_CHANNEL.key, VOICE.key, RATE.key, VOLUME.key, EARCONS.key):
            self._apply_speech_settings()

    def _apply_speech_settings(self) -> None:
        s = self.settings
        self.speech.set_mode(s.get(OUTPUT), s.get(READER_CHANNEL))
        self.speech.set_voice(s.get(RATE), s.get(VOLUME), s.get(VOICE))
        self.speech.has_earcons = s.get(EARCONS)

    def _sync_detail(self) -> None:
        level = self.settings.get(DETAIL)
        self.page.set_detail(level)
        self.actions.detail[level].setChecked(True)
