"""The first-run converter: the real `main.py convert` as a child process, its progress, failure and Cancel."""

from __future__ import annotations

from app.model.converter_process import ConverterProcess
from engine.model_files import find_model_pair

TIMEOUT_MS = 120000


def test_a_checkpoint_converts_with_progress_and_gives_a_usable_pair(qtbot, checkpoints, tmp_path):
    converter = ConverterProcess()
    steps = []
    converter.progress.connect(lambda done, total, label: steps.append((done, total, label)))
    out = tmp_path / "models"
    with qtbot.waitSignal(converter.succeeded, timeout=TIMEOUT_MS) as blocker:
        converter.start(checkpoints["internvl"], out)
    assert blocker.args == [str(out)]
    assert steps and all(0 < done <= total for done, total, _ in steps)
    assert steps[-1][0] == steps[-1][1]  # the last step of a stage is its total
    pair = find_model_pair(out)
    assert pair.model_path.is_file() and pair.mmproj_path.is_file()
    assert not converter.is_running()


def test_a_folder_that_is_not_a_checkpoint_fails_with_the_converters_plain_message(qtbot, tmp_path):
    converter = ConverterProcess()
    (tmp_path / "empty").mkdir()
    with qtbot.waitSignal(converter.failed, timeout=TIMEOUT_MS) as blocker:
        converter.start(tmp_path / "empty", tmp_path / "out")
    message = blocker.args[0]
    assert message.startswith("Conversion failed:") and "Traceback" not in message
    assert not any((tmp_path / "out").glob("*.gguf"))


def test_cancel_kills_the_converter_and_leaves_no_model_behind(qtbot, checkpoints, tmp_path):
    converter = ConverterProcess()
    out = tmp_path / "models"
    converter.progress.connect(lambda *_: converter.cancel())  # at the very first step
    with qtbot.waitSignal(converter.cancelled, timeout=TIMEOUT_MS):
        converter.start(checkpoints["internvl"], out)
    assert not any(out.glob("*.gguf")) and not any(out.glob("manifest.json"))
    assert not any(out.glob(".*.tmp"))  # the killed run's hidden temporary files are removed too
    assert not converter.is_running()


def _stand_in(monkeypatch, code: str) -> None:
    """A real child process in place of the converter, ending as `code` makes it (given the output
    folder as sys.argv[1]): the ends the real converter reaches only when the system kills it or the
    install is broken."""
    import sys

    import app.model.converter_process as module

    monkeypatch.setattr(module, "converter_command", lambda _checkpoint, out: (sys.executable, ["-c", code, str(out)]))


def test_a_converter_killed_by_the_system_is_reported_in_plain_words_and_its_files_removed(qtbot, tmp_path,
                                                                                         monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    # as the out-of-memory killer leaves a run: its temporary files written, then SIGKILL
    _stand_in(monkeypatch, "import os, pathlib, signal, sys; out = pathlib.Path(sys.argv[1]); "
                           "(out / f'.model-{os.getpid()}-1.tmp').write_bytes(b'x' * 4096); "
                           "(out / f'.mmproj-{os.getpid()}-1.tmp').write_bytes(b'x'); "
                           "os.kill(os.getpid(), signal.SIGKILL)")
    other = out / ".model-1-1.tmp"  # another run's (pid 1 is alive): not this run's to remove
    other.write_bytes(b"")
    converter = ConverterProcess()
    with qtbot.waitSignal(converter.failed, timeout=TIMEOUT_MS) as blocker:
        converter.start(tmp_path, out)
    message = blocker.args[0]
    assert message.startswith("Conversion failed:") and "memory" in message and "Traceback" not in message
    assert sorted(path.name for path in out.iterdir()) == [other.name]


def test_a_converter_that_ends_with_a_traceback_shows_plain_words_not_the_traceback(qtbot, tmp_path, monkeypatch):
    _stand_in(monkeypatch, "import sys; sys.stderr.write('Traceback (most recent call last):\\n  File \"x\"\\n"
                           "ModuleNotFoundError: No module named gguf\\n'); sys.exit(1)")
    converter = ConverterProcess()
    with qtbot.waitSignal(converter.failed, timeout=TIMEOUT_MS) as blocker:
        converter.start(tmp_path, tmp_path / "out")
    message = blocker.args[0]
    assert message.startswith("Conversion failed:") and "Reinstall" in message
    assert "Traceback" not in message and "ModuleNotFoundError" not in message


def test_a_converter_that_cannot_start_is_reported(qtbot, tmp_path, monkeypatch):
    import app.model.converter_process as module

    monkeypatch.setattr(module, "converter_command", lambda *_: (str(tmp_path / "no-such-python"), []))
    converter = ConverterProcess()
    with qtbot.waitSignal(converter.failed, timeout=TIMEOUT_MS) as blocker:
        converter.start(tmp_path, tmp_path / "out")
    assert "could not be started" in blocker.args[0]
