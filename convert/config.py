"""Read a checkpoint's config.json into typed hyperparameters and detect its layout.

VisionPangu's published layout is not yet known: InternVL's own (`InternVLChatModel`),
transformers' native InternVL (`InternVLForConditionalGeneration`) or LLaVA-style, with
the tower at `model.vision_tower.` or one level deeper (convert/layouts.py names each).
Anything else is refused by name.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from convert.errors import ConversionError
from convert.layouts import (
    LAYOUT_INTERNVL, LAYOUT_INTERNVL_HF, LAYOUT_LLAVA, LAYOUT_LLAVA_NESTED, LAYOUTS, Layout,
)
from engine.images import TILE

INTERNVL_ARCHITECTURES = ("InternVLChatModel",)
INTERNVL_HF_ARCHITECTURES = ("InternVLForConditionalGeneration",)
LLAVA_ARCHITECTURES = ("VisionPanguForCausalLM", "LlavaPanguEmbeddedForCausalLM", "LlavaPanguForCausalLM")
TEXT_ARCHITECTURES = ("PanguEmbeddedForCausalLM",)

DEFAULT_MIN_TILES, DEFAULT_MAX_TILES = 1, 12
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class TextConfig:
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    rms_norm_eps: float
    rope_theta: float
    context_length: int
    tie_word_embeddings: bool
    bos_token_id: int
    eos_token_id: int
    pad_token_id: int | None


@dataclass(frozen=True)
class VisionConfig:
    hidden_size: int
    intermediate_size: int
    num_layers: int
    num_heads: int
    image_size: int
    patch_size: int
    layer_norm_eps: float
    image_mean: tuple[float, float, float]
    image_std: tuple[float, float, float]

    @property
    def num_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2


@dataclass(frozen=True)
class ModelConfig:
    layout: str
    text: TextConfig
    vision: VisionConfig
    # InternVL: pixel shuffle by 1/downsample_ratio before the MLP; LLaVA: none.
    downsample_ratio: float
    # Which ViT layer feeds the projector, Python-style (-1 last, -2 penultimate).
    select_layer: int
    min_tiles: int
    max_tiles: int

    @property
    def names(self) -> Layout:
        return LAYOUTS[self.layout]

    @property
    def vision_layers_used(self) -> int:
        """ViT layers that run: layers after the selected one never affect the output."""
        return self.vision.num_layers + 1 + self.select_layer


def _need(section: dict, key: str, where: str):
    if key not in section:
        raise ConversionError(f"config.json has no '{key}' in {where}; this checkpoint cannot be converted.")
    return section[key]


def _text_config(section: dict, where: str, check_architecture: bool = True) -> TextConfig:
    archs = section.get("architectures") or []
    if check_architecture and archs and not set(archs) & set(TEXT_ARCHITECTURES):
        raise ConversionError(
            f"The language model in this checkpoint is {', '.join(archs)}; only "
            f"{', '.join(TEXT_ARCHITECTURES)} (OpenPangu-Embedded) is supported."
        )
    hidden = int(_need(section, "hidden_size", where))
    heads = int(_need(section, "num_attention_heads", where))
    eos = section.get("eos_token_id", 45892)
    if isinstance(eos, list):
        eos = eos[0]
    return TextConfig(
        vocab_size=int(_need(section, "vocab_size", where)),
        hidden_size=hidden,
        num_layers=int(_need(section, "num_hidden_layers", where)),
        num_heads=heads,
        num_kv_heads=int(section.get("num_key_value_heads", heads)),
        head_dim=int(section.get("head_dim") or hidden // heads),
        intermediate_size=int(_need(section, "intermediate_size", where)),
        rms_norm_eps=float(section.get("rms_norm_eps", 1e-5)),
        rope_theta=float(section.get("rope_theta", 4e6)),
        context_length=int(section.get("max_position_embeddings", 32768)),
        tie_word_embeddings=bool(section.get("tie_word_embeddings", True)),
        bos_token_id=int(section.get("bos_token_id", 1)),
        eos_token_id=int(eos),
        pad_token_id=section.get("pad_token_id"),
    )


def _vision_config(section: dict) -> VisionConfig:
    where = "vision_config"
    act = section.get("hidden_act", "gelu")
    if act != "gelu":
        raise ConversionError(f"The vision encoder uses activation '{act}'; only 'gelu' (InternViT) is supported.")
    if section.get("qk_normalization") or section.get("use_qk_norm"):
        raise ConversionError("The vision encoder uses QK normalization (InternViT-6B); only InternViT-300M is supported.")
    image_size = section.get("image_size", TILE)
    patch_size = section.get("patch_size", 14)
    image_size = image_size[0] if isinstance(image_size, list) else image_size
    patch_size = patch_size[0] if isinstance(patch_size, list) else patch_size
    return VisionConfig(
        hidden_size=int(_need(section, "hidden_size", where)),
        intermediate_size=int(_need(section, "intermediate_size", where)),
        num_layers=int(_need(section, "num_hidden_layers", where)),
        num_heads=int(_need(section, "num_attention_heads", where)),
        image_size=int(image_size),
        patch_size=int(patch_size),
        layer_norm_eps=float(section.get("layer_norm_eps", 1e-6)),
        image_mean=tuple(section.get("image_mean", IMAGENET_MEAN)),
        image_std=tuple(section.get("image_std", IMAGENET_STD)),
    )


def load_config(folder: Path) -> ModelConfig:
    path = Path(folder) / "config.json"
    if not path.is_file():
        raise ConversionError(
            f"{folder} has no config.json. Choose the folder of the downloaded VisionPangu checkpoint."
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConversionError(f"{path} is not valid JSON: the download may be damaged.") from exc
    archs = raw.get("architectures") or [raw.get("model_type", "unknown")]
    arch = archs[0]
    vision_section = raw.get("vision_config")
    if arch in INTERNVL_ARCHITECTURES:
        if vision_section is None or "llm_config" not in raw:
            raise ConversionError("config.json of this InternVL checkpoint lacks vision_config or llm_config.")
        return ModelConfig(
            layout=LAYOUT_INTERNVL,
            text=_text_config(raw["llm_config"], "llm_config"),
            vision=_vision_config(vision_section),
            downsample_ratio=float(raw.get("downsample_ratio", 0.5)),
            select_layer=int(raw.get("select_layer", -1)),
            min_tiles=int(raw.get("min_dynamic_patch", DEFAULT_MIN_TILES)),
            max_tiles=int(raw.get("max_dynamic_patch", DEFAULT_MAX_TILES)),
        )
    if arch in LLAVA_ARCHITECTURES:
        if vision_section is None:
            raise ConversionError("config.json of this LLaVA-style checkpoint lacks vision_config.")
        projector = raw.get("mm_projector_type", "mlp2x_gelu")
        if projector != "mlp2x_gelu":
            raise ConversionError(f"The projector type '{projector}' is not supported; only 'mlp2x_gelu' is.")
        if raw.get("mm_vision_select_feature", "patch") != "patch":
            raise ConversionError("Only the 'patch' vision feature (class token dropped) is supported.")
        return ModelConfig(
            layout=LAYOUT_LLAVA,
            text=_text_config(raw, "the top level", check_architecture=False),
            vision=_vision_config(vision_section),
            downsample_ratio=1.0,
            select_layer=int(raw.get("mm_vision_select_layer", -2)),
            min_tiles=1,
            max_tiles=1,
        )
    if arch in INTERNVL_HF_ARCHITECTURES:
        return _transformers_internvl_config(raw)
    raise ConversionError(
        f"The checkpoint's architecture is '{arch}'. Only VisionPangu checkpoints are supported: "
        f"{', '.join(INTERNVL_ARCHITECTURES + INTERNVL_HF_ARCHITECTURES + LLAVA_ARCHITECTURES)}."
    )


def _transformers_internvl_config(raw: dict) -> ModelConfig:
    """transformers' InternVLConfig (configuration_internvl.py) with an InternVLVisionConfig tower."""
    vision_section, text_section = raw.get("vision_config"), raw.get("text_config")
    if vision_section is None or text_section is None:
        raise ConversionError("config.json of this InternVL checkpoint lacks vision_config or text_config.")
    # Each of these changes what the model computes in a way the converter does not carry over.
    refusals = (
        (raw.get("vision_feature_select_strategy", "default") != "default",
         "Only the 'default' vision feature strategy (class token dropped) is supported."),
        (raw.get("projector_hidden_act", "gelu") != "gelu", "Only a GELU projector is supported."),
        (vision_section.get("norm_type", "layer_norm") != "layer_norm",
         "The vision encoder uses RMS norm (InternViT-6B); only InternViT-300M is supported."),
        (not vision_section.get("use_mean_pooling", True),
         "The vision encoder has a final LayerNorm (use_mean_pooling false); only InternViT-300M is supported."),
        (not vision_section.get("attention_bias", vision_section.get("qkv_bias", False)),
         "The vision encoder's attention has no biases; only InternViT-300M (with biases) is supported."),
    )
    for is_refused, message in refusals:
        if is_refused:
            raise ConversionError(message)
    text = _text_config(text_section, "text_config")
    if "tie_word_embeddings" in raw and "tie_word_embeddings" not in text_section:
        text = dataclasses.replace(text, tie_word_embeddings=bool(raw["tie_word_embeddings"]))
    return ModelConfig(
        layout=LAYOUT_INTERNVL_HF,
        text=text,
        vision=_vision_config(vision_section),
        downsample_ratio=float(raw.get("downsample_ratio", 0.5)),
        select_layer=int(raw.get("vision_feature_layer", -1)),
        # This format keeps the tile counts in preprocessor_config.json; these are InternVL's defaults.
        min_tiles=DEFAULT_MIN_TILES,
        max_tiles=DEFAULT_MAX_TILES,
    )


def with_tensor_names(cfg: ModelConfig, names: Iterable[str]) -> ModelConfig:
    """A LLaVA config.json reads the same with the tower nested one level deeper; the names tell."""
    nested = LAYOUTS[LAYOUT_LLAVA_NESTED].vision_prefix
    if cfg.layout == LAYOUT_LLAVA and any(name.startswith(nested) for name in names):
        return dataclasses.replace(cfg, layout=LAYOUT_LLAVA_NESTED)
    return cfg
