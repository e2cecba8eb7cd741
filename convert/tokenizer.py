"""SentencePiece `tokenizer.model` -> the GGUF vocabulary llama.cpp's SPM tokenizer reads.

Follows llama.cpp's own converter (`_set_vocab_sentencepiece`): token types from the
model, tokens listed in tokenizer_config.json's `added_tokens_decoder` become control
(special) or user-defined, and a config vocab larger than the model is padded with
unused `[PAD{n}]` tokens so the embedding matrix and the vocabulary agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from convert.config import TextConfig
from convert.errors import ConversionError
from resources import read_text

# llama.cpp's llama_token_type values (gguf.TokenType)
TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_USER_DEFINED, TOKEN_UNUSED, TOKEN_BYTE = 1, 2, 3, 4, 5, 6
PAD_SCORE = -10000.0
PANGU_TEMPLATE_RESOURCE = "chat_templates/pangu_embedded.jinja"


@dataclass
class Vocab:
    tokens: list[bytes]
    scores: list[float]
    types: list[int]
    bos_id: int
    eos_id: int
    pad_id: int | None
    add_bos: bool
    add_space_prefix: bool
    chat_template: str


def load_vocab(folder: Path, text: TextConfig) -> Vocab:
    from sentencepiece import SentencePieceProcessor  # heavy import, only when converting

    model_path = Path(folder) / "tokenizer.model"
    if not model_path.is_file():
        raise ConversionError(
            f"{folder} has no tokenizer.model. The checkpoint folder must contain the SentencePiece tokenizer."
        )
    sp = SentencePieceProcessor()
    try:
        sp.LoadFromFile(str(model_path))
    except (OSError, RuntimeError) as exc:
        raise ConversionError(f"{model_path} is not a readable SentencePiece model: the download may be damaged.") from exc
    n_sp = sp.vocab_size()
    if n_sp > text.vocab_size:
        raise ConversionError(
            f"tokenizer.model has {n_sp} tokens but config.json says vocab_size is {text.vocab_size}; "
            "the tokenizer does not belong to this model."
        )
    tokens = [f"[PAD{i}]".encode() for i in range(text.vocab_size)]
    scores = [PAD_SCORE] * text.vocab_size
    types = [TOKEN_UNUSED] * text.vocab_size
    for i in range(n_sp):
        tokens[i] = sp.IdToPiece(i).encode("utf-8")
        scores[i] = sp.GetScore(i)
        if sp.IsUnknown(i):
            types[i] = TOKEN_UNKNOWN
        elif sp.IsControl(i):
            types[i] = TOKEN_CONTROL
        elif sp.IsUnused(i):
            types[i] = TOKEN_UNUSED
        elif sp.IsByte(i):
            types[i] = TOKEN_BYTE
        else:
            types[i] = TOKEN_NORMAL

    tok_cfg = _read_tokenizer_config(Path(folder))
    for id_text, data in (tok_cfg.get("added_tokens_decoder") or {}).items():
        token_id = int(id_text)
        if token_id >= text.vocab_size:
            raise ConversionError(f"tokenizer_config.json names token id {token_id}, beyond the vocabulary.")
        tokens[token_id] = data["content"].encode("utf-8")
        types[token_id] = TOKEN_CONTROL if data.get("special") else TOKEN_USER_DEFINED

    for label, token_id in (("bos", text.bos_token_id), ("eos", text.eos_token_id)):
        if not 0 <= token_id < text.vocab_size:
            raise ConversionError(f"The {label} token id {token_id} is outside the vocabulary.")
    template = tok_cfg.get("chat_template") or read_text(PANGU_TEMPLATE_RESOURCE)
    return Vocab(
        tokens=tokens,
        scores=scores,
        types=types,
        bos_id=text.bos_token_id,
        eos_id=text.eos_token_id,
        pad_id=text.pad_token_id,
        add_bos=bool(tok_cfg.get("add_bos_token", True)),
        add_space_prefix=bool(tok_cfg.get("add_prefix_space", True)),
        chat_template=template,
    )


def _read_tokenizer_config(folder: Path) -> dict:
    path = folder / "tokenizer_config.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConversionError(f"{path} is not valid JSON: the download may be damaged.") from exc
