"""Finding the model, the first-run page's two ways to get one, and the engine's lifetime.

The model folder resolves as the command-line flag, then the folder chosen in the
settings, then VISIONPANGU_MODEL_DIR, then the user data folder. A missing or broken
pair shows the first-run page with the checker's own plain message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.describe.engine_bridge import EngineBridge
from app.model.converter_process import ConverterProcess
from app.model.reconvert_hint import ReconvertHint
from app.storage.settings import DEVICE, MODEL_FOLDER, THREADS, Settings
from app.ui.first_run_page import FirstRunPage
from engine.model_files import ModelFileError, ModelPair, find_model_pair, resolve_model_dir

PROGRESS_ANNOUNCE_STEP = 25  # percent: progress is announced at 25, 50 and 75 %


def _tr(text: str) -> str:
    return QCoreApplication.translate("ModelSetup", text)


class ModelSetup(QObject):
    engine_started = Signal(object)  # EngineBridge, not yet connected by anyone else
    setup_needed = Signal(str)  # plain message: the first-run page is shown

    def __init__(self, settings: Settings, page: FirstRunPage, report: Callable[[str, bool], None],
                 model_dir_flag: str | None = None, hang_timeout: float | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self._settings = settings
        self._page = page
        self._report = report
        self._flag = model_dir_flag
        self._hang_timeout = hang_timeout
        self.engine: EngineBridge | None = None
        self.converter = ConverterProcess(self)
        self.reconvert_hint = ReconvertHint(self)
        self.reconvert_hint.hint.connect(lambda text: self._report(text, False))
        self._last_percent = -1
        self._last_stage = ""
        page.model_folder_chosen.connect(self.use_folder)
        page.checkpoint_chosen.connect(self.convert)
        page.cancel_requested.connect(self.converter.cancel)
        self.converter.progress.connect(self._on_progress)
        self.converter.succeeded.connect(self._on_converted)
        self.converter.failed.connect(self._on_convert_failed)
        self.converter.cancelled.connect(self._on_convert_cancelled)

    def model_folder(self) -> Path:
        return resolve_model_dir(self._flag or self._settings.get(MODEL_FOLDER) or None)

    def start(self) -> bool:
        """Start the engine on the configured model, or show the first-run page. True if started."""
        folder = self.model_folder()
        try:
            pair = find_model_pair(folder)
        except ModelFileError as exc:
            self.need_setup(str(exc))
            return False
        self._start_engine(pair)
        return True

    def need_setup(self, message: str) -> None:
        self.stop_engine()
        self._page.show_problem(message, str(self.model_folder()))
        self.setup_needed.emit(message)

    def _start_engine(self, pair: ModelPair) -> None:
        self.stop_engine()
        self.engine = EngineBridge(pair, n_threads=self._settings.get(THREADS) or None,
                                   hang_timeout=self._hang_timeout, parent=self, device=self._settings.get(DEVICE))
        self.engine_started.emit(self.engine)
        self.engine.start()
        self.reconvert_hint.check(pair)

    def stop_engine(self) -> None:
        if self.engine is not None:
            engine, self.engine = self.engine, None
            engine.close()
            engine.deleteLater()

    def restart(self) -> None:
        """After a settings change: a new folder, thread count or device."""
        if not self.converter.is_running():
            self.start()

    def use_folder(self, folder: str) -> None:
        try:
            pair = find_model_pair(Path(folder))
        except ModelFileError as exc:
            self._page.show_problem(str(exc), str(self.model_folder()))
            self._report(str(exc), True)
            return
        self._flag = None  # the user's choice now wins over the launch flag
        self._settings.set(MODEL_FOLDER, str(Path(folder)))
        self._start_engine(pair)

    def convert(self, checkpoint: str) -> None:
        out = self.model_folder()
        self._last_percent, self._last_stage = -1, ""
        self._page.set_converting(True)
        self._report(_tr("Converting the checkpoint. This takes a few minutes."), False)
        self.converter.start(Path(checkpoint), out)

    def _on_progress(self, done: int, total: int, label: str) -> None:
        self._page.set_progress(done, total, label)
        percent = done * 100 // max(total, 1)
        step = percent // PROGRESS_ANNOUNCE_STEP * PROGRESS_ANNOUNCE_STEP
        if label != self._last_stage:
            self._last_stage, self._last_percent = label, step
            self._report(label, False)
        elif step > self._last_percent and step < 100:
            self._last_percent = step
            self._report(_tr("{0}: {1} percent").format(label, step), False)

    def _on_converted(self, folder: str) -> None:
        self._page.set_converting(False)
        self._report(_tr("Conversion finished."), False)
        self.use_folder(folder)

    def _on_convert_failed(self, message: str) -> None:
        self._page.set_converting(False)
        self._page.show_problem(message, str(self.model_folder()))
        self._report(message, True)

    def _on_convert_cancelled(self) -> None:
        self._page.set_converting(False)
        self._report(_tr("Conversion cancelled. Nothing was written."), False)

    def shutdown(self) -> None:
        self.converter.cancel()
        self.converter.wait()
        self.reconvert_hint.wait()
        self.stop_engine()
