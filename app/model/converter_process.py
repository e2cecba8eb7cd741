"""Runs `main.py convert ... --progress json` as a child process for the first-run page.

The converter prints one JSON object per step ({"done", "total", "label"}), a final
"Wrote ..." line, and "Conversion failed: ..." on stderr with exit code 1. It writes to
temporary files renamed only at the end, so Cancel simply kills it: nothing
half-written is left behind.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QProcess, Signal

from engine import invocation

FAILED_PREFIX = "Conversion failed:"
KILL_WAIT_MS = 5000


def _tr(text: str) -> str:
    return QCoreApplication.translate("Converter", text)


def converter_command(checkpoint: Path, out_dir: Path) -> tuple[str, list[str]]:
    program, *args = invocation.argv("convert", str(checkpoint), "--out", str(out_dir), "--progress", "json",
                                     reads_output=True)
    return program, args


class ConverterProcess(QObject):
    progress = Signal(int, int, str)  # done, total, stage label
    succeeded = Signal(str)  # the model folder
    failed = Signal(str)  # plain message
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._process: QProcess | None = None
        self._stdout = b""
        self._stderr = b""
        self._is_cancelling = False
        self.out_dir: Path | None = None

    def is_running(self) -> bool:
        return self._process is not None and self._process.state() != QProcess.ProcessState.NotRunning

    def start(self, checkpoint: Path, out_dir: Path) -> None:
        if self.is_running():
            return
        self.out_dir = Path(out_dir)
        self._stdout = self._stderr = b""
        self._is_cancelling = False
        process = QProcess(self)
        program, args = converter_command(Path(checkpoint), self.out_dir)
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._on_finished)
        process.errorOccurred.connect(self._on_error)
        self._process = process
        process.start(program, args)

    def cancel(self) -> None:
        if self.is_running():
            self._is_cancelling = True
            self._process.kill()

    def wait(self, msecs: int = KILL_WAIT_MS) -> None:
        if self._process is not None:
            self._process.waitForFinished(msecs)

    def _read_stdout(self) -> None:
        self._stdout += bytes(self._process.readAllStandardOutput().data())
        *lines, self._stdout = self._stdout.split(b"\n")
        for line in lines:
            try:
                step = json.loads(line.decode("utf-8"))
                self.progress.emit(int(step["done"]), int(step["total"]), str(step.get("label", "")))
            except (UnicodeDecodeError, ValueError, KeyError, TypeError):
                continue  # the final "Wrote ..." line and anything else that is not a step

    def _read_stderr(self) -> None:
        self._stderr += bytes(self._process.readAllStandardError().data())

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._process = None
            self.failed.emit(_tr("The converter could not be started. Reinstall the app, then try again."))

    def _failure_message(self) -> str:
        text = self._stderr.decode("utf-8", errors="replace")
        for line in reversed(text.splitlines()):
            if line.startswith(FAILED_PREFIX):
                return line.strip()
        last = next((line.strip() for line in reversed(text.splitlines()) if line.strip()), "")
        return _tr("Conversion failed. {0}").format(last) if last else _tr("Conversion failed.")

    def _on_finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        self._read_stderr()
        if self._is_cancelling:
            self.cancelled.emit()
        elif status == QProcess.ExitStatus.NormalExit and exit_code == 0:
            self.succeeded.emit(str(self.out_dir))
        else:
            self.failed.emit(self._failure_message())
        self._process.deleteLater()
        self._process = None
