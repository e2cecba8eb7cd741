"""Model files that pass a glance but would crash llama.cpp, damaged tensor data, folders a killed
conversion left mixed, stray files and a full disk: one plain sentence each, no native output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.client import EngineClient
from engine.model_files import find_model_pair
from tests.engine.test_model_files import pair_dir  # noqa: F401  (a fixture: a private copy of the tiny pair)
from tests.engine.test_worker import photo

ROOT = Path(__file__).resolve().parents[2]


def _set_header_value(path: Path, key: str, value: int) -> None:
    """Damage one number in a GGUF header in place (the file's size and layout stay the same)."""
    import gguf

    reader = gguf.GGUFReader(path, "r+")
    field = reader.fields[key]
    field.parts[field.data[0]][0] = value
    del reader  # flushes the memory map


def _describe(model_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    from PIL import Image

    image = model_dir.parent / "photo.png"
    Image.fromarray(photo(15, (120, 160))).save(image)
    return subprocess.run([sys.executable, "main.py", "describe", str(image), "--model-dir", str(model_dir), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def _assert_one_plain_line(stderr: str, *phrases: str) -> None:
    assert len(stderr.strip().splitlines()) == 1, stderr
    for phrase in phrases:
        assert phrase in stderr, stderr
    for native in ("GGML_ASSERT", "gdb", "#0 ", "backtrace", "clip_init", "load_hparams", "Traceback"):
        assert native not in stderr, stderr


@pytest.mark.parametrize("file,key", [("mmproj-f16.gguf", "clip.vision.attention.head_count"),
                                      ("mmproj-f16.gguf", "clip.vision.image_size"),
                                      ("model-Q4_K_M.gguf", "pangu-embedded.block_count")])
def test_a_header_value_of_zero_gets_a_plain_message_before_llama_cpp_sees_it(pair_dir, file, key):
    from engine.model_files import ModelFileError

    _set_header_value(pair_dir / file, key, 0)
    with pytest.raises(ModelFileError, match=f"{file} is damaged: its header value {key} is 0"):
        find_model_pair(pair_dir)
    proc = _describe(pair_dir)
    assert proc.returncode == 3
    _assert_one_plain_line(proc.stderr, file, "is damaged")


def test_a_worker_that_dies_while_loading_says_the_model_cannot_be_used(pair_dir, capfd):
    """Past the checks (they are skipped here), llama.cpp's assertion ends the worker: a plain model error."""
    pair = find_model_pair(pair_dir)
    _set_header_value(pair_dir / "mmproj-f16.gguf", "clip.vision.image_size", 0)  # ggml asserts on this
    client = EngineClient(pair, n_threads=2)
    client.start()
    try:
        loaded = client.wait_loaded(120)
    finally:
        client.close()
    assert loaded.kind == "error" and loaded.error == "model", loaded
    assert "cannot be used" in loaded.message and "try again" not in loaded.message.lower()
    stderr = capfd.readouterr().err  # the worker's stderr is this process's
    assert "gdb" not in stderr and "#0 " not in stderr and "GGML_ASSERT" not in stderr, stderr


@pytest.mark.parametrize("is_debug", [False, True])
def test_native_log_lines_reach_stderr_only_with_debug(pair_dir, capfd, is_debug):
    import logging

    from engine import native_log

    pair = find_model_pair(pair_dir)
    _set_header_value(pair_dir / "mmproj-f16.gguf", "clip.vision.patch_size", 0)  # clip_init refuses it
    level = native_log.logger.level
    native_log.logger.setLevel(logging.DEBUG if is_debug else logging.NOTSET)  # what --debug sets up
    client = EngineClient(pair, n_threads=2)
    try:
        client.start()
        loaded = client.wait_loaded(120)
    finally:
        client.close()
        native_log.logger.setLevel(level)
    assert loaded.kind == "error" and loaded.error == "model"
    assert ("load_hparams" in capfd.readouterr().err) is is_debug


# --- the manifest: checksums, mixed folders, stray files, a full disk --------------------------------

MANIFEST_MISMATCH = "is not the file its folder's manifest.json describes"


def test_damaged_tensor_data_is_caught_by_the_manifests_checksum(pair_dir):
    from engine.model_files import ModelFileError

    model = pair_dir / "model-Q4_K_M.gguf"
    data = bytearray(model.read_bytes())
    data[-100] ^= 0xFF  # inside the last tensor: the header and every size still look right
    model.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=MANIFEST_MISMATCH):
        find_model_pair(pair_dir)
    (pair_dir / "manifest.json").unlink()
    find_model_pair(pair_dir)  # without the checksum nothing else would have noticed


def test_checksums_are_computed_once_per_file_version(pair_dir, monkeypatch):
    from engine import manifest

    hashed = []
    real = manifest.sha256_of
    monkeypatch.setattr(manifest, "sha256_of", lambda path: hashed.append(path.name) or real(path))
    find_model_pair(pair_dir)
    find_model_pair(pair_dir)
    assert sorted(hashed) == ["mmproj-f16.gguf", "model-Q4_K_M.gguf"]  # the second start hashed nothing
    model = pair_dir / "model-Q4_K_M.gguf"
    os.utime(model, ns=(model.stat().st_atime_ns, model.stat().st_mtime_ns + 10**9))  # the file changed
    find_model_pair(pair_dir)
    assert sorted(hashed) == ["mmproj-f16.gguf", "model-Q4_K_M.gguf", "model-Q4_K_M.gguf"]


KILL_ON_RENAME = """
import os, sys
from convert.pipeline import convert_checkpoint
real_replace, renames = os.replace, []
def replace(src, dst):
    renames.append(dst)
    if len(renames) == int(sys.argv[3]):
        os._exit(9)  # as SIGKILL: no cleanup runs
    real_replace(src, dst)
os.replace = replace
convert_checkpoint(sys.argv[1], sys.argv[2], "Q4_K_M", "f16")
"""


@pytest.mark.parametrize("had_manifest", [True, False])
@pytest.mark.parametrize("killed_at_rename", [2, 3])
def test_a_conversion_killed_between_its_renames_leaves_no_pair_that_loads(checkpoints, tmp_path, killed_at_rename,
                                                                           had_manifest):
    from convert.pipeline import convert_checkpoint
    from convert.synthetic import make_checkpoint
    from engine.model_files import ModelFileError

    out = tmp_path / "models"
    convert_checkpoint(checkpoints["internvl"], out, "Q4_K_M", "f16")  # the good, older pair
    if not had_manifest:  # a pair copied in by hand
        (out / "manifest.json").unlink()
    newer = make_checkpoint(tmp_path / "newer", "tiny", "internvl", seed=8)  # other weights, same shapes
    proc = subprocess.run([sys.executable, "-c", KILL_ON_RENAME, str(newer), str(out), str(killed_at_rename)],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    with pytest.raises(ModelFileError, match=MANIFEST_MISMATCH):  # never the new model with the old mmproj
        find_model_pair(out)


def test_a_broken_stray_language_model_does_not_block_the_good_one(pair_dir):
    (pair_dir / "manifest.json").unlink()
    (pair_dir / "model-AAA.gguf").write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 64)  # sorts first
    assert find_model_pair(pair_dir).model_path.name == "model-Q4_K_M.gguf"


def test_two_usable_language_models_without_a_manifest_are_named_not_picked(pair_dir):
    import shutil

    from engine.model_files import ModelFileError

    shutil.copy(pair_dir / "model-Q4_K_M.gguf", pair_dir / "model-Q8_0.gguf")
    assert find_model_pair(pair_dir).model_path.name == "model-Q4_K_M.gguf"  # the manifest names it
    (pair_dir / "manifest.json").unlink()
    with pytest.raises(ModelFileError, match=r"holds 2 files .*model-Q4_K_M.gguf, model-Q8_0.gguf.* no manifest"):
        find_model_pair(pair_dir)


def test_a_full_disk_while_quantizing_says_so_plainly(checkpoints, conversions, tmp_path):
    """A tmpfs in a private user+mount namespace, just big enough for the files written before quantizing."""
    f16 = conversions.get("internvl", "F16", "f16")
    room_kib = (f16.model_path.stat().st_size + f16.mmproj_path.stat().st_size) // 1024 + 64
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    script = (f"mount -t tmpfs -o size={room_kib}k tmpfs '{mountpoint}' || exit 99; '{sys.executable}' main.py convert "
              f"'{checkpoints['internvl']}' --out '{mountpoint}/out' --quant Q4_K_M; code=$?; "
              f"echo LISTING; ls -A '{mountpoint}/out'; exit $code")
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    message = proc.stderr.strip().splitlines()[-1]
    assert message == f"Conversion failed: The disk holding {mountpoint}/out is full. Free some space and convert again."
    assert proc.stdout.split("LISTING")[-1].strip() == ""  # nothing half-written
