"""SentenceSplitter: sentences leave as soon as they are complete, whatever the chunking."""

from __future__ import annotations

import random
import re

import pytest

from engine.sentences import (FIRST_HARD_WORD_LIMIT, FIRST_SOFT_WORD_LIMIT, HARD_CHAR_LIMIT, HARD_WORD_LIMIT,
                              SECOND_HARD_WORD_LIMIT, SECOND_SOFT_WORD_LIMIT,
                                 SOFT_WORD_LIMIT, SentenceSplitter, is_cjk)

ENGLISH = (
    "The screen shows a text editor with a file named report.pdf open. Mr. Smith wrote it in 2023, "
    "e.g. the version is 3.5 and the total is $3,500! Is the window maximised? Yes. Wait... the "
    "title bar says \"Draft.\" Then a dialog appears: it asks whether to save. See "
    "https://example.com/docs/index.html. for details.\nThe list below has three items:\n"
    "1. Open the menu.\n2. Choose Save As.\n3. Type a name - for example J. Doe - and press Enter. "
    "The time is 10:30, and the status bar reads \u201cReady.\u201d Finally\u2026 nothing else."
)
CHINESE = (
    "屏幕上显示一个文本编辑器，文件名是报告.pdf。窗口标题是\u201c草稿\u201d！右下角有一个蓝色的按钮；"
    "按钮上写着\u300c保存\u300d。你想继续吗？状态栏显示：就绪。"
)
JAPANESE = "画面にはブラウザが表示されています。タブは三つあります！検索欄は空です？はい、空です。"
MIXED = "The window says \u201c你好\u201d. 下面是English text。Then it ends."
RUN_ON = " ".join(f"word{i}" for i in range(130)) + ", and then the end of it"
LONG_CLAUSES = ", ".join(f"clause number {i} goes on a bit" for i in range(20)) + "."
LONG_CHINESE = "这是一个很长的句子没有任何标点符号" * 12
HUGE_WORD = "Open https://example.com/" + "a1b2c3" * 200 + " now."
CORPUS = (ENGLISH, CHINESE, JAPANESE, MIXED, RUN_ON, LONG_CLAUSES, LONG_CHINESE, HUGE_WORD)


def split_all(text: str, chunks: list[str] | None = None, splitter: SentenceSplitter | None = None) -> list[str]:
    splitter = splitter or SentenceSplitter()
    out = []
    for chunk in chunks if chunks is not None else [text]:
        out += splitter.feed(chunk)
    return out + splitter.flush()


def random_chunks(text: str, rng: random.Random) -> list[str]:
    """Cut text the way a tokenizer might: fragments of 1-8 characters, anywhere."""
    chunks, i = [], 0
    while i < len(text):
        size = rng.randint(1, 8)
        chunks.append(text[i : i + size])
        i += size
    return chunks


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def word_count(piece: str) -> float:
    latin = len([w for w in re.sub(r"[\u3040-\u30ff\u3400-\u9fff]", " ", piece).split() if w])
    return latin + sum(1 for ch in piece if is_cjk(ch)) / 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello there. How are you?", ["Hello there.", "How are you?"]),
        ("The version is 3.5 now.", ["The version is 3.5 now."]),
        ("Open report.pdf. Then close it.", ["Open report.pdf.", "Then close it."]),
        ("Use a tool, e.g. the hammer. Done.", ["Use a tool, e.g. the hammer.", "Done."]),
        ("Ask Mr. Smith and Dr. Jones. Now.", ["Ask Mr. Smith and Dr. Jones.", "Now."]),
        ("Wait... what is that? It is a cat.", ["Wait... what is that?", "It is a cat."]),
        ("Wait... Then it moved.", ["Wait...", "Then it moved."]),
        ("Go to https://example.com/a.html. It loads.", ["Go to https://example.com/a.html.", "It loads."]),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ("Items:\n1. Apples\n2. Pears", ["Items:", "1. Apples", "2. Pears"]),
        ("A heading\nThe body text", ["A heading", "The body text"]),
        ("Written by J. K. Rowling. Yes.", ["Written by J. K. Rowling.", "Yes."]),
        ("It costs $3,500 at 10:30. Fine.", ["It costs $3,500 at 10:30.", "Fine."]),
        ("你好。世界！真的吗？", ["你好。", "世界！", "真的吗？"]),
        ("他说：\u201c好。\u201d然后走了。", ["他说：\u201c好。\u201d", "然后走了。"]),
        ("ボタンがあります。押しますか？", ["ボタンがあります。", "押しますか？"]),
        ("   \n\n  ", []),
        ("No ending at all", ["No ending at all"]),
    ],
)
def test_splits_sentences(text, expected):
    assert split_all(text) == expected
    assert split_all(text, list(text)) == expected  # one character at a time, same answer


def test_sentence_leaves_as_soon_as_the_next_one_starts():
    splitter = SentenceSplitter()
    assert splitter.feed("The window is open") == []
    assert splitter.feed(".") == []  # could still be "open.txt"
    assert splitter.feed(" ") == []  # could still be "open. the" (not an end)
    assert splitter.feed("It") == ["The window is open."]
    assert splitter.flush() == ["It"]


def test_newline_and_cjk_end_are_emitted_without_waiting_for_more_words():
    splitter = SentenceSplitter()
    assert splitter.feed("A heading\n") == ["A heading"]
    assert splitter.feed("你好。") == []  # a closing quote may still follow
    assert splitter.feed("世") == ["你好。"]


def test_numbers_abbreviations_and_file_names_split_across_chunks():
    chunks = ["The value is 3", ".", "5 and Mr", ". Smith uses e", ".", "g", ". the file report", ".", "pdf", ". Next"]
    whole_first = SentenceSplitter(first_soft_word_limit=SOFT_WORD_LIMIT, first_hard_word_limit=HARD_WORD_LIMIT,
                                   second_soft_word_limit=SOFT_WORD_LIMIT, second_hard_word_limit=HARD_WORD_LIMIT)
    assert split_all("", chunks, whole_first) == ["The value is 3.5 and Mr. Smith uses e.g. the file report.pdf.", "Next"]


def test_long_sentence_is_cut_at_the_first_clause_boundary_past_the_soft_limit():
    pieces = split_all(LONG_CLAUSES)
    assert len(pieces) > 2
    for piece in pieces[:-1]:
        assert piece.endswith(",")
    # the answer's first piece is a phrase, so speech starts early; then whole clauses up to the limit
    assert FIRST_SOFT_WORD_LIMIT <= word_count(pieces[0]) < FIRST_SOFT_WORD_LIMIT + 7
    assert SECOND_SOFT_WORD_LIMIT <= word_count(pieces[1]) < SECOND_SOFT_WORD_LIMIT + 7  # written before the first is said
    for piece in pieces[2:-1]:
        assert SOFT_WORD_LIMIT <= word_count(piece) < SOFT_WORD_LIMIT + 7  # one clause past the limit
    assert squash("".join(pieces)) == squash(LONG_CLAUSES)


def test_run_on_text_without_clauses_is_hard_cut_between_words():
    pieces = split_all(RUN_ON)
    assert word_count(pieces[0]) == FIRST_HARD_WORD_LIMIT  # the first phrase, as soon as it has enough words
    assert word_count(pieces[1]) == SECOND_HARD_WORD_LIMIT  # then a short one, written while the first is said
    assert all(word_count(piece) <= HARD_WORD_LIMIT for piece in pieces)
    assert max(word_count(piece) for piece in pieces) == HARD_WORD_LIMIT
    assert [w for piece in pieces for w in piece.split()] == RUN_ON.split()  # no word was cut in two


def test_the_first_phrase_of_every_answer_is_handed_over_early():
    splitter = SentenceSplitter()
    words = [f"w{i}" for i in range(30)]
    fed = []
    for n, word in enumerate(words):
        fed += splitter.feed(word + " ")
        if fed:
            break
    assert fed == [" ".join(words[:FIRST_HARD_WORD_LIMIT])] and n == FIRST_HARD_WORD_LIMIT  # cut as the next word began
    rest = words[n + 1:]
    second = splitter.feed(" ".join(rest) + " ")  # the second piece as soon as it has its (shorter) limit
    assert second == [" ".join(words[n:n + SECOND_HARD_WORD_LIMIT])]
    assert len(words) - n - SECOND_HARD_WORD_LIMIT < SOFT_WORD_LIMIT  # the rest waits for the normal limits
    splitter.flush()
    # after flush (an answer ended) or reset (cancelled), the next answer's first phrase is early again
    assert splitter.feed("One two three four five six, seven ") == ["One two three four five six,"]
    assert splitter.feed("eight nine, ten ") == []  # the second piece of the same answer is not
    splitter.reset()
    assert splitter.feed("Short one, then a six word clause, more ") == ["Short one, then a six word clause,"]


def test_a_huge_word_without_spaces_is_cut_by_characters():
    pieces = split_all(HUGE_WORD)
    assert len(pieces) > 1
    assert all(len(piece) <= HARD_CHAR_LIMIT for piece in pieces)
    assert squash("".join(pieces)) == squash(HUGE_WORD)


def test_chinese_without_punctuation_is_hard_cut_by_characters():
    pieces = split_all(LONG_CHINESE)
    assert len(pieces) > 2
    assert len(pieces[0]) == FIRST_HARD_WORD_LIMIT * 2  # two characters count as a word
    assert all(len(piece) <= HARD_WORD_LIMIT * 2 for piece in pieces)
    assert "".join(pieces) == LONG_CHINESE


def test_chinese_clause_marks_cut_long_sentences():
    text = "，".join(["这是一个相当长的分句内容"] * 12) + "。"
    pieces = split_all(text)
    assert len(pieces) > 1
    assert all(piece.endswith("，") for piece in pieces[:-1])
    assert "".join(pieces) == text


def test_custom_limits_and_dash_clauses():
    splitter = SentenceSplitter(soft_word_limit=3, hard_word_limit=10, first_soft_word_limit=3,
                                first_hard_word_limit=10, second_soft_word_limit=3, second_hard_word_limit=10)
    text = "one two three four \u2014 five six seven eight - nine ten eleven twelve"
    assert split_all(text, splitter=splitter) == [
        "one two three four \u2014",
        "five six seven eight -",
        "nine ten eleven twelve",
    ]
    with pytest.raises(ValueError):
        SentenceSplitter(soft_word_limit=10, hard_word_limit=5)


def test_reset_discards_a_cancelled_answer():
    splitter = SentenceSplitter()
    assert splitter.feed("The cancelled answer said something") == []
    splitter.reset()
    assert splitter.feed("A new answer. It") == ["A new answer."]
    assert splitter.flush() == ["It"]
    assert splitter.flush() == []  # flush also starts afresh


@pytest.mark.parametrize("text", CORPUS, ids=["english", "chinese", "japanese", "mixed", "run_on", "clauses", "long_zh", "huge_word"])
def test_any_chunking_gives_the_same_sentences_and_loses_nothing(text):
    rng = random.Random(20240611)
    whole = split_all(text)
    assert squash("".join(whole)) == squash(text)
    assert all(piece == piece.strip() and piece for piece in whole)
    for _ in range(60):
        chunks = random_chunks(text, rng)
        assert split_all(text, chunks) == whole, chunks


def test_fuzz_random_text_keeps_every_character():
    rng = random.Random(7)
    alphabet = list("abc XYZ 3.5,;:-\u2014.!?\u2026\"')\n。！？，、；：你好ア") + ["e.g. ", "Mr. ", ".pdf", "... "]
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        whole = split_all(text)
        assert squash("".join(whole)) == squash(text)
        assert split_all(text, random_chunks(text, rng)) == whole
