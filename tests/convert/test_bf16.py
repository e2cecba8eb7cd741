"""A BF16 mmproj stores the bf16 checkpoint's vision weights exactly, and `auto` picks it from llama.cpp's report.

The tiny checkpoint is bf16 (convert/synthetic.py writes it with convert.safetensors_io.write_sharded),
so every matrix of a BF16 mmproj must hold the source's bits, not merely values close to them.
How close the resulting image embeddings are to the source model is in tests/convert/test_quantized.py.
"""

from __future__ import annotations

import json

import gguf
import numpy as np
import pytest

from convert.config import load_config, with_tensor_names
from convert.pipeline import build_tables, convert_checkpoint
from convert.safetensors_io import Checkpoint
from engine.cpu_features import choose_mmproj_type, llama_cpp_features

Q = gguf.GGMLQuantizationType


def _source_values(checkpoint_dir) -> dict[str, np.ndarray]:
    """Each mmproj tensor as the converter builds it from the checkpoint, in float32."""
    checkpoint = Checkpoint(checkpoint_dir)
    cfg = with_tensor_names(load_config(checkpoint_dir), checkpoint.names())
    _, vision = build_tables(cfg, checkpoint)
    return {e.target: e.build(*(checkpoint.load(n) for n in e.sources)) for e in vision.entries}


def _gguf_values(tensor) -> np.ndarray:
    if tensor.tensor_type == Q.BF16:
        bits = np.asarray(tensor.data).view(np.uint16).astype(np.uint32) << 16
        return bits.view(np.float32).reshape(tuple(reversed(tensor.shape.tolist())))
    return np.asarray(tensor.data, dtype=np.float32).reshape(tuple(reversed(tensor.shape.tolist())))


def test_bf16_mmproj_holds_the_source_bits(checkpoints, conversions):
    result = conversions.get("internvl", "F32", "bf16")
    tensors = {t.name: t for t in gguf.GGUFReader(result.mmproj_path).tensors}
    want = _source_values(checkpoints["internvl"])
    assert set(tensors) == set(want)
    matrices = [name for name, t in tensors.items() if t.tensor_type == Q.BF16]
    assert len(matrices) >= 2 * 6  # q, k, v, attn_out, ffn_up, ffn_down of two layers at least
    assert tensors["v.patch_embd.weight"].tensor_type == Q.F32  # im2col runs only F16/F32 kernels
    for name, tensor in tensors.items():
        got = _gguf_values(tensor)
        assert got.shape == want[name].shape, name
        # Compared as bits: equal values with other bits (-0.0 against 0.0) would be a change too.
        assert np.array_equal(got.view(np.uint32), np.asarray(want[name], dtype=np.float32).view(np.uint32)), name


@pytest.mark.parametrize("layout", ["internvl", "llava"])
def test_auto_writes_what_llama_cpp_runs_fastest_here_and_says_why(layout, checkpoints, tmp_path):
    result = convert_checkpoint(checkpoints[layout], tmp_path, "F32")  # mmproj type: the default, auto
    expected = choose_mmproj_type(llama_cpp_features())  # this machine's llama.cpp, asked in this process
    assert result.mmproj_choice == expected
    assert result.mmproj_path.name == f"mmproj-{expected.type}.gguf"

    listed = json.loads(result.manifest_path.read_text())["mmproj"]
    assert (listed["type"], listed["requested"], listed["reason"]) == (expected.type, "auto", expected.reason)
    types = {t.tensor_type.name for t in gguf.GGUFReader(result.mmproj_path).tensors if t.name.endswith("attn_q.weight")}
    assert types == {expected.type.upper()}


def test_a_named_type_is_kept_and_the_manifest_says_so(conversions):
    result = conversions.get("internvl", "F32", "f16")
    listed = json.loads(result.manifest_path.read_text())["mmproj"]
    assert (listed["type"], listed["requested"], listed["reason"]) == ("f16", "f16", "asked for by name")
