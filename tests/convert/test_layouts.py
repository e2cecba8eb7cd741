"""The derived layouts (transformers' native InternVL, LLaVA with a nested tower) are the same model.

Their synthetic checkpoints are written from the base layout's weights by transformers' own
key mapping (convert/synthetic_layouts.py), so a converter table that names a tensor wrongly
gives a different file or refuses the checkpoint; test_equality.py proves each against the
source model through llama.cpp.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import gguf
import numpy as np
import pytest

from convert.config import load_config, with_tensor_names
from convert.errors import ConversionError
from convert.pipeline import convert_checkpoint
from convert.reference import ReferenceModel
from convert.safetensors_io import Checkpoint, write_sharded
from tests.convert.test_equality import test_image

ROOT = Path(__file__).resolve().parents[2]
DERIVED = {"internvl-hf": "internvl", "llava-nested": "llava"}


@pytest.mark.parametrize("layout", ["internvl", "internvl-hf", "llava", "llava-nested"])
def test_each_layout_is_detected(layout, checkpoints):
    folder = checkpoints[layout]
    assert with_tensor_names(load_config(folder), Checkpoint(folder).names()).layout == layout


def _tensors(path: Path) -> dict[str, np.ndarray]:
    return {t.name: np.array(t.data) for t in gguf.GGUFReader(path).tensors}


@pytest.mark.parametrize("layout", sorted(DERIVED))
def test_derived_layout_converts_to_the_same_files_as_its_base(layout, conversions):
    derived, base = conversions.get(layout), conversions.get(DERIVED[layout])
    for got_path, want_path in ((derived.mmproj_path, base.mmproj_path), (derived.model_path, base.model_path)):
        got, want = _tensors(got_path), _tensors(want_path)
        assert sorted(got) == sorted(want)
        for name in want:
            assert np.array_equal(got[name], want[name]), name
    assert json.loads(derived.manifest_path.read_text())["source"]["layout"] == layout


def test_reference_reads_transformers_names_as_the_same_model(checkpoints):
    image = test_image()
    got = ReferenceModel(checkpoints["internvl-hf"]).image_embeddings(image)
    want = ReferenceModel(checkpoints["internvl"]).image_embeddings(image)
    assert np.allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.fixture
def hf_checkpoint(checkpoints, tmp_path) -> Path:
    return Path(shutil.copytree(checkpoints["internvl-hf"], tmp_path / "ckpt"))


def _edit_config(folder: Path, section: str | None, **changes) -> None:
    config = json.loads((folder / "config.json").read_text())
    (config[section] if section else config).update(changes)
    (folder / "config.json").write_text(json.dumps(config))


@pytest.mark.parametrize("section, changes, phrase", [
    (None, {"vision_feature_select_strategy": "full"}, "'default' vision feature strategy"),
    (None, {"projector_hidden_act": "relu"}, "GELU projector"),
    ("vision_config", {"use_qk_norm": True}, "QK normalization"),
    ("vision_config", {"norm_type": "rms_norm"}, "RMS norm"),
    ("vision_config", {"use_mean_pooling": False}, "final LayerNorm"),
    ("vision_config", {"attention_bias": False}, "no biases"),
])
def test_transformers_variants_the_converter_cannot_carry_are_refused_by_name(hf_checkpoint, tmp_path, section,
                                                                              changes, phrase):
    _edit_config(hf_checkpoint, section, **changes)
    with pytest.raises(ConversionError, match=phrase):
        convert_checkpoint(hf_checkpoint, tmp_path / "out", "F32", "f32")


def test_a_tensor_the_table_does_not_know_is_refused_by_name(hf_checkpoint, tmp_path):
    extra = tmp_path / "extra"
    extra.mkdir()
    write_sharded(extra, iter([("model.vision_tower.layernorm.weight", np.ones(64, np.float32))]), 1 << 20)
    index = json.loads((hf_checkpoint / "model.safetensors.index.json").read_text())
    shutil.copy(extra / "model-00001-of-00001.safetensors", hf_checkpoint / "extra.safetensors")
    index["weight_map"]["model.vision_tower.layernorm.weight"] = "extra.safetensors"
    (hf_checkpoint / "model.safetensors.index.json").write_text(json.dumps(index))
    proc = subprocess.run([sys.executable, "main.py", "convert", str(hf_checkpoint), "--out", str(tmp_path / "out")],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "Can not map tensor model.vision_tower.layernorm.weight" in proc.stderr
