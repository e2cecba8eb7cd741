"""First run: no model -> a page that says why and offers both ways to get one, driven through its dialogs."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QFileDialog

from app.storage.settings import MODEL_FOLDER
from tests.app.helpers import LOAD_MS, Announcements

CONVERT_MS = 120000


def _pick_in_dialog(qtbot, folder) -> None:
    """Answer the folder dialog the page opened, as a user would (Qt's own dialog on this platform)."""
    qtbot.waitUntil(lambda: any(isinstance(w, QFileDialog) and w.isVisible() for w in QApplication.topLevelWidgets()))
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog) and w.isVisible())
    dialog.setDirectory(str(folder.parent))
    dialog.selectFile(str(folder))
    dialog.accept()


def test_without_a_model_the_setup_page_explains_in_plain_words(make_app, qtbot, tmp_path):
    application = make_app()
    heard = Announcements(application.announcer)
    application.start()
    page = application.window.first_run
    assert application.window.is_setup_shown()
    assert "does not exist" in page.message.text() and "no-model-here" in page.message.text()
    assert "Hugging Face" in page.instructions.text() and "tokenizer.model" in page.instructions.text()
    assert heard.errors() and "does not exist" in heard.errors()[0]
    assert not page.progress.isVisibleTo(page) and not page.cancel_button.isVisibleTo(page)


def test_choosing_a_folder_with_the_model_starts_the_engine(make_app, qtbot, tiny_pair, settings):
    application = make_app()
    application.start()
    folder = tiny_pair.model_path.parent
    application.window.first_run.choose_button.click()
    _pick_in_dialog(qtbot, folder)
    qtbot.waitUntil(lambda: application.controller.is_model_ready, timeout=LOAD_MS)
    assert not application.window.is_setup_shown()
    assert settings.get(MODEL_FOLDER) == str(folder)


def test_a_folder_without_the_model_keeps_the_page_and_says_why(make_app, qtbot, tmp_path):
    application = make_app()
    application.start()
    heard = Announcements(application.announcer)
    (tmp_path / "holiday-photos").mkdir()
    application.setup.use_folder(str(tmp_path / "holiday-photos"))
    assert application.window.is_setup_shown()
    assert "No model found" in application.window.first_run.message.text()
    assert heard.errors() and "No model found" in heard.errors()[0]


def test_a_downloaded_checkpoint_is_converted_with_progress_then_loaded(make_app, qtbot, checkpoints, tmp_path):
    application = make_app()
    application.start()
    page = application.window.first_run
    heard = Announcements(application.announcer)
    progress = []
    application.setup.converter.progress.connect(lambda done, total, label: progress.append(
        (page.progress.isVisibleTo(page), page.cancel_button.isVisibleTo(page), done, total)))
    page.convert_button.click()
    _pick_in_dialog(qtbot, checkpoints["internvl"])
    assert not page.convert_button.isEnabled()  # one conversion at a time
    qtbot.waitUntil(lambda: application.controller.is_model_ready, timeout=CONVERT_MS)
    assert progress and all(shown and cancel for shown, cancel, _, _ in progress)
    assert not application.window.is_setup_shown()
    assert (tmp_path / "no-model-here" / "manifest.json").is_file()  # written where the app looks
    assert "Conversion finished." in heard.texts()
    assert any("percent" in text or "Converting" in text for text in heard.texts())


def test_cancelling_a_conversion_keeps_the_page_and_says_nothing_was_written(make_app, qtbot, checkpoints, tmp_path):
    application = make_app()
    application.start()
    page = application.window.first_run
    heard = Announcements(application.announcer)
    application.setup.converter.progress.connect(lambda *_: page.cancel_button.click())
    application.setup.convert(str(checkpoints["internvl"]))
    qtbot.waitUntil(lambda: "Conversion cancelled. Nothing was written." in heard.texts(), timeout=CONVERT_MS)
    assert application.window.is_setup_shown() and page.convert_button.isEnabled()
    assert not any((tmp_path / "no-model-here").glob("*.gguf"))


def test_describing_before_setup_says_the_model_is_missing(make_app, qtbot, tmp_path):
    from tests.app.helpers import noise

    application = make_app()
    application.start()
    heard = Announcements(application.announcer)
    application.controller.describe_image(noise(), "Test")
    qtbot.waitUntil(lambda: bool(heard.errors()), timeout=10000)
    assert "model is not set up" in heard.errors()[-1]
