"""InternViT and InternVL's projector as an OpenVINO graph, built from the app's own mmproj GGUF.

The same file mtmd reads, the same computation as mtmd's InternVL graph (tools/mtmd/models/internvl.cpp
and clip_graph::build_vit in llama.cpp): patch embedding, the class token appended after the patches
(the converter moved its position row to the end for that), pre-norm blocks with layer scale,
the class token dropped, InternVL's pixel shuffle, then LayerNorm, Linear, GELU, Linear. GELU is
the exact erf form of the source model. BF16 weights stay BF16: OpenVINO's CPU plugin multiplies
them with oneDNN's BF16 kernels (AVX512_BF16, AMX), 2.5 times as fast as ggml's on the same CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt

import numpy as np

VIT_NORM_EPS_KEY = "clip.vision.attention.layer_norm_epsilon"
PROJECTOR_NORM_EPS = 1e-5  # nn.LayerNorm's default, as mtmd's InternVL graph uses for mlp1.0
GGML_BF16, GGML_F16, GGML_F32 = "BF16", "F16", "F32"


@dataclass(frozen=True)
class VisionShape:
    image_size: int
    patch_size: int
    n_embd: int
    n_head: int
    n_layer: int
    scale_factor: int
    eps: float
    image_mean: tuple[float, float, float]
    image_std: tuple[float, float, float]
    min_tiles: int = 1  # mtmd's cut (engine/encoder/tiles.py); llama.cpp's defaults where the file has none
    max_tiles: int = 12

    @property
    def side(self) -> int:
        return self.image_size // self.patch_size

    @property
    def n_tokens(self) -> int:
        """Image tokens one tile gives the language model."""
        return (self.side // self.scale_factor) ** 2


def _field(reader, key: str):
    field = reader.fields[key]
    values = [field.parts[i].tolist() for i in field.data]
    return [v[0] if isinstance(v, list) and len(v) == 1 else v for v in values]


def read_shape(reader) -> VisionShape:
    one = lambda key: _field(reader, key)[0]  # noqa: E731
    tiles = {k: one(f"clip.vision.preproc_{k}_tiles") for k in ("min", "max") if f"clip.vision.preproc_{k}_tiles" in reader.fields}
    projector = bytes(_field(reader, "clip.projector_type")[0]).decode()
    if projector != "internvl":
        raise ValueError(f"this encoder builds InternVL's graph, not {projector!r}")
    return VisionShape(image_size=one("clip.vision.image_size"), patch_size=one("clip.vision.patch_size"),
                       n_embd=one("clip.vision.embedding_length"), n_head=one("clip.vision.attention.head_count"),
                       n_layer=one("clip.vision.block_count"), scale_factor=one("clip.vision.projector.scale_factor"),
                       eps=float(one(VIT_NORM_EPS_KEY)), image_mean=tuple(_field(reader, "clip.vision.image_mean")),
                       image_std=tuple(_field(reader, "clip.vision.image_std")),
                       min_tiles=tiles.get("min", 1), max_tiles=tiles.get("max", 12))


class GgufWeights:
    """The mmproj's tensors as OpenVINO constants that share the file's memory map (no copy).

    A BF16 matrix stays BF16 and its product runs in BF16 (activations rounded to bf16, float32
    sums), as ggml's CPU back end runs a BF16 mmproj. F16 and F32 matrices are multiplied in float32.
    """

    def __init__(self, reader):
        self._tensors = {t.name: t for t in reader.tensors}
        self.unread = set(self._tensors)  # what the graph has not used: must be empty once it is built

    def __contains__(self, name: str) -> bool:
        return name in self._tensors

    def constant(self, name: str):
        import openvino as ov
        from openvino import opset13 as ops

        tensor = self._tensors[name]
        self.unread.discard(name)
        shape = [int(n) for n in reversed(tensor.shape)]  # ggml lists the fastest dimension first
        kind = tensor.tensor_type.name
        if kind == GGML_F32:
            return ov.op.Constant(ov.Tensor(np.asarray(tensor.data).reshape(shape), shape, ov.Type.f32), True)
        if kind not in (GGML_BF16, GGML_F16):
            raise ValueError(f"{name} is {kind}; this encoder reads BF16, F16 or F32 weights")
        raw = np.asarray(tensor.data).view(np.uint16).reshape(shape)
        constant = ov.op.Constant(ov.Tensor(raw, shape, ov.Type.bf16 if kind == GGML_BF16 else ov.Type.f16), True)
        return constant if kind == GGML_BF16 else ops.convert(constant, "f32")


def _linear(ops, x, weights: GgufWeights, name: str):
    import openvino as ov

    w = weights.constant(f"{name}.weight")
    if w.get_element_type() == ov.Type.bf16:  # BF16 x BF16 -> float32, as ggml's BF16 product
        y = ops.convert(ops.matmul(ops.convert(x, "bf16"), w, False, True), "f32")
    else:
        y = ops.matmul(x, w, False, True)
    bias = f"{name}.bias"
    return ops.add(y, weights.constant(bias)) if bias in weights else y


def _layer_norm(ops, x, weights: GgufWeights, name: str, eps: float):
    y = ops.mvn(x, ops.constant(np.array([-1], dtype=np.int64)), True, eps, "inside_sqrt")
    return ops.add(ops.multiply(y, weights.constant(f"{name}.weight")), weights.constant(f"{name}.bias"))


def _attention(ops, x, weights: GgufWeights, layer: str, shape: VisionShape, n_pos: int):
    head = shape.n_embd // shape.n_head
    split = ops.constant(np.array([n_pos, shape.n_head, head], dtype=np.int64))
    to_heads = lambda t: ops.transpose(ops.reshape(t, split, False), np.array([1, 0, 2]))  # noqa: E731
    q, k, v = (to_heads(_linear(ops, x, weights, f"{layer}.attn_{part}")) for part in "qkv")
    scale = ops.constant(np.float32(1.0 / sqrt(head)))
    out = ops.scaled_dot_product_attention(q, k, v, scale=scale, causal=False)
    out = ops.reshape(ops.transpose(out, np.array([1, 0, 2])), np.array([n_pos, shape.n_embd], dtype=np.int64), False)
    return _linear(ops, out, weights, f"{layer}.attn_out")


def build_model(reader):
    """An OpenVINO model: one tile, uint8 (image_size, image_size, 3) RGB -> (n_tokens, text n_embd) float32."""
    import openvino as ov
    from openvino import opset13 as ops

    shape = read_shape(reader)
    weights = GgufWeights(reader)
    size, c = shape.image_size, shape.n_embd
    pixels = ops.parameter([size, size, 3], ov.Type.u8, name="tile")
    x = ops.convert(pixels, "f32")
    x = ops.divide(ops.subtract(ops.divide(x, ops.constant(np.float32(255.0))),
                                ops.constant(np.array(shape.image_mean, dtype=np.float32))),
                   ops.constant(np.array(shape.image_std, dtype=np.float32)))
    x = ops.unsqueeze(ops.transpose(x, np.array([2, 0, 1])), np.array([0]))  # (1, 3, H, W)
    x = ops.convolution(x, weights.constant("v.patch_embd.weight"), [shape.patch_size] * 2, [0, 0], [0, 0], [1, 1])
    x = ops.transpose(ops.reshape(x, np.array([c, shape.side * shape.side], dtype=np.int64), False), np.array([1, 0]))
    x = ops.add(x, ops.reshape(weights.constant("v.patch_embd.bias"), np.array([1, c], dtype=np.int64), False))
    cls = ops.reshape(weights.constant("v.class_embd"), np.array([1, c], dtype=np.int64), False)
    x = ops.concat([x, cls], 0)  # mtmd's order: patches, then the class token
    x = ops.add(x, weights.constant("v.position_embd.weight"))
    n_pos = shape.side * shape.side + 1
    for il in range(shape.n_layer):
        layer = f"v.blk.{il}"
        y = _layer_norm(ops, x, weights, f"{layer}.ln1", shape.eps)
        x = ops.add(x, ops.multiply(_attention(ops, y, weights, layer, shape, n_pos), weights.constant(f"{layer}.ls1.weight")))
        y = _layer_norm(ops, x, weights, f"{layer}.ln2", shape.eps)
        y = ops.gelu(_linear(ops, y, weights, f"{layer}.ffn_up"), "erf")
        x = ops.add(x, ops.multiply(_linear(ops, y, weights, f"{layer}.ffn_down"), weights.constant(f"{layer}.ls2.weight")))
    x = ops.slice(x, np.array([0]), np.array([n_pos - 1]), np.array([1]), np.array([0]))  # drop the class token
    x = _pixel_shuffle(ops, x, shape)
    x = _layer_norm(ops, x, weights, "mm.model.mlp.0", PROJECTOR_NORM_EPS)
    x = ops.gelu(_linear(ops, x, weights, "mm.model.mlp.1"), "erf")
    x = _linear(ops, x, weights, "mm.model.mlp.3")
    if weights.unread:  # e.g. a pre-norm or q/k norms: another ViT than InternViT-300M, whose result would be wrong
        raise ValueError(f"the vision model holds tensors this graph does not read: {', '.join(sorted(weights.unread))}")
    return ov.Model([x], [pixels], "internvit"), shape


def _pixel_shuffle(ops, x, shape: VisionShape):
    """InternVL's pixel_shuffle (ps_version v2) on the (side*side, c) patch features, rows in raster order."""
    side, c, f = shape.side, shape.n_embd, shape.scale_factor
    i64 = lambda *dims: np.array(dims, dtype=np.int64)  # noqa: E731
    x = ops.reshape(x, i64(side, side // f, c * f), False)  # (w, h/f, c*f), w = the first spatial axis
    x = ops.transpose(x, i64(1, 0, 2))
    x = ops.reshape(x, i64(side // f, side // f, c * f * f), False)
    x = ops.transpose(x, i64(1, 0, 2))
    return ops.reshape(x, i64(shape.n_tokens, c * f * f), False)
