"""InternViT-300M and the two projector layouts -> a llama.cpp mmproj (clip) file.

Where llama.cpp's graph differs from the source model, the rows here compensate so
the numbers match (tests/convert/test_equality.py shows each):

- Class token position. InternViT puts the class token first and gives it
  position-embedding row 0. llama.cpp (tools/mtmd/models/internvl.cpp, llava.cpp)
  appends the class token *after* the patches and adds position rows in order, so
  the converter moves row 0 to the end: every token then gets its own position.
- Layer scale (ls1/ls2). The internvl graph applies it (build_vit); the llava graph
  does not, so for that layout it is folded into the attention output and FFN down
  projections: ls * (W x + b) == (diag(ls) W) x + ls * b.
- Feature layer. Layers after the one that feeds the projector are left out; for
  the llava graph `clip.vision.feature_layer` names the last one that runs.
- Fused qkv is split into q, k, v (as llama.cpp's own converter does).
"""

from __future__ import annotations

import numpy as np

from convert.config import LAYOUT_INTERNVL, ModelConfig
from convert.entry import Entry, Table

INTERNVL_VISION_PREFIX = "vision_model."
LLAVA_VISION_PREFIX = "model.vision_tower."


def _class_token_last(pos: np.ndarray) -> np.ndarray:
    rows = pos.reshape(pos.shape[-2], pos.shape[-1])
    return np.concatenate([rows[1:], rows[:1]], axis=0)


def _qkv_part(part: int):
    def build(qkv: np.ndarray) -> np.ndarray:
        third = qkv.shape[0] // 3
        return qkv[part * third : (part + 1) * third]

    return build


def _scale_rows(weight: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return weight * (scale[:, None] if weight.ndim == 2 else scale)


def vision_table(cfg: ModelConfig, present: set[str]) -> Table:
    v = cfg.vision
    c, ffn = v.hidden_size, v.intermediate_size
    p = INTERNVL_VISION_PREFIX if cfg.layout == LAYOUT_INTERNVL else LLAVA_VISION_PREFIX
    fold_layer_scale = cfg.layout != LAYOUT_INTERNVL
    n_pos = v.num_patches + 1
    entries = [
        Entry("v.class_embd", (p + "embeddings.class_embedding",), ((1, 1, c),), (c,),
              build=lambda x: x.reshape(-1)),
        Entry("v.patch_embd.weight", (p + "embeddings.patch_embedding.weight",),
              ((c, 3, v.patch_size, v.patch_size),), (c, 3, v.patch_size, v.patch_size)),
        Entry("v.patch_embd.bias", (p + "embeddings.patch_embedding.bias",), ((c,),), (c,)),
        Entry("v.position_embd.weight", (p + "embeddings.position_embedding",), ((1, n_pos, c),),
              (n_pos, c), build=_class_token_last),
    ]
    skipped: list[str] = []
    for i in range(v.num_layers):
        src = f"{p}encoder.layers.{i}."
        if i >= cfg.vision_layers_used:
            skipped.extend(name for name in present if name.startswith(src))
            continue
        blk = f"v.blk.{i}."
        for norm, target in (("norm1", "ln1"), ("norm2", "ln2")):
            for kind in ("weight", "bias"):
                entries.append(Entry(f"{blk}{target}.{kind}", (f"{src}{norm}.{kind}",), ((c,),), (c,)))
        for part, target in enumerate(("attn_q", "attn_k", "attn_v")):
            entries.append(Entry(f"{blk}{target}.weight", (src + "attn.qkv.weight",), ((3 * c, c),), (c, c),
                                 build=_qkv_part(part), is_matrix=True))
            entries.append(Entry(f"{blk}{target}.bias", (src + "attn.qkv.bias",), ((3 * c,),), (c,),
                                 build=_qkv_part(part)))
        for module, target, shape, scale in (
            ("attn.proj", "attn_out", (c, c), "ls1"),
            ("mlp.fc1", "ffn_up", (ffn, c), None),
            ("mlp.fc2", "ffn_down", (c, ffn), "ls2"),
        ):
            for kind, kind_shape in (("weight", shape), ("bias", shape[:1])):
                sources = (f"{src}{module}.{kind}",)
                shapes = (kind_shape,)
                build = None
                if scale and fold_layer_scale:
                    sources += (src + scale,)
                    shapes += ((c,),)
                    build = _scale_rows
                entries.append(Entry(f"{blk}{target}.{kind}", sources, shapes, kind_shape,
                                     build=build or (lambda x: x), is_matrix=kind == "weight"))
        if not fold_layer_scale:
            for scale in ("ls1", "ls2"):
                entries.append(Entry(f"{blk}{scale}.weight", (src + scale,), ((c,),), (c,)))
    entries.extend(_projector_entries(cfg))
    return Table(entries, skipped)


def _projector_entries(cfg: ModelConfig) -> list[Entry]:
    c, h = cfg.vision.hidden_size, cfg.text.hidden_size
    entries: list[Entry] = []
    if cfg.layout == LAYOUT_INTERNVL:
        merged = c * round(1 / cfg.downsample_ratio) ** 2
        layers = (("mlp1.0", "mm.model.mlp.0", None), ("mlp1.1", "mm.model.mlp.1", (h, merged)),
                  ("mlp1.3", "mm.model.mlp.3", (h, h)))
        norm_width = merged
    else:
        layers = (("model.mm_projector.0", "mm.0", (h, c)), ("model.mm_projector.2", "mm.2", (h, h)))
        norm_width = 0
    for source, target, shape in layers:
        if shape is None:  # the InternVL projector's LayerNorm
            for kind in ("weight", "bias"):
                entries.append(Entry(f"{target}.{kind}", (f"{source}.{kind}",), ((norm_width,),), (norm_width,)))
            continue
        entries.append(Entry(f"{target}.weight", (f"{source}.weight",), (shape,), shape, is_matrix=True))
        entries.append(Entry(f"{target}.bias", (f"{source}.bias",), (shape[:1],), shape[:1]))
    return entries
