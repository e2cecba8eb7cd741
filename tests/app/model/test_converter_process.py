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
    assert not converter.is_running()


def test_a_converter_that_cannot_start_is_reported(qtbot, tmp_path, monkeypatch):
    import app.model.converter_process as module

    monkeypatch.setattr(module, "converter_command", lambda *_: (str(tmp_path / "no-such-python"), []))
    converter = ConverterProcess()
    with qtbot.waitSignal(converter.failed, timeout=TIMEOUT_MS) as blocker:
        converter.start(tmp_path, tmp_path / "out")
    assert "could not be started" in blocker.args[0]
