"""The memory-mapped safetensors reader and the sharded bf16 writer."""

from __future__ import annotations

import json
import struct

import numpy as np

from convert.safetensors_io import (
    INDEX_FILE_NAME, Checkpoint, SafetensorsFile, bf16_bits_to_f32, f32_to_bf16_bits, write_sharded,
)


def test_bf16_round_trip_is_exact_for_bf16_values():
    values = np.array([0.0, 1.0, -2.5, 3.140625, 1e-3, 65504.0, -1e30], dtype=np.float32)
    bits = f32_to_bf16_bits(values)
    back = bf16_bits_to_f32(bits)
    assert np.allclose(back, values, rtol=2**-8)
    assert np.array_equal(f32_to_bf16_bits(back), bits)  # bf16 values survive unchanged


def test_bf16_rounds_to_nearest_even():
    # 1 + 2^-8 is exactly between two bf16 values: ties go to the even mantissa (1.0).
    halfway = np.array([1 + 2**-8, 1 + 3 * 2**-8], dtype=np.float32)
    assert bf16_bits_to_f32(f32_to_bf16_bits(halfway)).tolist() == [1.0, 1 + 2**-6]


def test_sharded_write_and_read(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {f"layer.{i}.weight": rng.standard_normal((64, 32)).astype(np.float32) for i in range(5)}
    write_sharded(tmp_path, iter(tensors.items()), max_shard_bytes=64 * 32 * 2 * 2)
    index = json.loads((tmp_path / INDEX_FILE_NAME).read_text())
    shards = sorted(set(index["weight_map"].values()))
    assert shards == ["model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                      "model-00003-of-00003.safetensors"]
    ckpt = Checkpoint(tmp_path)
    assert ckpt.names() == sorted(tensors)
    for name, values in tensors.items():
        assert ckpt.shape(name) == (64, 32)
        assert np.allclose(ckpt.load(name), values, rtol=2**-8, atol=1e-6)


def test_reads_f16_and_f32_single_file(tmp_path):
    a = np.arange(6, dtype=np.float16).reshape(2, 3)
    b = np.linspace(-1, 1, 4, dtype=np.float32)
    header = {"a": {"dtype": "F16", "shape": [2, 3], "data_offsets": [0, 12]},
              "b": {"dtype": "F32", "shape": [4], "data_offsets": [12, 28]}}
    raw = json.dumps(header).encode()
    (tmp_path / "model.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + a.tobytes() + b.tobytes())
    f = SafetensorsFile(tmp_path / "model.safetensors")
    assert f.load("a").dtype == np.float32 and f.load("a").tolist() == a.astype(np.float32).tolist()
    assert f.load("b").tolist() == b.tolist()
    assert Checkpoint(tmp_path).names() == ["a", "b"]
