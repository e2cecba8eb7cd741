"""Every bad input gets one plain message, a non-zero exit, and nothing half-written."""

from __future__ import annotations

import errno
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from convert.errors import ConversionError
from convert.pipeline import convert_checkpoint
from convert.safetensors_io import INDEX_FILE_NAME

ROOT = Path(__file__).resolve().parents[2]
FILE_SIZE_LIMIT = 64 * 1024  # smaller than any file of the tiny pair


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.fixture
def checkpoint(checkpoints, tmp_path) -> Path:
    """A private copy of the tiny InternVL checkpoint that a test may damage."""
    return Path(shutil.copytree(checkpoints["internvl"], tmp_path / "ckpt"))


def assert_fails_cleanly(checkpoint: Path, out: Path, *phrases: str) -> None:
    proc = run_cli("convert", str(checkpoint), "--out", str(out), "--quant", "F16")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    message = proc.stderr.strip().splitlines()[-1]
    assert message.startswith("Conversion failed: ")
    for phrase in phrases:
        assert phrase in message
    assert not out.exists() or not any(out.iterdir()), list(out.iterdir())


def test_missing_config(checkpoint, tmp_path):
    (checkpoint / "config.json").unlink()
    assert_fails_cleanly(checkpoint, tmp_path / "out", "has no config.json")


def test_missing_tokenizer(checkpoint, tmp_path):
    (checkpoint / "tokenizer.model").unlink()
    assert_fails_cleanly(checkpoint, tmp_path / "out", "has no tokenizer.model")


def test_missing_checkpoint_folder(tmp_path):
    assert_fails_cleanly(tmp_path / "nowhere", tmp_path / "out", "does not exist")


def test_unknown_architecture(checkpoint, tmp_path):
    config = json.loads((checkpoint / "config.json").read_text())
    config["architectures"] = ["Qwen2VLForConditionalGeneration"]
    (checkpoint / "config.json").write_text(json.dumps(config))
    assert_fails_cleanly(checkpoint, tmp_path / "out", "Qwen2VLForConditionalGeneration", "Only VisionPangu")


def _add_tensor(checkpoint: Path, name: str, values: np.ndarray) -> None:
    """Append one F32 tensor as an extra shard listed in the index."""
    data = values.astype(np.float32).tobytes()
    header = json.dumps({name: {"dtype": "F32", "shape": list(values.shape), "data_offsets": [0, len(data)]}}).encode()
    (checkpoint / "extra.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + data)
    index = json.loads((checkpoint / INDEX_FILE_NAME).read_text())
    index["weight_map"][name] = "extra.safetensors"
    (checkpoint / INDEX_FILE_NAME).write_text(json.dumps(index))


def test_unknown_tensor_is_named(checkpoint, tmp_path):
    _add_tensor(checkpoint, "vision_model.encoder.layers.0.attn.q_norm.weight", np.ones(64))
    assert_fails_cleanly(checkpoint, tmp_path / "out", "Can not map tensor vision_model.encoder.layers.0.attn.q_norm.weight")


def test_wrong_shape_is_named(checkpoint, tmp_path):
    config = json.loads((checkpoint / "config.json").read_text())
    config["llm_config"]["intermediate_size"] = 768
    (checkpoint / "config.json").write_text(json.dumps(config))
    assert_fails_cleanly(checkpoint, tmp_path / "out", "mlp.gate_proj.weight", "[512, 256]", "[768, 256]")


def test_missing_tensor_is_named(checkpoint, tmp_path):
    index = json.loads((checkpoint / INDEX_FILE_NAME).read_text())
    config = json.loads((checkpoint / "config.json").read_text())
    config["llm_config"]["num_hidden_layers"] = 3
    (checkpoint / "config.json").write_text(json.dumps(config))
    assert "language_model.model.layers.2.input_layernorm.weight" not in index["weight_map"]
    assert_fails_cleanly(checkpoint, tmp_path / "out", "missing tensors", "language_model.model.layers.2.")


def test_truncated_safetensors(checkpoint, tmp_path):
    shard = sorted(checkpoint.glob("model-*.safetensors"))[-1]
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) // 2])
    assert_fails_cleanly(checkpoint, tmp_path / "out", shard.name, "damaged", "truncated")


def test_garbage_safetensors_header(checkpoint, tmp_path):
    shard = sorted(checkpoint.glob("model-*.safetensors"))[0]
    shard.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!" + b"\0" * 64)
    assert_fails_cleanly(checkpoint, tmp_path / "out", "damaged", "not valid JSON")


def test_output_under_a_file(checkpoint, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert_fails_cleanly(checkpoint, blocker / "out", "is a file, not a folder", "Choose another folder")


def _in_private_tmpfs(mount_options: str, checkpoint: Path, mountpoint: Path) -> subprocess.CompletedProcess:
    """Convert into a small tmpfs mounted in a private user+mount namespace (no root needed)."""
    mountpoint.mkdir()
    script = (
        f"mount -t tmpfs -o {mount_options} tmpfs '{mountpoint}' || exit 99; "
        f"'{sys.executable}' main.py convert '{checkpoint}' --out '{mountpoint}/out' --quant F32; code=$?; "
        f"echo LISTING; ls -A '{mountpoint}/out' 2>/dev/null; exit $code"
    )
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode != 99, f"could not mount a tmpfs: {proc.stderr}"
    return proc


def test_full_disk(checkpoint, tmp_path):
    proc = _in_private_tmpfs("size=1m", checkpoint, tmp_path / "small")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "is full" in proc.stderr.strip().splitlines()[-1]
    assert proc.stdout.split("LISTING")[-1].strip() == ""  # nothing half-written


def test_read_only_output(checkpoint, tmp_path):
    proc = _in_private_tmpfs("ro", checkpoint, tmp_path / "ro")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "is on a disk that can only be read. Choose another folder" in proc.stderr
    assert "Read-only file system" not in proc.stderr  # the system's words, not the app's


def test_interrupted_run_leaves_nothing(checkpoint, tmp_path):
    out = tmp_path / "out"

    def progress(total, label):
        seen = [0]

        def step(n):
            seen[0] += n
            if seen[0] >= total // 2:
                raise KeyboardInterrupt

        return step

    with pytest.raises(KeyboardInterrupt):
        convert_checkpoint(checkpoint, out, "Q4_K_M", "f16", progress)
    assert list(out.iterdir()) == []


def test_existing_model_survives_a_failed_run(checkpoint, tmp_path):
    out = tmp_path / "out"
    first = convert_checkpoint(checkpoint, out, "F16", "f16")
    before = first.model_path.read_bytes()
    _add_tensor(checkpoint, "mystery.weight", np.ones(4))
    with pytest.raises(ConversionError, match="mystery.weight"):
        convert_checkpoint(checkpoint, out, "F16", "f16")
    assert first.model_path.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "mmproj-f16.gguf", "model-F16.gguf"]


def test_a_write_cut_short_is_said_plainly_with_the_detail_only_under_debug(checkpoint, tmp_path):
    """A real short write, as on a disk that cannot hold the file (FAT32 takes at most 4 GB): the
    converter runs under a file size limit (RLIMIT_FSIZE; Python ignores SIGXFSZ, so the write is cut
    short). numpy's tofile, under gguf's writer, reports that with its own text and no errno."""
    import resource

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))

    out = tmp_path / "usb-stick"
    for is_debug in (False, True):
        proc = subprocess.run([sys.executable, "main.py", "convert", str(checkpoint), "--out", str(out), "--quant",
                               "F16", *(["--debug"] if is_debug else [])], cwd=ROOT, capture_output=True, text=True,
                              preexec_fn=limited)
        assert proc.returncode == 1, proc.stderr
        message = proc.stderr.strip().splitlines()[-1]
        assert message == (f"Conversion failed: Writing to the folder {out} stopped partway: its disk may be "
                           "unplugged or damaged, or unable to hold a file this large (a disk formatted FAT32 "
                           "takes files of at most 4 GB). Choose another folder and convert again.")
        assert ("written" in proc.stderr) is is_debug  # numpy's own words only under --debug
        assert "Traceback" not in proc.stderr
        assert not any(out.iterdir()), list(out.iterdir())  # nothing half-written


@pytest.mark.parametrize("number, words", [
    (errno.ENOENT, "is gone"), (errno.EACCES, "do not have permission"), (errno.EIO, "may be unplugged or damaged"),
    (errno.EFBIG, "cannot hold a file this large"), (errno.ENOSPC, "is full")])
def test_each_write_failure_is_in_plain_words(tmp_path, number, words):
    """The cases a test cannot make happen on cue here (a folder removed mid-write, an I/O error)."""
    from convert.errors import write_error

    message = str(write_error(tmp_path, OSError(number, os.strerror(number))))
    assert words in message and os.strerror(number) not in message


def test_running_out_of_memory_and_a_fault_of_its_own_are_said_plainly(checkpoint, tmp_path, monkeypatch, capsys):
    """Stand-ins: a MemoryError and an unexpected error (a converter bug) raised where the conversion
    runs; neither can be made on purpose in the real converter, whose allocations on the tiny model are
    too small to fail alone. The traceback is shown only under --debug."""
    import argparse

    import convert.cli as cli

    for fault, phrase in ((MemoryError(), "ran out of memory"), (KeyError("layers.0"), "error of its own")):
        def convert(*_args, fault=fault, **_kwargs):
            raise fault

        monkeypatch.setattr(cli, "convert_checkpoint", convert)
        for is_debug in (False, True):
            args = argparse.Namespace(checkpoint=checkpoint, out=tmp_path / "out", quant="F16", mmproj_type="f16",
                                      progress="bar", debug=is_debug)
            assert cli.run_convert(args) == cli.EXIT_FAILED
            err = capsys.readouterr().err
            message = err.strip().splitlines()[-1]
            assert message.startswith("Conversion failed: ") and phrase in message and "nothing was written" in message
            assert ("Traceback" in err) is (is_debug and isinstance(fault, KeyError)), err


def test_a_quantizer_killed_by_the_system_is_said_plainly(checkpoint, tmp_path, monkeypatch):
    """The quantizer child really killed with SIGKILL, as the out-of-memory killer ends it (a stand-in
    child: llama.cpp's quantizer does not run out of memory on the tiny model)."""
    import convert.pipeline as pipeline

    real_run = subprocess.run

    def killed(command, **kwargs):
        return real_run([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"], **kwargs)

    monkeypatch.setattr(pipeline.subprocess, "run", killed)
    out = tmp_path / "out"
    with pytest.raises(ConversionError, match="most likely because memory ran out"):
        convert_checkpoint(checkpoint, out, "Q4_K_M", "f16")
    assert list(out.iterdir()) == []


def test_a_killed_runs_temporary_files_are_removed_by_the_next_run(checkpoint, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(ended.stdout)  # a process that has ended, as a run the system killed
    left = [out / f".model-{dead}-1700000000.tmp", out / f".mmproj-{dead}-1700000000.tmp"]
    for path in left:
        path.write_bytes(b"\0" * 1024)
    running = out / f".model-{os.getpid()}-1700000000.tmp"  # a run still going (this process): kept
    running.write_bytes(b"")
    mine = out / "notes.tmp"  # not the converter's
    mine.write_bytes(b"")
    proc = run_cli("convert", str(checkpoint), "--out", str(out), "--quant", "F16")
    assert proc.returncode == 0, proc.stderr
    assert not any(path.exists() for path in left)
    assert running.exists() and mine.exists()
