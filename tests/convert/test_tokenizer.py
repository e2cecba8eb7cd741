"""llama.cpp's tokenizer on the converted GGUF gives the SentencePiece model's ids.

The reference is how the checkpoint's own (Hugging Face, SentencePiece-based)
tokenizer treats special tokens: the text is split at them, each special token is
one id, and every other piece is encoded by SentencePiece on its own.
"""

from __future__ import annotations

import re

import pytest
import sentencepiece as spm

from convert.synthetic_tokenizer import CHAT_SPECIALS
from tests.convert.test_equality import load_llama

STRINGS = [
    "A photo of a cat sleeping on a red sofa.",
    "Click the OK button to save your changes.",
    "屏幕上显示一个对话框，里面有三个按钮。",
    "请用中文详细描述这张图片。",
    "mixed 中文 and English: 85 percent, 二零二四年!",
    "  leading spaces and  double  spaces ",
    "full-width punctuation：（括号）、「引号」",
    "emoji 🙂 and rare 龘 characters fall back to bytes",
    "[unused9]系统：You describe images.[unused10][unused9]用户：What is this?[unused10][unused9]助手：",
    "[unused9][unused10]",
    "",
]


def reference_ids(sp: spm.SentencePieceProcessor, text: str) -> list[int]:
    pattern = "(" + "|".join(re.escape(t) for t in CHAT_SPECIALS) + ")"
    ids: list[int] = []
    for piece in re.split(pattern, text):
        if piece in CHAT_SPECIALS:
            ids.append(sp.PieceToId(piece))
        elif piece:
            ids.extend(sp.encode(piece))
    return ids


@pytest.mark.parametrize("layout", ["internvl", "llava"])
def test_gguf_tokenizer_matches_sentencepiece(layout, checkpoints, conversions):
    sp = spm.SentencePieceProcessor(model_file=str(checkpoints[layout] / "tokenizer.model"))
    llm = load_llama(conversions.get(layout).model_path, n_ctx=256)
    for text in STRINGS:
        assert llm.tokenize(text.encode(), add_bos=False, special=True) == reference_ids(sp, text), text


def test_special_tokens_are_single_ids_and_eos_is_unused10(checkpoints, conversions):
    sp = spm.SentencePieceProcessor(model_file=str(checkpoints["internvl"] / "tokenizer.model"))
    llm = load_llama(conversions.get("internvl").model_path, n_ctx=256)
    assert llm.tokenize(b"[unused10]", add_bos=False, special=True) == [sp.PieceToId("[unused10]")]
    assert llm.token_eos() == sp.PieceToId("[unused10]")
    assert llm.token_bos() == sp.bos_id() == 1
    assert llm.tokenize(b"hi", add_bos=True, special=True)[0] == 1


def test_the_benchmark_tokenizer_writes_the_apps_prompts_at_about_a_token_a_word(tmp_path):
    """The full-size (benchmark) model's tokenizer learns the app's prompts, so the benchmark's model
    reads about as many prompt tokens as with Pangu's real tokenizer; the small corpus alone cuts
    them into nearly three pieces a word, doubling the prefill the benchmark times."""
    from convert.synthetic import SIZES
    from convert.synthetic_tokenizer import app_texts, train_tokenizer
    from engine.prompts import detail_level, refine_instruction, system_prompt

    prompts = [system_prompt("en"), detail_level("brief").instruction,
               refine_instruction(["top left", "centre", "bottom right"])]
    words = sum(len(text.split()) for text in prompts)
    counts = {}
    for name, extra in (("small corpus", None), ("with the app's texts", app_texts())):
        folder = tmp_path / name
        folder.mkdir()
        train_tokenizer(folder, SIZES["full"].tokenizer_vocab, extra)
        sp = spm.SentencePieceProcessor(model_file=str(folder / "tokenizer.model"))
        counts[name] = sum(len(sp.encode(text)) for text in prompts)
    assert counts["with the app's texts"] <= 1.3 * words  # words plus some punctuation marks
    assert counts["small corpus"] >= 2 * words
