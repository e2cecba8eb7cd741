"""A copy of an InternVL mmproj without its encoder blocks, for mtmd to tokenize prompts with.

mtmd tokenizes images (how many tiles, how many tokens each, the <img>...</img> marks around
them) from the mmproj's metadata, but loading it loads the whole encoder: 0.6 GB for InternViT-300M.
Where another encoder computes the embeddings, mtmd needs only the metadata, so this writes the
same file with `clip.vision.block_count` 0 and no `v.blk.*` tensors (the patch and position
embeddings and the projector, which mtmd's loader requires). mtmd loads it, tokenizes exactly as it
does the full file, and reads embeddings computed elsewhere into the language model
(mtmd_helper_decode_image_chunk). The copy is private to the user and removed once mtmd has read it.

mtmd never computes with the shell's projector (the other encoder's graph holds its own), but keeps
its matrices in memory for as long as the worker runs: 17 MB of BF16 at full size. So the shell's
matrices keep their names and shapes, which mtmd's loader checks, and are written as zeros in
Q4_0 (llama.cpp's smallest plain block format, one eighth of F32 with a zero scale per block):
4.8 MB in memory instead.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

BLOCK_COUNT_KEY = "clip.vision.block_count"
BLOCK_PREFIX = "v.blk."
PLACEHOLDER_TYPE = "Q4_0"  # the format of the shell's (never used) matrices


def write_shell(mmproj_path: str | os.PathLike, folder: str | os.PathLike | None = None) -> Path:
    """The shell of `mmproj_path` in a new private file in `folder` (the system's temporary folder by default)."""
    import gguf

    reader = gguf.GGUFReader(str(mmproj_path))
    handle, name = tempfile.mkstemp(prefix="mmproj-shell-", suffix=".gguf", dir=folder)  # mode 0600
    os.close(handle)
    try:
        writer = gguf.GGUFWriter(name, arch="clip")
        for key, field in reader.fields.items():
            if key.startswith("GGUF.") or key == "general.architecture":
                continue  # the writer writes these itself
            value = 0 if key == BLOCK_COUNT_KEY else field.contents()
            sub_type = field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(key, value, field.types[0], sub_type)
        for tensor in reader.tensors:
            if tensor.name.startswith(BLOCK_PREFIX):
                continue
            if _is_projector_matrix(tensor):
                writer.add_tensor(tensor.name, *_zeros(tensor))
                continue
            data = np.asarray(tensor.data)
            writer.add_tensor(tensor.name, data, raw_shape=data.shape, raw_dtype=tensor.tensor_type)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _is_projector_matrix(tensor) -> bool:
    """A matrix of the projector that Q4_0's blocks of 32 can hold (its rows a multiple of 32 long)."""
    import gguf

    block, _ = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType[PLACEHOLDER_TYPE]]
    return tensor.name.startswith("mm.") and len(tensor.shape) == 2 and int(tensor.shape[0]) % block == 0


def _zeros(tensor):
    """(data, raw_shape, raw_dtype) for `tensor`'s shape in PLACEHOLDER_TYPE, every block zero."""
    import gguf

    kind = gguf.GGMLQuantizationType[PLACEHOLDER_TYPE]
    row_length, rows = (int(n) for n in tensor.shape)  # GGUF order: the row's length first
    block, block_bytes = gguf.GGML_QUANT_SIZES[kind]
    data = np.zeros((rows, row_length // block * block_bytes), dtype=np.uint8)
    return data, data.shape, kind
