"""The derived checkpoint layouts, written the way their own tools write them.

A synthetic `internvl-hf` checkpoint is made from the `internvl` one exactly as transformers
makes OpenGVLab's `-hf` checkpoints (src/transformers/models/internvl/
convert_internvl_weights_to_hf.py): the same regular expressions, applied in the same order,
and the fused qkv cut into q, k and v. A `llava-nested` one moves the tower one level down, as
LLaVA's vision-tower wrapper stores it. This is deliberately not convert/layouts.py's table:
the equality tests then check that table against transformers' own mapping.
"""

from __future__ import annotations

import re
from typing import Iterator

import numpy as np

from convert.layouts import LAYOUT_INTERNVL, LAYOUT_INTERNVL_HF, LAYOUT_LLAVA, LAYOUT_LLAVA_NESTED

Tensors = Iterator[tuple[str, np.ndarray]]

# ORIGINAL_TO_CONVERTED_KEY_MAPPING_VISION, in its order.
_HF_VISION = (
    (r"vision_model", r"model.vision_tower"), (r"layers", r"layer"), (r"class_embedding", r"cls_token"),
    (r"position_embedding", r"position_embeddings"), (r"patch_embedding", r"patch_embeddings.projection"),
    (r"ls(\d+)", r"lambda_\1"), (r"attn.proj", r"attention.projection_layer"),
    (r"attn.dropout", r"attention.projection_dropout"), (r"attn", r"attention"),
    (r"norm1", r"layernorm_before"), (r"norm2", r"layernorm_after"),
)
# ORIGINAL_TO_CONVERTED_KEY_MAPPING_TEXT_QWEN2 (a decoder stored like Qwen2's, as Pangu's is).
_HF_TEXT = ((r"language_model.model.", r"model.language_model."), (r"language_model.lm_head", r"lm_head"))
# ORIGINAL_TO_CONVERTED_KEY_MAPPING_MULTI.
_HF_MULTI = (
    (r"mlp1.0", r"model.multi_modal_projector.layer_norm"), (r"mlp1.1", r"model.multi_modal_projector.linear_1"),
    (r"mlp1.3", r"model.multi_modal_projector.linear_2"),
)
_HF_QKV, _HF_QKV_PARTS = "attention.qkv", ("attention.q_proj", "attention.k_proj", "attention.v_proj")
_LLAVA_TOWER, _LLAVA_NESTED_TOWER = "model.vision_tower.", "model.vision_tower.vision_tower."

# Each derived layout is made from this one.
BASE_LAYOUT = {LAYOUT_INTERNVL_HF: LAYOUT_INTERNVL, LAYOUT_LLAVA_NESTED: LAYOUT_LLAVA}


def _hf_name(name: str) -> str:
    if name.startswith("vision_model"):
        mapping = _HF_VISION
    elif name.startswith("language_model"):
        mapping = _HF_TEXT
    else:
        mapping = _HF_MULTI
    for pattern, replacement in mapping:
        name = re.sub(pattern, replacement, name)
    return name


def _to_transformers_internvl(tensors: Tensors) -> Tensors:
    for name, value in tensors:
        new = _hf_name(name)
        if _HF_QKV not in new:
            yield new, value
            continue
        for part, target in zip(np.split(value, 3, axis=0), _HF_QKV_PARTS):
            yield new.replace(_HF_QKV, target), np.ascontiguousarray(part)


def _to_llava_nested(tensors: Tensors) -> Tensors:
    for name, value in tensors:
        yield (_LLAVA_NESTED_TOWER + name[len(_LLAVA_TOWER):] if name.startswith(_LLAVA_TOWER) else name), value


def derived(layout: str, tensors: Tensors) -> Tensors:
    """The base layout's tensors, renamed (and split) into `layout`'s."""
    if layout == LAYOUT_INTERNVL_HF:
        return _to_transformers_internvl(tensors)
    if layout == LAYOUT_LLAVA_NESTED:
        return _to_llava_nested(tensors)
    return tensors


def transformers_internvl_config(base: dict) -> dict:
    """An `InternVLChatModel` config.json as transformers' InternVLConfig (get_internvl_config)."""
    vision = {
        key: value for key, value in base["vision_config"].items()
        if key not in ("architectures", "model_type", "qkv_bias", "qk_normalization", "image_mean", "image_std")
    }
    size, patch = vision.pop("image_size"), vision.pop("patch_size")
    vision.update(model_type="internvl_vision", attention_bias=base["vision_config"]["qkv_bias"],
                  use_qk_norm=base["vision_config"]["qk_normalization"], image_size=[size, size],
                  patch_size=[patch, patch], use_absolute_position_embeddings=True, use_mean_pooling=True,
                  layer_scale_init_value=0.1)
    return {
        "architectures": ["InternVLForConditionalGeneration"], "model_type": "internvl",
        "downsample_ratio": base["downsample_ratio"], "vision_feature_layer": base["select_layer"],
        "vision_feature_select_strategy": "default", "projector_hidden_act": "gelu", "image_seq_length": 256,
        "vision_config": vision, "text_config": base["llm_config"],
    }
