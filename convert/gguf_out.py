"""Write GGUF files tensor by tensor from a conversion table.

The header (with every tensor's shape and type) is written first, then each tensor
is loaded from the checkpoint, built, converted and written before the next one is
read, so memory stays near the size of the largest single tensor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import gguf
import numpy as np

from convert.config import ModelConfig
from convert.entry import Entry
from convert.errors import ConversionError
from convert.safetensors_io import Checkpoint
from convert.tokenizer import Vocab

TEXT_ARCH = "pangu-embedded"
CLIP_ARCH = "clip"
Q = gguf.GGMLQuantizationType

# llama_ftype values for general.file_type
FILE_TYPE = {"F32": 0, "F16": 1, "Q8_0": 7, "BF16": 32}
# ggml's im2col, which the patch embedding's convolution runs through (ggml_conv_2d), writes only
# F16 or F32 (ggml-cpu ops.cpp, ggml_compute_forward_im2col).
PATCH_EMBEDDING = "v.patch_embd.weight"
Progress = Callable[[int], None]


def _storage_type(entry: Entry, wanted: Q) -> Q:
    if not entry.is_matrix or wanted == Q.F32:
        return Q.F32
    if wanted == Q.BF16 and entry.target == PATCH_EMBEDDING:
        return Q.F32  # exact for a bf16 checkpoint, and a small tensor
    if wanted == Q.Q8_0:
        block = gguf.GGML_QUANT_SIZES[Q.Q8_0][0]
        if entry.target == PATCH_EMBEDDING or entry.out_shape[-1] % block:
            return Q.F16
    return wanted


def _encode(values: np.ndarray, qtype: Q) -> np.ndarray:
    if qtype == Q.F32:
        return np.ascontiguousarray(values, dtype=np.float32)
    if qtype == Q.F16:
        return np.ascontiguousarray(values, dtype=np.float16)
    # BF16 rounds to nearest even like ggml_compute_fp32_to_bf16, so bf16 source values stay exact.
    return gguf.quants.quantize(np.ascontiguousarray(values, dtype=np.float32), qtype)


def _write_tensors(writer: gguf.GGUFWriter, path: Path, entries: list[Entry], checkpoint: Checkpoint,
                   wanted: Q, progress: Progress | None) -> None:
    types = [_storage_type(e, wanted) for e in entries]
    for entry, qtype in zip(entries, types):
        shape = entry.out_shape
        if qtype in (Q.F32, Q.F16):
            dtype = np.float32 if qtype == Q.F32 else np.float16
            nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
            writer.add_tensor_info(entry.target, shape, np.dtype(dtype), nbytes)
        else:
            byte_shape = gguf.quant_shape_to_byte_shape(shape, qtype)
            writer.add_tensor_info(entry.target, byte_shape, np.dtype(np.uint8), int(np.prod(byte_shape)), raw_dtype=qtype)
    try:
        writer.write_header_to_file(path)
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for entry, qtype in zip(entries, types):
            values = entry.build(*(checkpoint.load(name) for name in entry.sources))
            if tuple(values.shape) != tuple(entry.out_shape):
                raise ConversionError(f"Internal error: {entry.target} came out as {values.shape}, not {entry.out_shape}.")
            writer.write_tensor_data(_encode(values, qtype))
            if progress:
                progress(1)
    finally:
        writer.close()


def write_text_model(path: Path, cfg: ModelConfig, vocab: Vocab, entries: list[Entry], checkpoint: Checkpoint,
                     precision: str, source_name: str, progress: Progress | None = None) -> None:
    t = cfg.text
    w = gguf.GGUFWriter(path, TEXT_ARCH)
    w.add_name(f"VisionPangu language model ({source_name})")
    w.add_file_type(FILE_TYPE[precision])
    w.add_context_length(t.context_length)
    w.add_embedding_length(t.hidden_size)
    w.add_block_count(t.num_layers)
    w.add_feed_forward_length(t.intermediate_size)
    w.add_head_count(t.num_heads)
    w.add_head_count_kv(t.num_kv_heads)
    w.add_key_length(t.head_dim)
    w.add_value_length(t.head_dim)
    w.add_rope_dimension_count(t.head_dim)
    w.add_rope_freq_base(t.rope_theta)
    w.add_layer_norm_rms_eps(t.rms_norm_eps)
    w.add_vocab_size(t.vocab_size)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(vocab.tokens)
    w.add_token_scores(vocab.scores)
    w.add_token_types(vocab.types)
    w.add_bos_token_id(vocab.bos_id)
    w.add_eos_token_id(vocab.eos_id)
    if vocab.pad_id is not None:
        w.add_pad_token_id(int(vocab.pad_id))
    w.add_add_bos_token(vocab.add_bos)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(vocab.add_space_prefix)
    w.add_chat_template(vocab.chat_template)
    _write_tensors(w, path, entries, checkpoint, Q[precision], progress)


def write_mmproj(path: Path, cfg: ModelConfig, entries: list[Entry], checkpoint: Checkpoint, precision: str,
                 source_name: str, progress: Progress | None = None) -> None:
    v = cfg.vision
    w = gguf.GGUFWriter(path, CLIP_ARCH)
    w.add_name(f"VisionPangu vision encoder and projector ({source_name})")
    w.add_file_type(FILE_TYPE[precision])
    w.add_bool("clip.has_vision_encoder", True)
    w.add_bool("clip.has_text_encoder", False)
    w.add_bool("clip.use_gelu", True)
    w.add_string("clip.projector_type", cfg.names.graph)
    w.add_uint32("clip.vision.image_size", v.image_size)
    w.add_uint32("clip.vision.patch_size", v.patch_size)
    w.add_uint32("clip.vision.embedding_length", v.hidden_size)
    w.add_uint32("clip.vision.feed_forward_length", v.intermediate_size)
    w.add_uint32("clip.vision.block_count", cfg.vision_layers_used)
    w.add_uint32("clip.vision.attention.head_count", v.num_heads)
    w.add_float32("clip.vision.attention.layer_norm_epsilon", v.layer_norm_eps)
    w.add_uint32("clip.vision.projection_dim", cfg.text.hidden_size)
    w.add_array("clip.vision.image_mean", [float(x) for x in v.image_mean])
    w.add_array("clip.vision.image_std", [float(x) for x in v.image_std])
    if cfg.names.uses_internvl_graph:
        w.add_uint32("clip.vision.projector.scale_factor", round(1 / cfg.downsample_ratio))
        w.add_uint32("clip.vision.preproc_min_tiles", cfg.min_tiles)
        w.add_uint32("clip.vision.preproc_max_tiles", cfg.max_tiles)
    else:
        # The llava graph otherwise stops one layer early; name the last layer that runs.
        w.add_array("clip.vision.feature_layer", [cfg.vision_layers_used])
    _write_tensors(w, path, entries, checkpoint, Q[precision], progress)
