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
- Fused qkv is split into q, k, v (as llama.cpp's own converter does); transformers'
  native format already stores them apart.

The names of each layout come from convert/layouts.py.
"""

from __future__ import annotations

import numpy as np

from convert.config import ModelConfig
from convert.entry import Entry, Table


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


def _qkv_entries(cfg: ModelConfig, src: str, blk: str) -> list[Entry]:
    c, names = cfg.vision.hidden_size, cfg.names.vision
    entries = []
    for part, target in enumerate(("attn_q", "attn_k", "attn_v")):
        if names.qkv is None:  # stored apart
            source = src + names.qkv_parts()[part]
            entries.append(Entry(f"{blk}{target}.weight", (source + ".weight",), ((c, c),), (c, c), is_matrix=True))
            entries.append(Entry(f"{blk}{target}.bias", (source + ".bias",), ((c,),), (c,)))
            continue
        entries.append(Entry(f"{blk}{target}.weight", (f"{src}{names.qkv}.weight",), ((3 * c, c),), (c, c),
                             build=_qkv_part(part), is_matrix=True))
        entries.append(Entry(f"{blk}{target}.bias", (f"{src}{names.qkv}.bias",), ((3 * c,),), (c,),
                             build=_qkv_part(part)))
    return entries


def vision_table(cfg: ModelConfig, present: set[str]) -> Table:
    v, layout = cfg.vision, cfg.names
    names, p = layout.vision, layout.vision_prefix
    c, ffn = v.hidden_size, v.intermediate_size
    fold_layer_scale = not layout.uses_internvl_graph
    n_pos = v.num_patches + 1
    entries = [
        Entry("v.class_embd", (p + names.class_token,), ((1, 1, c),), (c,), build=lambda x: x.reshape(-1)),
        Entry("v.patch_embd.weight", (p + names.patch_weight,),
              ((c, 3, v.patch_size, v.patch_size),), (c, 3, v.patch_size, v.patch_size)),
        Entry("v.patch_embd.bias", (p + names.patch_bias,), ((c,),), (c,)),
        Entry("v.position_embd.weight", (p + names.positions,), ((1, n_pos, c),), (n_pos, c),
              build=_class_token_last),
    ]
    skipped: list[str] = []
    for i in range(v.num_layers):
        src = layout.vision_layer(i)
        if i >= cfg.vision_layers_used:
            skipped.extend(name for name in present if name.startswith(src))
            continue
        blk = f"v.blk.{i}."
        for norm, target in ((names.norm1, "ln1"), (names.norm2, "ln2")):
            for kind in ("weight", "bias"):
                entries.append(Entry(f"{blk}{target}.{kind}", (f"{src}{norm}.{kind}",), ((c,),), (c,)))
        entries.extend(_qkv_entries(cfg, src, blk))
        for module, target, shape, scale in (
            (names.attn_out, "attn_out", (c, c), names.scale1),
            (names.fc1, "ffn_up", (ffn, c), None),
            (names.fc2, "ffn_down", (c, ffn), names.scale2),
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
            for scale, target in ((names.scale1, "ls1"), (names.scale2, "ls2")):
                entries.append(Entry(f"{blk}{target}.weight", (src + scale,), ((c,),), (c,)))
    entries.extend(_projector_entries(cfg))
    return Table(entries, skipped)


def _projector_entries(cfg: ModelConfig) -> list[Entry]:
    c, h = cfg.vision.hidden_size, cfg.text.hidden_size
    entries: list[Entry] = []
    modules = cfg.names.projector
    if cfg.names.uses_internvl_graph:
        merged = c * round(1 / cfg.downsample_ratio) ** 2
        layers = ((modules[0], "mm.model.mlp.0", None), (modules[1], "mm.model.mlp.1", (h, merged)),
                  (modules[2], "mm.model.mlp.3", (h, h)))
        norm_width = merged
    else:
        layers = ((modules[0], "mm.0", (h, c)), (modules[1], "mm.2", (h, h)))
        norm_width = 0
    for source, target, shape in layers:
        if shape is None:  # the InternVL projector's LayerNorm
            for kind in ("weight", "bias"):
                entries.append(Entry(f"{target}.{kind}", (f"{source}.{kind}",), ((norm_width,),), (norm_width,)))
            continue
        entries.append(Entry(f"{target}.weight", (f"{source}.weight",), (shape,), shape, is_matrix=True))
        entries.append(Entry(f"{target}.bias", (f"{source}.bias",), (shape[:1],), shape[:1]))
    return entries
