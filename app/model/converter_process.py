"""Runs `main.py convert ... --progress json` as a child process for the first-run page.

The converter prints one JSON object per step ({"done", "total", "label"}), a final
"Wrote ..." line, and "Conversion failed: ..." on stderr with exit code 1. It writes to
temporary files renamed only at the end, so Cancel simply kills it; the killed run's
temporary files are then removed here (convert/temp_files.py), so nothing half-written is
left behind.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QProcess, Signal

from engine import invocation

FAILED_PREFIX = "Conversion failed:"
log = logging.getLogger(__name__)
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
        self._pid = 0  # the running converter's process id, for its temporary files
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
        process.started.connect(self._on_started)
        self._process = process
        process.start(program, args)

    def cancel(self) -> None:
        if self.is_running():
            self._is_cancelling = True
            self._process.kill()

    def wait(self, msecs: int = KILL_WAIT_MS) -> None:
        if self._process is not None:
            self._process.waitForFinished(msecs)

    def _on_started(self) -> None:
        self._pid = int(self._process.processId())

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

    def _failure_message(self, status: QProcess.ExitStatus) -> str:
        """The converter's own plain line; else plain words for how it ended (its text goes to the log)."""
        text = self._stderr.decode("utf-8", errors="replace")
        for line in reversed(text.splitlines()):
            if line.startswith(FAILED_PREFIX):
                return line.strip()
        log.warning("the converter ended (%s) with no message of its own; it wrote: %s", status, text.strip()[-2000:])
        if status == QProcess.ExitStatus.CrashExit:  # killed or crashed: on Linux most often out of memory
            return _tr("Conversion failed: the converter was stopped before it finished, most likely because "
                       "memory ran out. Nothing was changed. Close other programs and try again.")
        return _tr("Conversion failed: the converter stopped before it could begin. Reinstall the app, then try "
                   "again.")

    def _on_finished(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        self._read_stderr()
        has_succeeded = status == QProcess.ExitStatus.NormalExit and exit_code == 0
        if not has_succeeded and self._pid:
            from convert.temp_files import remove_left_over

            remove_left_over(self.out_dir, self._pid)  # killed (Cancel, out of memory): it could not remove them
        if self._is_cancelling:
            self.cancelled.emit()
        elif has_succeeded:
            self.succeeded.emit(str(self.out_dir))
        else:
            self.failed.emit(self._failure_message(status))
        self._process.deleteLater()
        self._process = None
