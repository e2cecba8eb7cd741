"""Read and write safetensors files with numpy memory maps, one tensor at a time.

The format is an 8-byte little-endian header length, a JSON header naming each
tensor's dtype, shape and byte range, then the raw data. Reading maps the file and
converts only the tensor asked for, so a 1.7B checkpoint is never held whole.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from convert.errors import ConversionError

HEADER_LENGTH_BYTES = 8
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the reference implementation's own limit
INDEX_FILE_NAME = "model.safetensors.index.json"
SINGLE_FILE_NAME = "model.safetensors"

CONVERT_SLICE = 1 << 22  # elements converted at a time
_ITEM_SIZE = {"BF16": 2, "F16": 2, "F32": 4}


def bf16_bits_to_f32(bits: np.ndarray) -> np.ndarray:
    """Widen raw bfloat16 bits (uint16) to float32: bf16 is the top half of an f32."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


def f32_to_bf16_bits(values: np.ndarray) -> np.ndarray:
    """Round float32 to bfloat16 bits, nearest-even, as torch does (in slices, to bound memory)."""
    flat = np.ascontiguousarray(values, dtype=np.float32).reshape(-1).view(np.uint32)
    out = np.empty(flat.shape, dtype=np.uint16)
    for start in range(0, flat.size, CONVERT_SLICE):
        u = flat[start : start + CONVERT_SLICE].astype(np.uint64)
        out[start : start + CONVERT_SLICE] = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return out.reshape(np.shape(values))


@dataclass(frozen=True)
class TensorInfo:
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


class SafetensorsFile:
    """One .safetensors file, memory-mapped; tensors convert to float32 on demand."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            size = self.path.stat().st_size
            with open(self.path, "rb") as f:
                raw_len = f.read(HEADER_LENGTH_BYTES)
                if len(raw_len) < HEADER_LENGTH_BYTES:
                    raise self._damaged("it is shorter than a safetensors header")
                (header_len,) = struct.unpack("<Q", raw_len)
                if header_len > min(MAX_HEADER_BYTES, size - HEADER_LENGTH_BYTES):
                    raise self._damaged("its header length is impossible")
                header = json.loads(f.read(header_len).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self._damaged("its header is not valid JSON") from exc
        except OSError as exc:
            raise ConversionError(f"Cannot read {self.path}: {exc.strerror}.") from exc
        self._data_start = HEADER_LENGTH_BYTES + header_len
        self.metadata = header.pop("__metadata__", {}) or {}
        self.tensors: dict[str, TensorInfo] = {}
        data_size = size - self._data_start
        for name, entry in header.items():
            dtype = entry.get("dtype")
            if dtype not in _ITEM_SIZE:
                raise ConversionError(
                    f"Tensor {name} in {self.path.name} has data type {dtype}; "
                    "only BF16, F16 and F32 checkpoints can be converted."
                )
            shape = tuple(int(d) for d in entry["shape"])
            begin, end = (int(o) for o in entry["data_offsets"])
            if end - begin != int(np.prod(shape, dtype=np.int64)) * _ITEM_SIZE[dtype]:
                raise self._damaged(f"tensor {name} has the wrong number of bytes")
            if end > data_size:
                raise self._damaged(f"tensor {name} runs past the end of the file (truncated?)")
            self.tensors[name] = TensorInfo(dtype, shape, begin, end)
        self._map: np.memmap | None = None

    def _damaged(self, why: str) -> ConversionError:
        return ConversionError(
            f"The checkpoint file {self.path} is damaged: {why}. Download it again."
        )

    def load(self, name: str) -> np.ndarray:
        """The tensor as float32 (a copy: the map stays read-only)."""
        info = self.tensors[name]
        if self._map is None:
            self._map = np.memmap(self.path, dtype=np.uint8, mode="r")
        raw = self._map[self._data_start + info.begin : self._data_start + info.end]
        if info.dtype == "BF16":
            values = bf16_bits_to_f32(raw.view(np.uint16))
        elif info.dtype == "F16":
            values = raw.view(np.float16).astype(np.float32)
        else:
            values = np.array(raw.view(np.float32))
        return values.reshape(info.shape)


class Checkpoint:
    """All safetensors of a checkpoint folder: sharded with an index, or a single file."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        index_path = self.folder / INDEX_FILE_NAME
        if index_path.is_file():
            try:
                weight_map = json.loads(index_path.read_text(encoding="utf-8"))["weight_map"]
            except (json.JSONDecodeError, KeyError, UnicodeDecodeError) as exc:
                raise ConversionError(f"{index_path} is not a valid safetensors index.") from exc
            shard_names = sorted(set(weight_map.values()))
        elif (self.folder / SINGLE_FILE_NAME).is_file():
            shard_names = [SINGLE_FILE_NAME]
        else:
            shard_names = sorted(p.name for p in self.folder.glob("*.safetensors"))
        if not shard_names:
            raise ConversionError(f"No .safetensors weights found in {self.folder}.")
        self._shards: dict[str, SafetensorsFile] = {}
        self._where: dict[str, SafetensorsFile] = {}
        for shard_name in shard_names:
            shard_path = self.folder / shard_name
            if not shard_path.is_file():
                raise ConversionError(
                    f"The checkpoint index names {shard_name}, but that file is missing from {self.folder}."
                )
            shard = SafetensorsFile(shard_path)
            self._shards[shard_name] = shard
            for name in shard.tensors:
                self._where[name] = shard

    def names(self) -> list[str]:
        return sorted(self._where)

    def shape(self, name: str) -> tuple[int, ...]:
        return self._where[name].tensors[name].shape

    def dtype(self, name: str) -> str:
        """As the safetensors header names it: BF16, F16 or F32."""
        return self._where[name].tensors[name].dtype

    def __contains__(self, name: str) -> bool:
        return name in self._where

    def load(self, name: str) -> np.ndarray:
        return self._where[name].load(name)


def write_sharded(
    folder: Path, tensors: Iterator[tuple[str, np.ndarray]], max_shard_bytes: int
) -> None:
    """Write (name, float32 array) pairs as bf16 shards plus an index, like `save_pretrained`.

    Tensors are buffered only up to one shard's size, so a full-size checkpoint is
    written without holding it all.
    """
    folder = Path(folder)
    batch: list[tuple[str, np.ndarray]] = []
    batch_bytes = 0
    temp_names: list[str] = []
    weight_map: dict[str, str] = {}
    total = 0

    def flush() -> None:
        temp_name = f"shard-{len(temp_names):05d}.tmp"
        _write_file(folder / temp_name, batch)
        temp_names.append(temp_name)
        for name, _ in batch:
            weight_map[name] = temp_name

    for name, array in tensors:
        bits = f32_to_bf16_bits(array)
        if batch and batch_bytes + bits.nbytes > max_shard_bytes:
            flush()
            batch, batch_bytes = [], 0
        batch.append((name, bits.reshape(array.shape)))
        batch_bytes += bits.nbytes
        total += bits.nbytes
    flush()

    count = len(temp_names)
    final = {t: f"model-{i + 1:05d}-of-{count:05d}.safetensors" for i, t in enumerate(temp_names)}
    for temp_name, final_name in final.items():
        os.replace(folder / temp_name, folder / final_name)
    index = {
        "metadata": {"total_size": total},
        "weight_map": {name: final[t] for name, t in sorted(weight_map.items())},
    }
    (folder / INDEX_FILE_NAME).write_text(json.dumps(index, indent=2), encoding="utf-8")


def _write_file(path: Path, batch: list[tuple[str, np.ndarray]]) -> None:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, bits in batch:
        header[name] = {"dtype": "BF16", "shape": list(bits.shape), "data_offsets": [offset, offset + bits.nbytes]}
        offset += bits.nbytes
    encoded = json.dumps(header).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # keep the data 8-byte aligned, as the spec advises
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for _, bits in batch:
            f.write(np.ascontiguousarray(bits).tobytes())
