"""Where each part of VisionPangu sits in the checkpoint layouts the converter reads.

The published checkpoint's layout is not yet known, so four are read, each by its names here:

- `internvl`: InternVL's own code (`InternVLChatModel`): `vision_model.*`, `mlp1.*`,
  `language_model.model.*`, `language_model.lm_head`.
- `internvl-hf`: transformers' native InternVL (`InternVLForConditionalGeneration`, OpenGVLab's
  `-hf` checkpoints). Names from transformers' src/transformers/models/internvl/
  convert_internvl_weights_to_hf.py (ORIGINAL_TO_CONVERTED_KEY_MAPPING_VISION/_TEXT_QWEN2/_MULTI)
  and modeling_internvl.py: the tower at `model.vision_tower.`, `layers` -> `layer`,
  `class_embedding` -> `cls_token`, `patch_embedding` -> `patch_embeddings.projection`,
  `position_embedding` -> `position_embeddings`, `ls1/ls2` -> `lambda_1/lambda_2`,
  `attn.proj` -> `attention.projection_layer`, `norm1/norm2` -> `layernorm_before/_after`, the
  fused `attn.qkv` split into `attention.q_proj/k_proj/v_proj`; the projector is
  `model.multi_modal_projector.{layer_norm,linear_1,linear_2}` (mlp1.0, .1, .3); the decoder
  is `model.language_model.*` (no inner `model.`) and the head `lm_head`.
- `llava`: LLaVA-style, InternViT at `model.vision_tower.`, `model.mm_projector.{0,2}`, the
  language model at the top.
- `llava-nested`: the same with the tower one level deeper, `model.vision_tower.vision_tower.`,
  as LLaVA's vision-tower wrapper stores it (llava/model/multimodal_encoder/clip_encoder.py keeps
  the tower model in `self.vision_tower`). Its config.json is the same as `llava`'s, so the
  tensor names tell the two apart.
"""

from __future__ import annotations

from dataclasses import dataclass

LAYOUT_INTERNVL = "internvl"
LAYOUT_INTERNVL_HF = "internvl-hf"
LAYOUT_LLAVA = "llava"
LAYOUT_LLAVA_NESTED = "llava-nested"

# Which of llama.cpp's projector graphs runs the converted file (tools/mtmd/clip.cpp).
GRAPH_INTERNVL = "internvl"
GRAPH_LLAVA = "mlp"


@dataclass(frozen=True)
class VisionNames:
    """InternViT's tensors, relative to the tower's prefix; `{i}` is the layer number."""

    class_token: str
    patch_weight: str
    patch_bias: str
    positions: str
    layer: str
    norm1: str
    norm2: str
    # A fused q/k/v projection (InternViT's own) or None where q, k and v are separate.
    qkv: str | None
    q: str | None
    k: str | None
    v: str | None
    attn_out: str
    fc1: str
    fc2: str
    scale1: str
    scale2: str

    def qkv_parts(self) -> tuple[str, str, str]:
        return (self.q, self.k, self.v)


INTERNVIT_NAMES = VisionNames(
    class_token="embeddings.class_embedding", patch_weight="embeddings.patch_embedding.weight",
    patch_bias="embeddings.patch_embedding.bias", positions="embeddings.position_embedding",
    layer="encoder.layers.{i}.", norm1="norm1", norm2="norm2", qkv="attn.qkv", q=None, k=None, v=None,
    attn_out="attn.proj", fc1="mlp.fc1", fc2="mlp.fc2", scale1="ls1", scale2="ls2",
)
TRANSFORMERS_INTERNVL_NAMES = VisionNames(
    class_token="embeddings.cls_token", patch_weight="embeddings.patch_embeddings.projection.weight",
    patch_bias="embeddings.patch_embeddings.projection.bias", positions="embeddings.position_embeddings",
    layer="encoder.layer.{i}.", norm1="layernorm_before", norm2="layernorm_after", qkv=None,
    q="attention.q_proj", k="attention.k_proj", v="attention.v_proj", attn_out="attention.projection_layer",
    fc1="mlp.fc1", fc2="mlp.fc2", scale1="lambda_1", scale2="lambda_2",
)


@dataclass(frozen=True)
class Layout:
    name: str
    graph: str
    vision_prefix: str
    vision: VisionNames
    # internvl graph: (LayerNorm, Linear, Linear); llava graph: (Linear, Linear). GELU between.
    projector: tuple[str, ...]
    # The decoder's body (embed_tokens, layers.N, norm) and its output head.
    text_prefix: str
    lm_head: str

    @property
    def uses_internvl_graph(self) -> bool:
        return self.graph == GRAPH_INTERNVL

    def vision_layer(self, i: int) -> str:
        return self.vision_prefix + self.vision.layer.format(i=i)


_LLAVA_PROJECTOR = ("model.mm_projector.0", "model.mm_projector.2")

LAYOUTS = {
    layout.name: layout
    for layout in (
        Layout(LAYOUT_INTERNVL, GRAPH_INTERNVL, "vision_model.", INTERNVIT_NAMES, ("mlp1.0", "mlp1.1", "mlp1.3"),
               "language_model.model.", "language_model.lm_head.weight"),
        Layout(LAYOUT_INTERNVL_HF, GRAPH_INTERNVL, "model.vision_tower.", TRANSFORMERS_INTERNVL_NAMES,
               tuple(f"model.multi_modal_projector.{m}" for m in ("layer_norm", "linear_1", "linear_2")),
               "model.language_model.", "lm_head.weight"),
        Layout(LAYOUT_LLAVA, GRAPH_LLAVA, "model.vision_tower.", INTERNVIT_NAMES, _LLAVA_PROJECTOR,
               "model.", "lm_head.weight"),
        Layout(LAYOUT_LLAVA_NESTED, GRAPH_LLAVA, "model.vision_tower.vision_tower.", INTERNVIT_NAMES,
               _LLAVA_PROJECTOR, "model.", "lm_head.weight"),
    )
}
LAYOUT_NAMES = tuple(LAYOUTS)
