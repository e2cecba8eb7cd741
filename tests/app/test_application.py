"""The assembled app on the offscreen platform, with the tiny real model in a real worker process.

Each test drives the app the way a user does (drop, paste, actions, the question box)
and checks what a blind user gets: the text in the description view, the status line,
the screen-reader announcements, the speech, and that focus never moved.
"""

from __future__ import annotations

import os
import signal

import numpy as np
import psutil
from PIL import Image
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QPushButton

from app.capture.qimage import rgb_to_qimage
from tests.app.helpers import (LOAD_MS, REQUEST_MS, Announcements, drop, file_mime, noise, spy_on_second_looks,
                               start_ready, wait_idle, write_png)


def _focus_question(application, qtbot):
    application.window.activateWindow()
    application.page.question.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is application.page.question)


def test_the_window_shows_at_once_and_the_model_loads_in_the_background(make_app, model_dir, qtbot):
    application = make_app()
    heard = Announcements(application.announcer)
    application.start()
    assert application.window.isVisible()  # before the model has loaded
    assert application.window.status_label.text() == "Loading model..."
    qtbot.waitUntil(lambda: application.controller.is_model_ready, timeout=LOAD_MS)
    # The tiny test model's vision encoder is F16: on a processor with AVX512_BF16 a one-time tip
    # about re-converting is said too (tests/app/test_reconvert_hint.py); it is not a load step.
    assert [t for t in heard.texts() if not t.startswith("Tip:")] == ["Loading model...", "Ready."]
    # the tip's feature check is a child process of its own, which may end before or after the load
    status = application.window.status_label.text()
    assert status == "Ready." or status.startswith("Tip:")
    assert not application.window.is_setup_shown()


def test_a_dropped_image_file_is_described_streaming_spoken_and_announced(make_app, model_dir, qtbot, tmp_path):
    application = start_ready(make_app(), qtbot)
    heard = Announcements(application.announcer)
    _focus_question(application, qtbot)
    chunks = []
    application.setup.engine.chunk.connect(lambda _t, text: chunks.append(text))
    assert drop(application.window, file_mime(write_png(tmp_path / "photo.png")))
    wait_idle(application, qtbot)
    text = application.page.text()
    assert text and text == "".join(chunks) and len(chunks) > 1  # it streamed in
    assert application.entries[-1].source == "photo.png" and application.entries[-1].description == text
    assert application.page.history.count() == 1
    spoken = application.speech.speech.spoken
    assert spoken and "".join(spoken).replace(" ", "") == text.replace(" ", "").strip()
    assert heard.texts()[0] == "Describing photo.png..." and set(spoken) <= set(heard.texts())
    assert application.window.status_label.text() == "Ready."
    assert QApplication.focusWidget() is application.page.question  # announcements never moved focus


def test_image_data_on_the_clipboard_is_described(make_app, model_dir, qtbot):
    application = start_ready(make_app(), qtbot)
    QGuiApplication.clipboard().setImage(rgb_to_qimage(noise(seed=3)))
    application.actions.describe_clipboard.trigger()
    wait_idle(application, qtbot)
    assert application.entries[-1].source == "Clipboard image"
    assert application.page.text()


def _expect_error(application, qtbot, heard, words: str, previous_text: str) -> None:
    qtbot.waitUntil(lambda: any(words in text for text in heard.errors()), timeout=REQUEST_MS)
    status = application.window.status_label.text()
    assert words in status and "Traceback" not in status
    assert any(words in said for said in application.speech.speech.spoken)  # spoken as well
    assert application.page.text() == previous_text  # nothing lost
    assert application.controller.phase == "idle"


def test_a_large_image_from_anywhere_is_glanced_at_first_then_looked_at_closer(make_app, model_dir, qtbot, tmp_path):
    """Not only screens: a pasted or opened photo is spoken from the overview within seconds too."""
    application = start_ready(make_app(), qtbot)  # the default detail level, standard: three close-ups at most
    looks = spy_on_second_looks(application)
    assert drop(application.window, file_mime(write_png(tmp_path / "big.png", noise(1600, 1000, seed=4))))
    wait_idle(application, qtbot)
    entry = application.entries[-1]
    assert entry.conversation.detail == "brief" and 1 <= len(looks) <= 3
    assert [t["role"] for t in entry.conversation.turns] == ["assistant"] + ["user", "assistant"] * len(looks)
    assert entry.description == application.page.text() and "Taking a closer look." in application.speech.speech.spoken


def _choose_regions_when_released(monkeypatch, result=None):
    """Holds the app's choice of close-ups until the test releases it; notes the thread it ran on."""
    import threading

    import engine.flow as flow_module

    release, threads = threading.Event(), []
    real = flow_module.choose_regions

    def held(*args, **kwargs):
        threads.append(threading.current_thread())
        assert release.wait(60)
        if isinstance(result, Exception):
            raise result
        return real(*args, **kwargs) if result is None else result

    monkeypatch.setattr(flow_module, "choose_regions", held)
    return release, threads


def _glance_over(application) -> bool:
    return bool(application.entries and application.entries[-1].description and not application.controller.engine_busy)


def test_close_ups_are_chosen_off_the_gui_thread_and_a_glance_that_ends_first_waits_for_them(
        make_app, model_dir, qtbot, tmp_path, monkeypatch):
    import threading

    release, threads = _choose_regions_when_released(monkeypatch)
    application = start_ready(make_app(), qtbot)
    looks = spy_on_second_looks(application)
    assert drop(application.window, file_mime(write_png(tmp_path / "big.png", noise(1600, 1000, seed=5))))
    controller = application.controller
    try:
        # the glance is over (the engine has nothing left to do) while the close-ups are still being chosen
        qtbot.waitUntil(lambda: _glance_over(application) and len(threads) == 1, timeout=REQUEST_MS)
        assert threads[0] is not threading.main_thread() and controller.phase == "describing" and looks == []
        glance = application.entries[-1].description
    finally:
        release.set()
    wait_idle(application, qtbot)
    assert len(looks) >= 1 and application.page.text().startswith(glance.strip() + "\n\n")
    assert "Taking a closer look." in application.speech.speech.spoken


def test_if_no_close_ups_can_be_chosen_the_glance_stands_alone(make_app, model_dir, qtbot, tmp_path, monkeypatch):
    release, threads = _choose_regions_when_released(monkeypatch, RuntimeError("scoring failed"))
    application = start_ready(make_app(), qtbot)
    looks = spy_on_second_looks(application)
    assert drop(application.window, file_mime(write_png(tmp_path / "big.png", noise(1600, 1000, seed=6))))
    try:
        qtbot.waitUntil(lambda: _glance_over(application) and len(threads) == 1, timeout=REQUEST_MS)
    finally:
        release.set()
    wait_idle(application, qtbot)
    entry = application.entries[-1]
    assert looks == [] and entry.description == application.page.text() != ""
    assert [t["role"] for t in entry.conversation.turns] == ["assistant"]
    assert "Taking a closer look." not in application.speech.speech.spoken
    # never a silent failure: the user is told this is only the quick description
    notice = "A sharper look was not possible this time, so this is the quick description."
    assert application.window.status_label.text() == "Ready. " + notice
    assert notice in application.speech.speech.spoken


def test_bad_input_gets_a_plain_message_shown_spoken_and_announced_and_loses_nothing(
        make_app, model_dir, qtbot, tmp_path):
    application = start_ready(make_app(), qtbot)
    drop(application.window, file_mime(write_png(tmp_path / "first.png")))
    wait_idle(application, qtbot)
    before, entries = application.page.text(), len(application.entries)
    heard = Announcements(application.announcer)
    _focus_question(application, qtbot)

    (tmp_path / "notes.png").write_text("these are my notes, not a picture")
    drop(application.window, file_mime(tmp_path / "notes.png"))
    _expect_error(application, qtbot, heard, "not an image", before)

    data = (tmp_path / "first.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    drop(application.window, file_mime(tmp_path / "cut.png"))
    _expect_error(application, qtbot, heard, "damaged or incomplete", before)

    Image.new("1", (9000, 9000)).save(tmp_path / "bomb.png")  # 81 million pixels, a few kilobytes
    drop(application.window, file_mime(tmp_path / "bomb.png"))
    _expect_error(application, qtbot, heard, "too large", before)

    mime = QMimeData()
    mime.setText("just some text")
    QGuiApplication.clipboard().setMimeData(mime)
    application.actions.describe_clipboard.trigger()
    _expect_error(application, qtbot, heard, "clipboard has no image", before)

    assert len(application.entries) == entries
    assert QApplication.focusWidget() is application.page.question


def test_a_black_image_is_reported_honestly_and_never_sent_to_the_model(make_app, model_dir, qtbot, tmp_path):
    application = start_ready(make_app(), qtbot)
    phases = []
    application.controller.phase_changed.connect(phases.append)
    application.run_command({"command": "describe-file", "path": str(write_png(
        tmp_path / "black.png", np.zeros((50, 80, 3), dtype=np.uint8)))})
    wait_idle(application, qtbot)
    assert "completely black" in application.page.text()
    assert "describing" not in phases
    assert application.entries[-1].is_note


def test_a_follow_up_question_typed_in_the_box_streams_its_answer_below(make_app, model_dir, qtbot, tmp_path):
    application = start_ready(make_app(), qtbot)
    heard = Announcements(application.announcer)
    drop(application.window, file_mime(write_png(tmp_path / "photo.png")))
    wait_idle(application, qtbot)
    description = application.page.text()
    _focus_question(application, qtbot)
    qtbot.keyClicks(application.page.question, "What colour is the sky?")
    qtbot.keyClick(application.page.question, Qt.Key.Key_Return)
    wait_idle(application, qtbot)
    assert [t for t in heard.texts() if t.endswith("finished.")] == ["Description finished.", "Answer finished."]
    text = application.page.text()
    assert text.startswith(description + "\n\nQ: What colour is the sky?\nA: ")
    (question, answer), = application.entries[-1].exchanges
    assert question == "What colour is the sky?" and answer and text.endswith(answer)
    assert application.page.question.text() == ""
    assert QApplication.focusWidget() is application.page.question


def test_asking_with_nothing_described_says_what_to_do(make_app, model_dir, qtbot):
    application = start_ready(make_app(), qtbot)
    heard = Announcements(application.announcer)
    application.controller.ask("What is this?")
    assert heard.errors() == ["There is no image to ask about. Describe something first."]
    application.controller.ask("   ")
    assert heard.errors()[-1] == "Type a question first, then press Enter."


def test_stop_ends_the_description_and_the_speech_at_once(make_app, model_dir, qtbot, tmp_path, settings):
    from app.storage.settings import DETAIL

    settings.set(DETAIL, "detailed")
    application = start_ready(make_app(), qtbot)
    stops = application.speech.speech.stops
    stopped = []

    def stop_at_first_words(*_):
        if not stopped:
            stopped.append(True)
            application.actions.stop.trigger()

    application.setup.engine.chunk.connect(stop_at_first_words)
    drop(application.window, file_mime(write_png(tmp_path / "big.png", noise(900, 700))))
    qtbot.waitUntil(lambda: bool(stopped), timeout=REQUEST_MS)
    assert application.window.status_label.text() == "Stopped."
    assert application.speech.speech.stops > stops
    text = application.page.text()
    qtbot.wait(800)
    assert application.page.text() == text  # nothing more arrives after Stop
    assert application.entries[-1].description == text


def test_copy_puts_the_description_and_answers_on_the_clipboard(make_app, model_dir, qtbot, tmp_path):
    application = start_ready(make_app(), qtbot)
    heard = Announcements(application.announcer)
    application.actions.copy.trigger()
    assert heard.errors() == ["There is no description to copy yet."]
    drop(application.window, file_mime(write_png(tmp_path / "photo.png")))
    wait_idle(application, qtbot)
    application.actions.copy.trigger()
    assert QGuiApplication.clipboard().text() == application.page.text().strip()
    assert heard.texts()[-1] == "Description copied."


def test_a_worker_that_dies_mid_description_is_reported_and_the_next_request_works(
        make_app, model_dir, qtbot, tmp_path, settings):
    from app.storage.settings import DETAIL

    settings.set(DETAIL, "detailed")
    application = start_ready(make_app(), qtbot)
    heard = Announcements(application.announcer)
    pid = application.setup.engine.worker_pid
    # killed as the first words arrive: a long description is still being generated
    application.setup.engine.chunk.connect(lambda *_: psutil.pid_exists(pid) and os.kill(pid, signal.SIGKILL))
    drop(application.window, file_mime(write_png(tmp_path / "big.png", noise(900, 700))))
    qtbot.waitUntil(lambda: bool(heard.errors()), timeout=REQUEST_MS)
    assert "stopped unexpectedly" in heard.errors()[0]
    assert "stopped unexpectedly" in application.page.text()  # reviewable after the partial text
    assert application.speech.earcons.played[-1].value == "failed"
    qtbot.waitUntil(lambda: application.controller.is_model_ready, timeout=LOAD_MS)
    settings.set(DETAIL, "brief")
    application.actions.describe_again.trigger()
    wait_idle(application, qtbot)
    assert "stopped unexpectedly" not in application.page.text() and application.page.text()


def test_history_entries_reopen_and_take_their_own_follow_ups(make_app, model_dir, qtbot, tmp_path):
    application = start_ready(make_app(), qtbot)
    for name, seed in (("one.png", 1), ("two.png", 2)):
        drop(application.window, file_mime(write_png(tmp_path / name, noise(seed=seed))))
        wait_idle(application, qtbot)
    first, second = application.entries
    history = application.page.history
    assert history.count() == 2 and "one.png" in history.item(0).text()
    history.setFocus()
    history.setCurrentRow(0)
    qtbot.keyClick(history, Qt.Key.Key_Return)
    assert application.page.text() == first.description
    assert application.controller.current is first
    application.controller.ask("And the corners?")
    wait_idle(application, qtbot)
    assert first.exchanges and not second.exchanges


def test_history_is_saved_only_when_the_user_opts_in(make_app, model_dir, qtbot, tmp_path, settings):
    from app.storage.settings import SAVE_HISTORY

    folder = tmp_path / "history"
    application = start_ready(make_app(history_folder=folder), qtbot)
    drop(application.window, file_mime(write_png(tmp_path / "private.png")))
    wait_idle(application, qtbot)
    assert not folder.exists() or not any(folder.iterdir())
    settings.set(SAVE_HISTORY, True)
    drop(application.window, file_mime(write_png(tmp_path / "kept.png", noise(seed=9))))
    wait_idle(application, qtbot)
    assert len(list(folder.glob("*.json"))) == 1 and len(list(folder.glob("*.png"))) == 1
    application.quit()
    again = make_app(history_folder=folder)
    again.start()
    assert [e.source for e in again.entries] == ["kept.png"]
    assert again.page.history.count() == 1


def test_the_detail_level_combo_menu_and_setting_stay_in_sync(make_app, model_dir, qtbot, settings):
    from app.storage.settings import DETAIL

    application = make_app()
    combo = application.page.detail_combo
    assert combo.currentData() == "standard" and application.actions.detail["standard"].isChecked()
    application.actions.detail["detailed"].trigger()
    assert settings.get(DETAIL) == "detailed" and combo.currentData() == "detailed"
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Up)  # keyboard users change it with the arrow keys
    assert settings.get(DETAIL) == "standard" and application.actions.detail["standard"].isChecked()


def test_closing_without_a_tray_quits_and_ends_the_worker(make_app, model_dir, qtbot):
    application = start_ready(make_app(), qtbot)
    assert not application.tray.is_available()  # no system tray on the offscreen platform
    pid = application.setup.engine.worker_pid
    application.window.close()
    assert application.is_quitting
    qtbot.waitUntil(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE,
                    timeout=10000)


def test_forwarded_commands_never_show_or_focus_the_window(make_app, model_dir, qtbot, tmp_path):
    application = make_app()
    start_ready(application, qtbot, show=False)
    application.run_command({"command": "describe-file", "path": str(write_png(tmp_path / "x.png"))})
    wait_idle(application, qtbot)
    assert application.entries and not application.window.isVisible()
    application.run_command({"command": "stop"})
    assert not application.window.isVisible()
    application.run_command({"command": "show"})
    assert application.window.isVisible()


def test_settings_saved_in_the_dialog_apply_and_restart_the_engine(make_app, model_dir, qtbot, settings):
    from PySide6.QtWidgets import QComboBox, QSpinBox

    from app.storage.settings import DEVICE, THREADS
    from app.ui.settings_dialog import SettingsDialog

    application = start_ready(make_app(), qtbot)
    first_pid = application.setup.engine.worker_pid
    application.actions.settings.trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog) and w.isVisible())
    threads = dialog.controls[THREADS.key]
    assert isinstance(threads, QSpinBox) and threads.accessibleName() == "Processor threads"
    threads.setValue(1)
    device = dialog.controls[DEVICE.key]
    assert isinstance(device, QComboBox) and device.accessibleName() == "Run the model on"
    assert device.currentData() == "auto" and device.count() == 2
    device.setCurrentIndex(device.findData("cpu"))
    dialog.accept()
    assert settings.get(THREADS) == 1 and settings.get(DEVICE) == "cpu"
    qtbot.waitUntil(lambda: application.controller.is_model_ready and application.setup.engine.worker_pid != first_pid,
                    timeout=LOAD_MS)
    assert application.setup.engine.device == "cpu"


def test_open_image_describes_the_file_chosen_in_the_dialog(make_app, model_dir, qtbot, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    application = start_ready(make_app(), qtbot)
    path = write_png(tmp_path / "holiday.png")
    application.actions.open_image.trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible())
    assert "*.png" in dialog.nameFilters()[0]
    dialog.selectFile(str(path))
    dialog.accept()
    wait_idle(application, qtbot)
    assert application.entries[-1].source == "holiday.png" and application.page.text()


def test_clear_history_asks_first_then_forgets_saved_entries_too(make_app, model_dir, qtbot, tmp_path, settings):
    from PySide6.QtWidgets import QMessageBox

    from app.storage.settings import SAVE_HISTORY

    settings.set(SAVE_HISTORY, True)
    folder = tmp_path / "history"
    application = start_ready(make_app(history_folder=folder), qtbot)
    drop(application.window, file_mime(write_png(tmp_path / "photo.png")))
    wait_idle(application, qtbot)
    assert any(folder.iterdir())

    def answer(button):
        application.actions.clear_history.trigger()
        box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
        assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)  # Enter does not delete
        box.button(button).click()

    answer(QMessageBox.StandardButton.No)
    assert application.page.history.count() == 1
    answer(QMessageBox.StandardButton.Yes)
    assert application.page.history.count() == 0 and not application.entries and not any(folder.iterdir())
    assert application.window.status_label.text() == "History cleared."


def test_f1_lists_every_shortcut_in_words_with_the_global_ones_as_they_are_now(make_app, qtbot, settings):
    from app.hotkeys.settings import write_binding
    from app.ui.shortcuts_help import ShortcutsDialog

    write_binding(settings, "repeat_last", None)  # turned off by the user
    write_binding(settings, "describe_screen", "Ctrl+Alt+Shift+F")  # changed by the user
    application = make_app()
    application.start()
    application.actions.shortcuts_help.trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ShortcutsDialog) and w.isVisible())
    lines = dialog.text.toPlainText().splitlines()
    for line in ("Control + 1: Capture the screen and describe it", "Escape: Stop describing and speaking",
                 "Control + O: Choose an image file to describe", "F10: Open the menu bar",
                 "Control + 3 or Control + V: Describe the image, or image file, on the clipboard",
                 "Control + Shift + 1: Brief detail level for new descriptions",
                 "Control + Alt + Shift + F: Describe the screen",
                 "Repeat the last description: no shortcut (turned off).",
                 "Control + Alt + Shift + S: Stop"):
        assert line in lines, (line, lines)
    assert not any("Ctrl" in line or "Esc:" in line or "&" in line for line in lines)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.text)  # read line by line with the arrow keys
    qtbot.keyClick(dialog.text, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_the_tray_menu_offers_the_same_actions_and_is_absent_without_a_tray(make_app):
    application = make_app()
    a = application.actions
    in_menu = [action for action in application.tray.menu.actions() if not action.isSeparator()]
    assert in_menu == [a.show_window, a.describe_screen, a.describe_window, a.describe_clipboard, a.open_image,
                       a.camera, a.read_screen, a.read_window, a.read_clipboard, a.stop, a.copy, a.settings, a.quit]
    assert not application.tray.is_available()
    assert application.window.should_hide_on_close() is False  # so closing quits, never strands the app


def test_a_voice_failing_at_run_time_is_shown_and_announced_but_not_spoken(make_app, qtbot):
    application = make_app()
    heard = Announcements(application.announcer)
    application.speech.error.emit("The voice stopped working.")  # as the voice thread does
    assert heard.errors() == ["The voice stopped working."]
    assert application.speech.speech.spoken == []


def test_global_shortcuts_act_without_showing_the_window_and_ask_brings_up_the_question_box(
        make_app, model_dir, qtbot):
    from app.hotkeys import NullBackend

    backend = NullBackend()  # grabs nothing; trigger() is a key press from any app (see app/hotkeys)
    application = make_app(hotkey_backend=backend)
    start_ready(application, qtbot, show=False)
    assert set(backend.bindings) == {"describe_screen", "describe_window", "describe_clipboard", "read_screen",
                                     "stop", "repeat_last", "ask_followup"}
    QGuiApplication.clipboard().setImage(rgb_to_qimage(noise(seed=5)))
    assert backend.trigger("describe_clipboard")
    qtbot.waitUntil(lambda: len(application.entries) == 1 and application.controller.phase == "idle",
                    timeout=REQUEST_MS)
    assert not application.window.isVisible()
    spoken_before = len(application.speech.speech.spoken)
    backend.trigger("repeat_last")
    qtbot.waitUntil(lambda: len(application.speech.speech.spoken) > spoken_before)
    assert "".join(application.speech.speech.spoken[spoken_before:]).replace(" ", "") == \
        application.page.text().replace(" ", "")
    stops = application.speech.speech.stops
    backend.trigger("stop")
    qtbot.waitUntil(lambda: application.speech.speech.stops > stops)
    assert not application.window.isVisible()
    backend.trigger("ask_followup")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is application.page.question)
    assert application.window.isVisible()


def test_shortcuts_changed_in_settings_are_registered_and_problems_announced(make_app, qtbot, settings):
    from app.hotkeys import NullBackend
    from app.ui.settings_dialog import SettingsDialog

    backend = NullBackend()
    application = make_app(hotkey_backend=backend)
    application.start()
    heard = Announcements(application.announcer)
    dialog = SettingsDialog(settings, application.window)
    qtbot.addWidget(dialog)
    box, edit = dialog.shortcut_controls["describe_screen"]
    assert edit.text() == "Ctrl+Alt+Shift+D" and box.isChecked() and edit.accessibleName()
    edit.setText("Ctrl+Alt+Shift+P")
    dialog.shortcut_controls["stop"][0].setChecked(False)
    dialog.shortcut_controls["describe_window"][1].setText("Insert+W")  # the screen reader's key: refused
    dialog.accept()
    qtbot.waitUntil(lambda: "stop" not in backend.bindings)
    assert backend.bindings["describe_screen"].to_text() == "Ctrl+Alt+Shift+P"
    assert "describe_window" not in backend.bindings
    assert any("Insert" in text for text in heard.errors())


class _VoiceRecorder:
    """Wraps the test's NullSpeech to also record voice settings (a real voice has its own tests)."""

    def __init__(self, speech):
        self.calls = []
        speech.set_voice = lambda rate=None, volume=None, voice_id=None: self.calls.append((rate, volume, voice_id))
        speech.voices = lambda: [("english", "English"), ("french", "French")]


def test_voice_settings_apply_and_test_voice_speaks_the_unsaved_choice(make_app, qtbot, settings):
    from app.storage.settings import RATE, VOICE, VOLUME
    from app.ui.settings_dialog import SettingsDialog

    application = make_app()
    recorder = _VoiceRecorder(application.speech.speech)
    dialog = SettingsDialog(settings, application.window, speech=application.speech)
    qtbot.addWidget(dialog)
    voice = dialog.controls[VOICE.key]
    assert [voice.itemText(i) for i in range(voice.count())] == ["System default", "English", "French"]
    assert voice.accessibleName() == "Voice"
    voice.setCurrentIndex(voice.findData("french"))
    dialog.controls[RATE.key].setValue(300)
    dialog.controls[VOLUME.key].setValue(60)
    test_button = dialog.findChild(QPushButton, "test_voice")
    assert test_button.accessibleName() == "Test voice" and test_button.isEnabled()
    qtbot.mouseClick(test_button, Qt.MouseButton.LeftButton)
    assert recorder.calls[-1] == (300, 0.6, "french")
    assert application.speech.speech.spoken[-1].startswith("This is how descriptions will sound.")
    dialog.reject()  # Cancel: the voice goes back to what is saved
    assert recorder.calls[-1] == (200, 1.0, "") and settings.get(VOICE) == ""
    dialog = SettingsDialog(settings, application.window, speech=application.speech)
    qtbot.addWidget(dialog)
    dialog.controls[RATE.key].setValue(250)
    dialog.accept()  # OK: saved, and applied through the settings' change signal
    assert settings.get(RATE) == 250 and recorder.calls[-1] == (250, 1.0, "")


def test_screen_reader_output_announces_results_without_our_voice(make_app, model_dir, qtbot, settings, tmp_path):
    from app.storage.settings import OUTPUT, OUTPUT_SCREEN_READER

    settings.set(OUTPUT, OUTPUT_SCREEN_READER)
    application = start_ready(make_app(), qtbot)
    heard = Announcements(application.announcer)
    assert drop(application.window, file_mime(write_png(tmp_path / "photo.png")))
    wait_idle(application, qtbot)
    text = application.page.text()
    assert text and application.speech.speech.spoken == []
    results = [t for t in heard.texts() if not t.startswith("Describing")]
    assert results[-1] == "Description finished."  # politely, after the last sentence
    assert "".join(results[:-1]).replace(" ", "") == text.replace(" ", "").strip()


def test_voice_output_speaks_results_and_only_announces_status(make_app, model_dir, qtbot, settings, tmp_path):
    from app.storage.settings import OUTPUT, OUTPUT_VOICE

    settings.set(OUTPUT, OUTPUT_VOICE)
    application = start_ready(make_app(), qtbot)
    heard = Announcements(application.announcer)
    assert drop(application.window, file_mime(write_png(tmp_path / "photo.png")))
    wait_idle(application, qtbot)
    assert application.speech.speech.spoken
    assert heard.items == [("Describing photo.png...", False), ("Description finished.", False)]


def test_each_result_can_be_copied_to_the_clipboard(make_app, model_dir, qtbot, settings, tmp_path):
    from app.storage.settings import COPY_RESULTS

    QGuiApplication.clipboard().setText("something the user copied before")
    settings.set(COPY_RESULTS, True)
    application = start_ready(make_app(), qtbot)
    assert drop(application.window, file_mime(write_png(tmp_path / "photo.png")))
    wait_idle(application, qtbot)
    assert QGuiApplication.clipboard().text() == application.page.text().strip()
    assert application.window.status_label.text() == "Ready. Copied to the clipboard."


def test_pressing_the_describe_shortcut_repeatedly_while_busy_restarts_cleanly(make_app, model_dir, qtbot,
                                                                               settings):
    from app.storage.settings import DETAIL, GLANCE_FIRST

    settings.set(DETAIL, "detailed")  # a long answer, so every press lands while one is in flight
    settings.set(GLANCE_FIRST, False)  # (a glance is short enough to end between presses)
    application = start_ready(make_app(), qtbot)
    heard = Announcements(application.announcer)
    worker = application.setup.engine.worker_pid
    finished = []  # (ticket, number of presses made when its answer was complete)
    presses = []
    application.setup.engine.done.connect(lambda ticket, _data: finished.append((ticket, len(presses))))
    QGuiApplication.clipboard().setImage(rgb_to_qimage(noise(640, 480, seed=9)))
    for _ in range(5):
        application.on_hotkey("describe_clipboard")
        presses.append(application.controller.ticket)
        qtbot.wait(150)
    wait_idle(application, qtbot)
    assert heard.errors() == []
    assert finished[-1] == (presses[-1], 5) and presses[-1] == application.controller.ticket
    # No stacking: an answer either ended before the next press replaced it, or never (cancelled).
    for ticket, presses_made in finished[:-1]:
        assert presses_made == presses.index(ticket) + 1, (finished, presses)
    assert application.setup.engine.worker_pid == worker  # no crash, no restart
    assert application.page.text() == application.entries[-1].description
    spoken = "".join(application.speech.speech.spoken).replace(" ", "")
    assert spoken.endswith(application.page.text().replace(" ", "").strip())


def test_a_long_conversation_says_when_the_earliest_questions_are_set_aside(make_app, model_dir, qtbot, tmp_path,
                                                                           settings, monkeypatch):
    import engine.client
    from app.storage.settings import DETAIL

    monkeypatch.setattr(engine.client, "DEFAULT_CONTEXT", 1280)  # a small context fills in a few questions
    settings.set(DETAIL, "brief")
    application = start_ready(make_app(), qtbot)
    heard = Announcements(application.announcer)
    drop(application.window, file_mime(write_png(tmp_path / "photo.png")))
    wait_idle(application, qtbot)
    notes = []
    for n in range(6):
        application.controller.ask(f"Question number {n}: what else?")
        wait_idle(application, qtbot)
        notes.append(application.window.status_label.text())
    assert notes[0] == "Ready."
    said = "To make room, the model no longer remembers the earliest questions about this image."
    assert "Ready. " + said in notes  # shown,
    assert heard.texts().count(said) == 1 and application.speech.speech.spoken.count(said) == 1  # said once
    assert application.speech.speech.spoken[-1] != said  # the next answers were not followed by it again
    assert notes[-1] == "Ready."  # later answers do not repeat it
    assert not heard.errors() and len(application.entries[-1].exchanges) == 6


def test_an_answer_cut_short_by_a_full_memory_says_so(make_app, model_dir, qtbot, tmp_path, settings, monkeypatch):
    """With nothing left to set aside, a follow-up gets the room that is left, and the user hears why it stopped."""
    import engine.client
    from app.storage.settings import DETAIL
    from engine.context_budget import MIN_ANSWER_TOKENS

    settings.set(DETAIL, "brief")
    question = "What colour is the largest shape?"
    image = write_png(tmp_path / "photo.png")  # small: one request, no close-ups

    def describe_and_ask(context: int):
        monkeypatch.setattr(engine.client, "DEFAULT_CONTEXT", context)
        application = start_ready(make_app(), qtbot)
        done = []
        application.setup.engine.done.connect(lambda ticket, data: done.append(data))
        drop(application.window, file_mime(image))
        qtbot.waitUntil(lambda: len(done) == 1, timeout=REQUEST_MS)
        wait_idle(application, qtbot)
        application.controller.ask(question)
        # the answer's own end (not only the phase), or why there is none
        qtbot.waitUntil(lambda: len(done) == 2 or application.controller.phase == "idle", timeout=REQUEST_MS)
        wait_idle(application, qtbot)
        assert len(done) == 2, (application.status(), [d.stats for d in done])
        return application, done

    roomy, done = describe_and_ask(1280)
    described, answered = done[0].stats, done[-1].stats
    assert answered.n_tokens > MIN_ANSWER_TOKENS + 16  # the whole answer is longer than the room given below
    assert roomy.window.status_label.text() == "Ready."
    roomy.quit()
    tight, done = describe_and_ask(described.prompt_tokens + described.n_tokens + answered.prompt_tokens
                                   + MIN_ANSWER_TOKENS + 8)
    assert done[-1].stats.answer_room >= MIN_ANSWER_TOKENS and done[-1].stop_reason == "limit"
    said = "The answer stopped early: the model's memory for this image is full. A lower detail level leaves more room."
    assert tight.window.status_label.text() == "Ready. " + said
    assert tight.speech.speech.spoken[-1] == said
    assert len(tight.entries[-1].exchanges) == 1 and tight.entries[-1].exchanges[0][1].strip()


def test_a_model_the_gpu_could_not_load_is_ready_on_the_processor_and_the_user_is_told(make_app, model_dir, qtbot):
    """The worker's fallback after a failed GPU load (tests/engine/test_device.py) as the app hears it: the
    Loaded event a GPU build sends then, given by hand (no GPU here to fail)."""
    from engine.device import CPU_AFTER_GPU_FAILED, RAN_ON_CPU
    from engine.protocol import Loaded

    application = start_ready(make_app(), qtbot)
    heard = Announcements(application.announcer)
    fallback = CPU_AFTER_GPU_FAILED
    application.setup.engine.loaded.emit(Loaded(1.0, 2, RAN_ON_CPU, fallback.reason, fallback.has_gpu_failed))
    status = application.window.status_label.text()
    assert status.startswith("Ready.") and "GPU could not load the model" in status and "slowly" in status
    assert status in heard.texts()
