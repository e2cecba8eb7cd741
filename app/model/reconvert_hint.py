"""One plain hint when the model's vision encoder is F16 on a computer where BF16 is faster.

The converter's default (`auto`) writes BF16 where llama.cpp reports AVX512_BF16, so a model
folder converted before, or on another computer, may hold an F16 encoder that still works but
reads images about 30% slower here (AMD Zen 4; on Intel CPUs with AMX the two are as fast, and
nothing is said, engine/cpu_features.py). The app never loads llama.cpp itself, so llama.cpp's
feature report comes from a short child process (engine.cpu_features, about 0.2 s), asked once
per model folder and session, and only for an F16 encoder. Nothing is said when it fails.
"""

from __future__ import annotations


from PySide6.QtCore import QCoreApplication, QObject, QProcess, Signal

from engine import invocation
from engine.cpu_features import MMPROJ_F16, ROOT, features_from_json, query_command, would_reconverting_be_faster
from engine.model_files import ModelPair

HINT = ("Tip: this model's vision encoder is stored as F16. This computer's processor runs BF16 faster, so "
        "converting the checkpoint again (Convert checkpoint, or {command}) would make reading "
        "images about 30% faster. The model works as it is.")


def _tr(text: str) -> str:
    return QCoreApplication.translate("ReconvertHint", text)


class ReconvertHint(QObject):
    hint = Signal(str)  # one plain line, not an error

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._asked: set[str] = set()
        self._process: QProcess | None = None

    def check(self, pair: ModelPair) -> None:
        folder = str(pair.mmproj_path.parent)
        if pair.mmproj_type != MMPROJ_F16 or folder in self._asked:
            return
        if self._process is not None:
            return
        self._asked.add(folder)
        program, *args = query_command()
        process = QProcess(self)
        process.setWorkingDirectory(str(ROOT))
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self._process = process
        process.start(program, args)

    def _on_finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        process, self._process = self._process, None
        output = bytes(process.readAllStandardOutput().data()).decode("utf-8", errors="replace")
        process.deleteLater()
        is_done = status == QProcess.ExitStatus.NormalExit and exit_code == 0
        if is_done and would_reconverting_be_faster(MMPROJ_F16, features_from_json(output)):
            self.hint.emit(_tr(HINT).format(command=invocation.shown("convert")))

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self._process is not None:
            self._process.deleteLater()
            self._process = None

    def wait(self, msecs: int = 5000) -> None:
        if self._process is not None:
            self._process.waitForFinished(msecs)
