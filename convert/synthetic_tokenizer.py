"""The synthetic checkpoint's tokenizer: a SentencePiece `tokenizer.model` trained here.

Byte-fallback BPE on a small English and Chinese corpus with Pangu's special tokens
(`[unused0]`..`[unused15]`, the chat turns marked by `[unused9]` and `[unused10]`), and
the tokenizer_config.json that names them. The full-size checkpoint's tokenizer also learns
the app's own prompts (`app_texts`). `speakable_token_ids` picks the whole-word pieces a
`speaks_words` model favours.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from resources import read_text

SPECIAL_TOKENS = [f"[unused{i}]" for i in range(16)]
CHAT_SPECIALS = ("[unused9]", "[unused10]")

_EN = [
    "The quick brown fox jumps over the lazy dog.", "A window shows a settings dialog with three buttons.",
    "Click the OK button to save your changes.", "The screen is mostly black with white text at the top.",
    "A photo of a cat sleeping on a red sofa near the window.", "Error: the file could not be opened.",
    "The chart shows sales rising from 2019 to 2024.", "Two people stand in front of a blue car.",
    "Menu items: File, Edit, View, Help.", "The battery is at 85 percent and Wi-Fi is connected.",
]
_ZH = [
    "屏幕上显示一个对话框，里面有三个按钮。", "一只猫睡在靠窗的红色沙发上。", "点击确定按钮保存更改。",
    "图表显示销售额从二零一九年到二零二四年持续增长。", "两个人站在一辆蓝色汽车前面。",
    "这是一张风景照片，远处有山和湖。", "文件无法打开，请检查路径。", "菜单包括文件、编辑、视图和帮助。",
    "请用中文详细描述这张图片。", "系统提示：电池电量为百分之八十五。",
]


# Words the second look puts in its prompt besides prompts.json's (engine/regions.py names places).
_PLACE_AND_NUMBER_WORDS = "top left, top right, bottom left, bottom right, left, right, top, bottom, centre: 1 2 3 4 5 6 7 8 9 0."


def app_texts() -> list[str]:
    """Every text in resources/prompts.json (the prompts the app sends) and the words it adds to them.

    Pangu's real tokenizer (153,376 pieces) writes common English at about one piece per word and
    punctuation mark; one trained only on `_corpus` cut the app's prompts into 2.9 pieces a word,
    which doubled the text the benchmark's model reads (the system prompt was 325 tokens, a second
    look's instruction 161; learning these texts makes them 129 and about 60).
    """
    def strings(value) -> list[str]:
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        return [value] if isinstance(value, str) else []

    return strings(json.loads(read_text("prompts.json"))) + [_PLACE_AND_NUMBER_WORDS]


def _corpus() -> list[str]:
    lines = []
    for i, en in enumerate(_EN):
        for j, zh in enumerate(_ZH):
            lines.append(f"{en} {zh}")
            lines.append(f"[unused9]用户：{zh}[unused10][unused9]助手：{_EN[(i + j) % len(_EN)]}[unused10]")
    lines.extend(_EN * 5 + _ZH * 5)
    return lines


def train_tokenizer(out: Path, vocab_size: int, extra_lines: list[str] | None = None) -> dict[str, int]:
    """Train a byte-fallback BPE SentencePiece model (the kind llama.cpp's SPM tokenizer mirrors)."""
    import sentencepiece as spm

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("\n".join(_corpus() + list(extra_lines or [])) + "\n", encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(Path(tmp) / "tok"), vocab_size=vocab_size,
            model_type="bpe", byte_fallback=True, character_coverage=1.0, hard_vocab_limit=False,
            user_defined_symbols=SPECIAL_TOKENS, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
            # LLaMA-style settings: no NFKC folding (full-width punctuation stays) and
            # whitespace kept as written; llama.cpp's SPM tokenizer does neither.
            normalization_rule_name="identity", remove_extra_whitespaces=False,
            num_threads=1, minloglevel=2,
        )
        (out / "tokenizer.model").write_bytes((Path(tmp) / "tok.model").read_bytes())
    sp = spm.SentencePieceProcessor(model_file=str(out / "tokenizer.model"))
    return {piece: sp.PieceToId(piece) for piece in SPECIAL_TOKENS}


def write_tokenizer_config(out: Path, special_ids: dict[str, int]) -> None:
    """tokenizer_config.json as Pangu's checkpoint has it: the chat template and the chat turns' special tokens."""
    tokenizer_config = {
        "tokenizer_class": "PanguTokenizer", "add_bos_token": True, "add_eos_token": False,
        "bos_token": "<s>", "eos_token": "[unused10]", "unk_token": "<unk>",
        "chat_template": read_text("chat_templates/pangu_embedded.jinja"),
        "added_tokens_decoder": {
            str(special_ids[t]): {"content": t, "special": True} for t in CHAT_SPECIALS
        },
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, ensure_ascii=False, indent=2), encoding="utf-8")


def speakable_token_ids(tokenizer_model: Path) -> list[int]:
    """Whole English words (with their leading space) and sentence ends, from the trained tokenizer."""
    import sentencepiece as spm

    sp = spm.SentencePieceProcessor(model_file=str(tokenizer_model))
    ids = []
    for i in range(sp.GetPieceSize()):
        piece = sp.IdToPiece(i)
        word = piece[1:] if piece.startswith("\u2581") else ""
        if (len(word) >= 3 and word.isascii() and word.isalpha()) or piece in (".", ","):
            ids.append(i)
    return ids
