"""Write a synthetic VisionPangu checkpoint in the real on-disk format, with random weights.

`tiny` converts in seconds and is what the tests use; `full` has the real shapes
(about 1.7B parameters) for the benchmark. Both have config.json, bf16 safetensors
shards with an index, and a SentencePiece tokenizer trained on a small corpus with
Pangu's special tokens (convert/synthetic_tokenizer.py); `full`'s tokenizer also learns
the app's own prompts, so they take about as many tokens as a real large-vocabulary
tokenizer gives them (the benchmark times their prefill). No weights are ever downloaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from convert.config import IMAGENET_MEAN, IMAGENET_STD
from convert.layouts import LAYOUT_INTERNVL, LAYOUT_INTERNVL_HF, LAYOUT_NAMES
from convert.safetensors_io import write_sharded
from convert.synthetic_layouts import BASE_LAYOUT, derived, transformers_internvl_config
from convert.synthetic_tokenizer import app_texts, speakable_token_ids, train_tokenizer, write_tokenizer_config
from engine.images import TILE


@dataclass(frozen=True)
class Shapes:
    text_hidden: int
    text_layers: int
    text_heads: int
    text_kv_heads: int
    text_ffn: int
    vocab_size: int
    vision_hidden: int
    vision_layers: int
    vision_heads: int
    vision_ffn: int
    tokenizer_vocab: int
    shard_bytes: int


SIZES = {
    # Rows of 256 let Q4_K_M really use k-quants on the tiny model.
    "tiny": Shapes(256, 2, 4, 2, 512, 1200, 64, 2, 4, 256, 1200, 2 * 1024 * 1024),
    # The public shapes of VisionPangu's parts: OpenPangu-Embedded-1B and InternViT-300M.
    "full": Shapes(1536, 26, 12, 6, 6144, 153376, 1024, 24, 16, 4096, 4000, 1024 * 1024 * 1024),
}

FAVOURED_SCALE = 3.0


def _text_section(s: Shapes, eos_id: int) -> dict:
    return {
        "architectures": ["PanguEmbeddedForCausalLM"], "model_type": "PanguEmbedded",
        "hidden_size": s.text_hidden, "intermediate_size": s.text_ffn, "num_hidden_layers": s.text_layers,
        "num_attention_heads": s.text_heads, "num_key_value_heads": s.text_kv_heads,
        "head_dim": s.text_hidden // s.text_heads, "rms_norm_eps": 1e-5, "rope_theta": 4000000.0,
        "max_position_embeddings": 32768, "vocab_size": s.vocab_size, "tie_word_embeddings": True,
        "bos_token_id": 1, "eos_token_id": eos_id, "pad_token_id": 0, "hidden_act": "silu",
    }


def _vision_section(s: Shapes) -> dict:
    return {
        "architectures": ["InternVisionModel"], "model_type": "intern_vit_6b", "hidden_size": s.vision_hidden,
        "intermediate_size": s.vision_ffn, "num_hidden_layers": s.vision_layers,
        "num_attention_heads": s.vision_heads, "image_size": TILE, "patch_size": 14, "layer_norm_eps": 1e-6,
        "hidden_act": "gelu", "norm_type": "layer_norm", "qkv_bias": True, "qk_normalization": False,
        "num_channels": 3, "image_mean": list(IMAGENET_MEAN), "image_std": list(IMAGENET_STD),
    }


def _config(layout: str, s: Shapes, eos_id: int) -> dict:
    if layout == LAYOUT_INTERNVL_HF:
        return transformers_internvl_config(_config(LAYOUT_INTERNVL, s, eos_id))
    layout = BASE_LAYOUT.get(layout, layout)
    if layout == LAYOUT_INTERNVL:
        return {
            "architectures": ["InternVLChatModel"], "model_type": "internvl_chat", "downsample_ratio": 0.5,
            "select_layer": -1, "ps_version": "v2", "min_dynamic_patch": 1, "max_dynamic_patch": 12,
            "force_image_size": TILE, "template": "pangu", "vision_config": _vision_section(s),
            "llm_config": _text_section(s, eos_id),
        }
    return {
        **_text_section(s, eos_id), "architectures": ["VisionPanguForCausalLM"], "model_type": "llava_pangu",
        "mm_projector_type": "mlp2x_gelu", "mm_vision_select_layer": -2, "mm_vision_select_feature": "patch",
        "vision_config": _vision_section(s),
    }


def _tensors(layout: str, s: Shapes, rng: np.random.Generator,
             favoured: list[int] | None = None) -> Iterator[tuple[str, np.ndarray]]:
    # In place, so a 153376 x 1536 embedding costs one copy of memory, not four.
    def linear(rows: int, cols: int) -> np.ndarray:
        x = rng.standard_normal((rows, cols), dtype=np.float32)
        x *= np.float32(1 / np.sqrt(cols))
        return x

    def vector(n: int, center: float = 0.0, spread: float = 0.1) -> np.ndarray:
        x = rng.standard_normal(n, dtype=np.float32)
        x *= np.float32(spread)
        x += np.float32(center)
        return x

    vp = "vision_model." if layout == LAYOUT_INTERNVL else "model.vision_tower."
    c, n_pos = s.vision_hidden, (TILE // 14) ** 2 + 1
    yield vp + "embeddings.class_embedding", vector(c, spread=0.5).reshape(1, 1, c)
    yield vp + "embeddings.patch_embedding.weight", linear(c, 3 * 14 * 14).reshape(c, 3, 14, 14)
    yield vp + "embeddings.patch_embedding.bias", vector(c)
    yield vp + "embeddings.position_embedding", vector(n_pos * c, spread=0.5).reshape(1, n_pos, c)
    for i in range(s.vision_layers):
        p = f"{vp}encoder.layers.{i}."
        yield p + "attn.qkv.weight", linear(3 * c, c)
        yield p + "attn.qkv.bias", vector(3 * c)
        yield p + "attn.proj.weight", linear(c, c)
        yield p + "attn.proj.bias", vector(c)
        yield p + "ls1", vector(c, 1.0, 0.3)
        yield p + "ls2", vector(c, 1.0, 0.3)
        yield p + "norm1.weight", vector(c, 1.0)
        yield p + "norm1.bias", vector(c)
        yield p + "norm2.weight", vector(c, 1.0)
        yield p + "norm2.bias", vector(c)
        yield p + "mlp.fc1.weight", linear(s.vision_ffn, c)
        yield p + "mlp.fc1.bias", vector(s.vision_ffn)
        yield p + "mlp.fc2.weight", linear(c, s.vision_ffn)
        yield p + "mlp.fc2.bias", vector(c)
    h = s.text_hidden
    if layout == LAYOUT_INTERNVL:
        yield "mlp1.0.weight", vector(4 * c, 1.0)
        yield "mlp1.0.bias", vector(4 * c)
        yield "mlp1.1.weight", linear(h, 4 * c)
        yield "mlp1.1.bias", vector(h)
        yield "mlp1.3.weight", linear(h, h)
        yield "mlp1.3.bias", vector(h)
        tp = "language_model."
    else:
        yield "model.mm_projector.0.weight", linear(h, c)
        yield "model.mm_projector.0.bias", vector(h)
        yield "model.mm_projector.2.weight", linear(h, h)
        yield "model.mm_projector.2.bias", vector(h)
        tp = ""
    head_dim = h // s.text_heads
    embed = vector(s.vocab_size * h, spread=1.0).reshape(s.vocab_size, h)
    if favoured:
        # Tied embeddings: longer rows make larger logits, so greedy decoding picks among these.
        embed[favoured] *= FAVOURED_SCALE
    yield tp + "model.embed_tokens.weight", embed
    for i in range(s.text_layers):
        p = f"{tp}model.layers.{i}."
        yield p + "input_layernorm.weight", vector(h, 1.0)
        yield p + "post_attention_layernorm.weight", vector(h, 1.0)
        for name, rows in (("q_proj", s.text_heads * head_dim), ("k_proj", s.text_kv_heads * head_dim),
                           ("v_proj", s.text_kv_heads * head_dim)):
            yield f"{p}self_attn.{name}.weight", linear(rows, h)
            yield f"{p}self_attn.{name}.bias", vector(rows)
        yield p + "self_attn.o_proj.weight", linear(h, s.text_heads * head_dim)
        yield p + "self_attn.o_proj.bias", vector(h)
        yield p + "mlp.gate_proj.weight", linear(s.text_ffn, h)
        yield p + "mlp.up_proj.weight", linear(s.text_ffn, h)
        yield p + "mlp.down_proj.weight", linear(h, s.text_ffn)
    # A random model's last hidden state still carries its input token, so it repeats that token
    # forever; a negated final norm turns this self-echo into the lowest logit instead.
    yield tp + "model.norm.weight", -vector(h, 1.0) if favoured else vector(h, 1.0)


def make_checkpoint(out: Path, size: str = "tiny", layout: str = LAYOUT_INTERNVL, seed: int = 0,
                    speaks_words: bool = False) -> Path:
    """A checkpoint in the real on-disk format with random weights.

    `speaks_words`: the embedding rows of whole English words and sentence ends are made
    longer, so the random model's greedy answers are words a voice can say (the app's
    speech tests hear them) instead of repeated punctuation.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}")
    if layout not in LAYOUT_NAMES:
        raise ValueError(f"layout must be one of {', '.join(LAYOUT_NAMES)}")
    shapes = SIZES[size]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # The tests' tiny model keeps the small corpus: its token counts are what the tests were sized on.
    special_ids = train_tokenizer(out, shapes.tokenizer_vocab, app_texts() if size == "full" else None)
    eos_id = special_ids["[unused10]"]
    (out / "config.json").write_text(json.dumps(_config(layout, shapes, eos_id), indent=2), encoding="utf-8")
    write_tokenizer_config(out, special_ids)
    favoured = speakable_token_ids(out / "tokenizer.model") if speaks_words else None
    # A derived layout holds the same weights as its base made with the same seed, renamed.
    base = _tensors(BASE_LAYOUT.get(layout, layout), shapes, np.random.default_rng(seed), favoured)
    write_sharded(out, derived(layout, base), shapes.shard_bytes)
    return out
