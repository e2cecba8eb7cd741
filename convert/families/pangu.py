"""OpenPangu-Embedded (`PanguEmbeddedForCausalLM`) -> llama.cpp architecture `pangu-embedded`.

Names follow the Hugging Face model definition; llama.cpp's loader
(src/models/pangu-embed.cpp) wants biases on q/k/v/o, the output bias required,
NEOX rope (so, unlike LLaMA, no q/k row permutation) and `output` optional (tied).
"""

from __future__ import annotations

from convert.config import TextConfig
from convert.entry import Entry, Table
from convert.layouts import Layout


def text_table(cfg: TextConfig, layout: Layout, present: set[str]) -> Table:
    """The decoder's body sits at `layout.text_prefix` (embed_tokens, layers.N, norm), its head at `layout.lm_head`."""
    h, v, f = cfg.hidden_size, cfg.vocab_size, cfg.intermediate_size
    q_rows = cfg.num_heads * cfg.head_dim
    kv_rows = cfg.num_kv_heads * cfg.head_dim
    entries: list[Entry] = []
    skipped: list[str] = []

    def add(target: str, name: str, shape: tuple[int, ...]) -> None:
        entries.append(Entry(target, (name,), (shape,), shape, is_matrix=len(shape) == 2))

    prefix = layout.text_prefix
    add("token_embd.weight", prefix + "embed_tokens.weight", (v, h))
    add("output_norm.weight", prefix + "norm.weight", (h,))
    lm_head = layout.lm_head
    if not cfg.tie_word_embeddings:
        add("output.weight", lm_head, (v, h))
    elif lm_head in present:
        # Tied: llama.cpp reuses token_embd when `output` is absent.
        skipped.append(lm_head)

    for i in range(cfg.num_layers):
        layer = f"{prefix}layers.{i}."
        blk = f"blk.{i}."
        add(blk + "attn_norm.weight", layer + "input_layernorm.weight", (h,))
        for proj, target, rows in (("q_proj", "attn_q", q_rows), ("k_proj", "attn_k", kv_rows), ("v_proj", "attn_v", kv_rows)):
            add(f"{blk}{target}.weight", f"{layer}self_attn.{proj}.weight", (rows, h))
            add(f"{blk}{target}.bias", f"{layer}self_attn.{proj}.bias", (rows,))
        add(blk + "attn_output.weight", layer + "self_attn.o_proj.weight", (h, q_rows))
        add(blk + "attn_output.bias", layer + "self_attn.o_proj.bias", (h,))
        add(blk + "ffn_norm.weight", layer + "post_attention_layernorm.weight", (h,))
        add(blk + "ffn_gate.weight", layer + "mlp.gate_proj.weight", (f, h))
        add(blk + "ffn_up.weight", layer + "mlp.up_proj.weight", (f, h))
        add(blk + "ffn_down.weight", layer + "mlp.down_proj.weight", (h, f))
        rotary = f"{layer}self_attn.rotary_emb.inv_freq"
        if rotary in present:
            skipped.append(rotary)  # recomputed by llama.cpp from rope.freq_base
    return Table(entries, skipped)
