"""Read text in the assembled app (offscreen Qt), with the real OCR process on screens rendered with
real fonts: the words reach the window, the voice, the screen reader and the history; Stop ends a
read at once; a crash of the OCR process is one plain message; the second look is grounded in the text.

No model is needed to read text, so most of these run without one (the setup page shows, as on a
fresh machine).
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np
from PySide6.QtGui import QGuiApplication

from engine.bench.text_screens import ui_screen
from engine.ocr.messages import NO_TEXT_MESSAGE
from engine.ocr.process import DIED_MESSAGE
from engine.ocr.recall import word_recall, words
from tests.engine.ocr.conftest import latin_font  # noqa: F401 (the fixture: the font the screens are drawn in)
from tests.app.helpers import REQUEST_MS, Announcements, spy_on_second_looks, start_ready, wait_idle, write_png

READ_MS = 120_000  # a read loads the OCR models first; the 2 cores are shared with other tests
MIN_RECALL = 0.9


def _read_file(application, path) -> None:
    application.run_command({"command": "read-file", "path": str(path)})


def _recall(screen, text: str) -> float:
    return word_recall(screen.lines, text.splitlines())


def _said(application) -> str:
    return " ".join(application.speech.speech.spoken)


def test_read_text_of_a_file_is_shown_spoken_announced_copied_and_kept_in_history(
        make_app, qtbot, tmp_path, settings, latin_font):
    from app.storage.history import KIND_READ_TEXT, HistoryStore
    from app.storage.settings import SAVE_HISTORY

    settings.set(SAVE_HISTORY, True)
    screen = ui_screen(900, 560, 14, seed=11)
    application = make_app()
    application.start()
    heard = Announcements(application.announcer)
    _read_file(application, write_png(tmp_path / "dialog.png", screen.image))
    qtbot.waitUntil(lambda: application.controller.phase == "reading", timeout=REQUEST_MS)
    wait_idle(application, qtbot, READ_MS)

    shown = application.page.text()
    assert _recall(screen, shown) >= MIN_RECALL, shown
    assert words(shown.splitlines()[0])[:1] == words(screen.lines[0])[:1]  # in reading order, from the top
    assert _recall(screen, "\n".join(application.speech.speech.spoken)) >= MIN_RECALL  # spoken line by line
    assert _recall(screen, "\n".join(heard.texts())) >= MIN_RECALL  # and announced
    assert "Reading finished." in heard.texts() and not heard.errors()

    entry = application.entries[-1]
    assert entry.kind == KIND_READ_TEXT and entry.description == shown and not entry.is_note
    application.controller.copy()
    assert QGuiApplication.clipboard().text() == shown

    application.quit()  # saved; a new session reopens it as read text
    saved = HistoryStore(tmp_path / "history").load()
    assert [(e.kind, e.description) for e in saved] == [(KIND_READ_TEXT, shown)]
    again = make_app()
    again.start()
    again.controller.reopen(again.entries[-1])
    assert again.page.text() == shown and again.controller.current.is_read_text


def test_stop_during_a_read_ends_it_and_its_speech_at_once(make_app, qtbot, tmp_path, latin_font):
    screen = ui_screen(1920, 1080, 12, seed=12)  # dozens of lines, read in small batches
    application = make_app()
    application.start()
    _read_file(application, write_png(tmp_path / "busy.png", screen.image))
    qtbot.waitUntil(lambda: bool(application.page.text().strip()), timeout=READ_MS)
    stops = application.speech.speech.stops
    started = time.monotonic()
    application.controller.stop()
    assert time.monotonic() - started < 0.3
    assert application.controller.phase == "idle" and application.speech.speech.stops > stops
    assert application.controller.status_text == "Stopped."
    assert not application.controller.reading.is_reading
    kept, spoken = application.page.text(), len(application.speech.speech.spoken)
    qtbot.wait(1500)  # nothing of the stopped read arrives later
    assert application.page.text() == kept and len(application.speech.speech.spoken) == spoken
    assert _recall(screen, kept) < 1.0 and application.entries[-1].description == kept


def test_no_text_and_a_black_image_are_said_in_plain_words(make_app, qtbot, tmp_path):
    application = make_app()
    application.start()
    gradient = np.repeat(np.linspace(40, 200, 640, dtype=np.uint8)[None, :, None], 400, axis=0).repeat(3, axis=2)
    _read_file(application, write_png(tmp_path / "sky.png", gradient))
    wait_idle(application, qtbot, READ_MS)
    assert application.page.text() == NO_TEXT_MESSAGE and NO_TEXT_MESSAGE in _said(application)
    assert application.entries[-1].is_note

    _read_file(application, write_png(tmp_path / "black.png", np.zeros((300, 400, 3), np.uint8)))
    qtbot.waitUntil(lambda: "black" in application.page.text().lower(), timeout=REQUEST_MS)
    assert application.controller.phase == "idle" and "black" in _said(application).lower()


def test_a_crash_of_the_ocr_process_is_one_plain_message_and_the_next_read_works(
        make_app, qtbot, tmp_path, latin_font):
    screen = ui_screen(1920, 1080, 12, seed=13)
    application = make_app()
    application.start()
    heard = Announcements(application.announcer)
    path = write_png(tmp_path / "busy.png", screen.image)
    _read_file(application, path)
    qtbot.waitUntil(lambda: bool(application.page.text().strip()), timeout=READ_MS)
    os.kill(application.controller.ocr.pid, signal.SIGSEGV)  # as a crash inside onnxruntime would end it
    wait_idle(application, qtbot, READ_MS)
    assert heard.errors() == [DIED_MESSAGE] and application.window.isVisible()
    small = ui_screen(640, 240, 16, seed=14)
    _read_file(application, write_png(tmp_path / "small.png", small.image))
    wait_idle(application, qtbot, READ_MS)
    assert _recall(small, application.page.text()) >= MIN_RECALL


def test_the_second_look_in_the_app_is_grounded_in_the_text_read_beside_the_glance(
        make_app, model_dir, qtbot, tmp_path, latin_font, monkeypatch):
    from engine.ocr import grounding

    # Load-independent: the close-ups wait for the whole read (on an idle host they wait at most
    # AFTER_GLANCE_WAIT_S after the glance, which the OCR tests measure).
    monkeypatch.setattr(grounding, "AFTER_GLANCE_WAIT_S", grounding.READ_TIMEOUT_S)
    screen = ui_screen(1366, 768, 14, seed=15)
    application = start_ready(make_app(), qtbot)
    looks = spy_on_second_looks(application)
    application.run_command({"command": "describe-file", "path": str(write_png(tmp_path / "s.png", screen.image))})
    wait_idle(application, qtbot, READ_MS)
    assert looks, "the second look asked for close-ups"
    grounded = [region.text for regions in looks for region in regions if region.text]
    assert grounded, "each close-up carries the text read inside it"
    assert all(word_recall(text.splitlines(), screen.lines) > 0.8 for text in grounded)  # the screen's own
    assert application.controller.ocr.pid is not None, "the text reader ran beside the description"


def test_a_one_pass_detailed_description_in_the_app_is_given_the_whole_images_text(
        make_app, model_dir, qtbot, tmp_path, latin_font, settings):
    from app.storage.settings import DETAIL, GLANCE_FIRST

    settings.set(DETAIL, "detailed")
    settings.set(GLANCE_FIRST, False)  # one pass at the detailed level: its text is read first
    screen = ui_screen(1366, 768, 14, seed=16)
    application = start_ready(make_app(), qtbot)
    engine = application.setup.engine
    described = []
    describe = engine.describe

    def recording(ticket, conversation):
        described.append(conversation.instruction)
        describe(ticket, conversation)

    engine.describe = recording
    application.run_command({"command": "describe-file", "path": str(write_png(tmp_path / "s.png", screen.image))})
    wait_idle(application, qtbot, READ_MS)
    assert len(described) == 1 and described[0], "the description was sent once, with the text"
    given = described[0].split("\n", 2)[-1].splitlines()
    assert word_recall(screen.lines, given) >= 0.98  # the screen's own text, nearly all of it
    assert application.entries[-1].conversation.instruction == described[0]  # kept with the history entry


def test_the_read_text_shortcut_is_named_registered_changeable_and_can_be_turned_off(make_app, qtbot, settings):
    from app.hotkeys import NullBackend
    from app.ui.settings_dialog import SettingsDialog

    backend = NullBackend()
    application = make_app(hotkey_backend=backend)
    application.start()
    qtbot.waitUntil(lambda: "read_screen" in backend.bindings)
    assert backend.bindings["read_screen"].to_text() == "Ctrl+Alt+Shift+T"
    dialog = SettingsDialog(settings, application.window)
    qtbot.addWidget(dialog)
    box, edit = dialog.shortcut_controls["read_screen"]
    assert box.accessibleName() == "Read the text on the screen" and box.isChecked()
    assert edit.accessibleName() == "Keys for Read the text on the screen" and edit.text() == "Ctrl+Alt+Shift+T"
    edit.setText("Ctrl+Alt+Shift+X")
    dialog.accept()
    qtbot.waitUntil(lambda: backend.bindings["read_screen"].to_text() == "Ctrl+Alt+Shift+X")
    dialog = SettingsDialog(settings, application.window)
    qtbot.addWidget(dialog)
    dialog.shortcut_controls["read_screen"][0].setChecked(False)
    dialog.accept()
    qtbot.waitUntil(lambda: "read_screen" not in backend.bindings)
    application.on_hotkey("read_screen")  # pressed anyway (a desktop's own binding): the screen is read
    qtbot.waitUntil(lambda: application.controller.phase == "idle")
    assert application.controller.status_text  # no display here: the capture's plain refusal


def test_every_read_command_is_in_the_window_the_menu_and_the_tray(make_app):
    application = make_app()
    menus = {action.text() for menu in application.window.menuBar().findChildren(type(application.tray.menu))
             for action in menu.actions()}
    for command in ("read_screen", "read_window", "read_clipboard", "read_file", "read_camera"):
        assert getattr(application.actions, command).text() in menus
    button = next(b for b in application.page.buttons if b.defaultAction() is application.actions.read_screen)
    assert button.accessibleName() == "Read text on screen"
    assert application.actions.read_screen in application.tray.menu.actions()
