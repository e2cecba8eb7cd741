"""A numpy forward pass of the source VisionPangu architecture, for proving conversions.

Written from the public model definitions, not from llama.cpp: InternViT-300M
(InternVisionModel: class token first, learned positions, pre-norm LayerNorm blocks
with layer scale, exact erf GELU), InternVL's projector (pixel shuffle, LayerNorm,
Linear, GELU, Linear) or LLaVA's mlp2x_gelu, and the OpenPangu-Embedded decoder
(GQA, NEOX rope, q/k/v/o biases, gated SiLU FFN, RMSNorm, tied embeddings).
Everything is computed in float64 so it can serve as ground truth. Each layout's
tensor names come from convert/layouts.py.
"""

from __future__ import annotations

from math import erf, sqrt
from pathlib import Path

import numpy as np

from convert.config import ModelConfig, load_config, with_tensor_names
from convert.safetensors_io import Checkpoint

_erf = np.vectorize(erf, otypes=[np.float64])
# nn.LayerNorm's default, which both InternVL projectors (mlp1.0, multi_modal_projector.layer_norm) use.
PROJECTOR_NORM_EPS = 1e-5


def gelu_erf(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / sqrt(2.0)))


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def rms_norm(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt((x**2).mean(-1, keepdims=True) + eps) * w


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def pixel_shuffle(x: np.ndarray, scale_factor: float) -> np.ndarray:
    """InternVL's `pixel_shuffle` (ps_version v2), line for line, on a (n, w, h, c) array."""
    n, w, h, c = x.shape
    x = x.reshape(n, w, int(h * scale_factor), int(c / scale_factor))
    x = x.transpose(0, 2, 1, 3)
    x = x.reshape(n, int(h * scale_factor), int(w * scale_factor), int(c / (scale_factor * scale_factor)))
    return x.transpose(0, 2, 1, 3)


def normalize_image(rgb: np.ndarray, cfg: ModelConfig) -> np.ndarray:
    """uint8 (H, W, 3) at the model's image size -> float64 (3, H, W), as InternVL's transform."""
    x = rgb.astype(np.float64) / 255.0
    x = (x - np.array(cfg.vision.image_mean)) / np.array(cfg.vision.image_std)
    return x.transpose(2, 0, 1)


class ReferenceModel:
    def __init__(self, folder: Path):
        self._ckpt = Checkpoint(folder)
        self.cfg = with_tensor_names(load_config(folder), self._ckpt.names())
        self._layout = self.cfg.names

    def w(self, name: str) -> np.ndarray:
        return self._ckpt.load(name).astype(np.float64)

    # --- vision -----------------------------------------------------------------
    def vision_hidden_states(self, pixels: np.ndarray) -> list[np.ndarray]:
        """All hidden states (embeddings, then after each layer), class token first."""
        v, p, names = self.cfg.vision, self._layout.vision_prefix, self._layout.vision
        c, ps = v.hidden_size, v.patch_size
        side = pixels.shape[1] // ps
        patches = pixels.reshape(3, side, ps, side, ps).transpose(1, 3, 0, 2, 4).reshape(side * side, -1)
        kernel = self.w(p + names.patch_weight).reshape(c, -1)
        x = patches @ kernel.T + self.w(p + names.patch_bias)
        cls = self.w(p + names.class_token).reshape(1, c)
        x = np.concatenate([cls, x], 0) + self.w(p + names.positions).reshape(-1, c)
        states = [x]
        heads, hd = v.num_heads, c // v.num_heads
        for i in range(v.num_layers):
            q = self._layout.vision_layer(i)
            y = layer_norm(x, self.w(f"{q}{names.norm1}.weight"), self.w(f"{q}{names.norm1}.bias"), v.layer_norm_eps)
            qh, kh, vh = (part.reshape(-1, heads, hd).transpose(1, 0, 2) for part in self._qkv(y, q))
            attn = softmax(qh @ kh.transpose(0, 2, 1) / sqrt(hd)) @ vh
            attn = self._linear(attn.transpose(1, 0, 2).reshape(-1, c), q + names.attn_out)
            x = x + attn * self.w(q + names.scale1)
            y = layer_norm(x, self.w(f"{q}{names.norm2}.weight"), self.w(f"{q}{names.norm2}.bias"), v.layer_norm_eps)
            y = gelu_erf(self._linear(y, q + names.fc1))
            x = x + self._linear(y, q + names.fc2) * self.w(q + names.scale2)
            states.append(x)
        return states

    def _linear(self, x: np.ndarray, module: str) -> np.ndarray:
        return x @ self.w(module + ".weight").T + self.w(module + ".bias")

    def _qkv(self, y: np.ndarray, layer: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        names = self._layout.vision
        if names.qkv is None:
            return tuple(self._linear(y, layer + part) for part in names.qkv_parts())
        return tuple(np.split(self._linear(y, layer + names.qkv), 3, axis=-1))

    def image_embeddings(self, rgb: np.ndarray) -> np.ndarray:
        """What the language model receives for one image tile: (tokens, text hidden size)."""
        states = self.vision_hidden_states(normalize_image(rgb, self.cfg))
        feats = states[self.cfg.select_layer][1:]  # drop the class token
        modules = self._layout.projector
        if self._layout.uses_internvl_graph:
            side = int(round(sqrt(feats.shape[0])))
            x = pixel_shuffle(feats.reshape(1, side, side, -1), self.cfg.downsample_ratio)
            x = x.reshape(-1, x.shape[-1])
            x = layer_norm(x, self.w(modules[0] + ".weight"), self.w(modules[0] + ".bias"), PROJECTOR_NORM_EPS)
            return self._linear(gelu_erf(self._linear(x, modules[1])), modules[2])
        return self._linear(gelu_erf(self._linear(feats, modules[0])), modules[1])

    # --- language model ---------------------------------------------------------------
    def embed_tokens(self, ids: list[int]) -> np.ndarray:
        return self.w(self._layout.text_prefix + "embed_tokens.weight")[np.asarray(ids)]

    def logits(self, embeddings: np.ndarray) -> np.ndarray:
        """Causal forward over a sequence of input embeddings -> logits for every position."""
        t, p = self.cfg.text, self._layout.text_prefix
        n, hd = embeddings.shape[0], t.head_dim
        inv_freq = t.rope_theta ** (-np.arange(0, hd, 2, dtype=np.float64) / hd)
        angles = np.arange(n)[:, None] * inv_freq[None, :]
        cos, sin = np.tile(np.cos(angles), 2)[None], np.tile(np.sin(angles), 2)[None]

        def rope(x: np.ndarray) -> np.ndarray:  # NEOX: rotate the two halves
            half = hd // 2
            rotated = np.concatenate([-x[..., half:], x[..., :half]], -1)
            return x * cos + rotated * sin

        mask = np.triu(np.full((n, n), -np.inf), 1)
        group = t.num_heads // t.num_kv_heads
        x = embeddings
        for i in range(t.num_layers):
            q = f"{p}layers.{i}."
            y = rms_norm(x, self.w(q + "input_layernorm.weight"), t.rms_norm_eps)

            def proj(name: str, heads: int) -> np.ndarray:
                out = y @ self.w(f"{q}self_attn.{name}.weight").T + self.w(f"{q}self_attn.{name}.bias")
                return out.reshape(n, heads, hd).transpose(1, 0, 2)

            qh = rope(proj("q_proj", t.num_heads))
            kh = np.repeat(rope(proj("k_proj", t.num_kv_heads)), group, axis=0)
            vh = np.repeat(proj("v_proj", t.num_kv_heads), group, axis=0)
            attn = softmax(qh @ kh.transpose(0, 2, 1) / sqrt(hd) + mask) @ vh
            attn = attn.transpose(1, 0, 2).reshape(n, -1)
            x = x + attn @ self.w(q + "self_attn.o_proj.weight").T + self.w(q + "self_attn.o_proj.bias")
            y = rms_norm(x, self.w(q + "post_attention_layernorm.weight"), t.rms_norm_eps)
            gate = y @ self.w(q + "mlp.gate_proj.weight").T
            up = y @ self.w(q + "mlp.up_proj.weight").T
            x = x + (gate / (1 + np.exp(-gate)) * up) @ self.w(q + "mlp.down_proj.weight").T
        x = rms_norm(x, self.w(p + "norm.weight"), t.rms_norm_eps)
        embed = p + "embed_tokens.weight"
        out = self.w(self._layout.lm_head) if not t.tie_word_embeddings else self.w(embed)
        return x @ out.T
