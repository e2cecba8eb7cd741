"""Model folder resolution and gguf-py validation before llama.cpp opens anything."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import gguf
import numpy as np
import pytest

from engine.model_files import MODEL_DIR_ENV, ModelFileError, find_model_pair, resolve_model_dir


@pytest.fixture
def pair_dir(conversions, tmp_path) -> Path:
    """A private copy of a converted tiny pair (with its manifest) that a test may damage."""
    source = conversions.get("internvl", "Q4_K_M", "f16").model_path.parent
    return Path(shutil.copytree(source, tmp_path / "models"))


def test_resolution_order(monkeypatch, tmp_path):
    monkeypatch.setenv(MODEL_DIR_ENV, str(tmp_path / "from-env"))
    assert resolve_model_dir(tmp_path / "from-flag") == tmp_path / "from-flag"
    assert resolve_model_dir(None) == tmp_path / "from-env"
    monkeypatch.delenv(MODEL_DIR_ENV)
    default = resolve_model_dir(None)
    assert default.name == "models" and "VisionPangu" in str(default)


def test_valid_pair(pair_dir):
    pair = find_model_pair(pair_dir)
    assert pair.model_path.name == "model-Q4_K_M.gguf"
    assert pair.mmproj_path.name == "mmproj-f16.gguf"
    assert pair.architecture == "pangu-embedded"
    assert pair.projector_type == "internvl"
    assert pair.n_embd == 256
    assert "[unused9]" in pair.chat_template


@pytest.mark.parametrize("mmproj_type", ["bf16", "f16", "q8_0"])
def test_each_mmproj_type_is_found_and_named(mmproj_type, conversions):
    """An F16 pair converted before BF16 existed keeps working beside the new type, and says what it is."""
    pair = find_model_pair(conversions.get("internvl", "Q4_K_M", mmproj_type).model_path.parent)
    assert pair.mmproj_path.name == f"mmproj-{mmproj_type}.gguf"
    assert pair.mmproj_type == mmproj_type


def test_a_manifest_from_before_bf16_still_verifies(pair_dir):
    """Manifests written before the converter recorded why it chose a type have no "requested" or "reason"."""
    manifest = json.loads((pair_dir / "manifest.json").read_text())
    for key in ("requested", "reason"):
        manifest["mmproj"].pop(key)
    (pair_dir / "manifest.json").write_text(json.dumps(manifest))
    assert find_model_pair(pair_dir).mmproj_type == "f16"


def test_pair_found_without_manifest(pair_dir):
    (pair_dir / "manifest.json").unlink()
    assert find_model_pair(pair_dir).model_path.name == "model-Q4_K_M.gguf"


def test_missing_folder(tmp_path):
    with pytest.raises(ModelFileError, match="does not exist"):
        find_model_pair(tmp_path / "nope")


def test_empty_folder_says_what_to_do(tmp_path):
    with pytest.raises(ModelFileError, match="python main.py convert"):
        find_model_pair(tmp_path)


def test_missing_file_named_in_manifest(pair_dir):
    (pair_dir / "mmproj-f16.gguf").unlink()
    with pytest.raises(ModelFileError, match="mmproj-f16.gguf is missing"):
        find_model_pair(pair_dir)


def test_not_a_gguf(pair_dir):
    (pair_dir / "model-Q4_K_M.gguf").write_bytes(b"<html>not a model</html>" * 10)
    with pytest.raises(ModelFileError, match="model-Q4_K_M.gguf is not a GGUF model file"):
        find_model_pair(pair_dir)


@pytest.mark.parametrize("name", ["model-Q4_K_M.gguf", "mmproj-f16.gguf"])
@pytest.mark.parametrize("keep", [0.9, 0.5, 0.02])
def test_truncated_files_are_reported_not_loaded(pair_dir, name, keep):
    path = pair_dir / name
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ModelFileError, match=f"{name} is (truncated|damaged)"):
        find_model_pair(pair_dir)


def test_corrupted_header(pair_dir):
    path = pair_dir / "model-Q4_K_M.gguf"
    data = bytearray(path.read_bytes())
    data[8:24] = b"\xff" * 16  # tensor and key counts become absurd
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="damaged"):
        find_model_pair(pair_dir)


def test_unsupported_version(pair_dir):
    path = pair_dir / "model-Q4_K_M.gguf"
    data = bytearray(path.read_bytes())
    data[4:8] = (99).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="GGUF version 99"):
        find_model_pair(pair_dir)


def test_swapped_files(pair_dir):
    (pair_dir / "manifest.json").unlink()
    model, mmproj = pair_dir / "model-Q4_K_M.gguf", pair_dir / "mmproj-f16.gguf"
    tmp = pair_dir / "tmp"
    model.rename(tmp)
    mmproj.rename(model)
    tmp.rename(mmproj)
    with pytest.raises(ModelFileError, match="is a vision projector, not a language model"):
        find_model_pair(pair_dir)


def _write_projector(path: Path, projection_dim: int, has_vision: bool = True) -> None:
    writer = gguf.GGUFWriter(path, "clip")
    writer.add_bool("clip.has_vision_encoder", has_vision)
    writer.add_uint32("clip.vision.projection_dim", projection_dim)
    writer.add_string("clip.projector_type", "internvl")
    writer.add_tensor("v.class_embd", np.zeros(8, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_mismatched_pair(pair_dir):
    _write_projector(pair_dir / "mmproj-f16.gguf", projection_dim=1536)
    with pytest.raises(ModelFileError, match="does not belong to model-Q4_K_M.gguf.*1536.*256"):
        find_model_pair(pair_dir)


def test_projector_without_vision_encoder(pair_dir):
    _write_projector(pair_dir / "mmproj-f16.gguf", projection_dim=256, has_vision=False)
    with pytest.raises(ModelFileError, match="has no vision encoder"):
        find_model_pair(pair_dir)
