"""Prompts are data; Pangu's chat format; other models' GGUF chat templates."""

from __future__ import annotations

import json

import pytest

from engine.prompts import DETAIL_LEVELS, ChatFormat, detail_level, language_name, system_prompt
from resources import read_text

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def test_detail_levels_come_from_resources():
    data = json.loads(read_text("prompts.json"))
    assert tuple(data["detail_levels"]) == DETAIL_LEVELS
    brief, standard, detailed = (detail_level(n) for n in DETAIL_LEVELS)
    assert brief.max_tiles == 1 and brief.image_max_tokens == 256  # the overview tile only
    assert standard.image_max_tokens == (4 + 1) * 256
    assert brief.max_tokens < standard.max_tokens < detailed.max_tokens
    with pytest.raises(ValueError, match="unknown detail level"):
        detail_level("verbose")


def test_system_prompt_is_written_for_blind_users():
    text = system_prompt("zh")
    for must in ("blind", "text exactly", "blank, black", "Never guess who a person is", "preamble"):
        assert must in text
    assert text.endswith("Answer in Chinese (Simplified).")
    assert language_name("Português") == "Português" and language_name(None) == "English"


def test_pangu_format_matches_the_model_card():
    fmt = ChatFormat("pangu-embedded", None)
    text = fmt.render([{"role": "system", "content": "S"}, {"role": "user", "content": "U"}])
    assert text == "[unused9]系统：S[unused10][unused9]用户：U[unused10][unused9]助手："


def test_pangu_continuation_is_the_next_turn_only():
    fmt = ChatFormat("pangu-embedded", None)
    history = [{"role": "system", "content": "S"}, {"role": "user", "content": "U"},
               {"role": "assistant", "content": "A"}]
    assert fmt.continuation(history, [{"role": "user", "content": "Q"}]) == "[unused9]用户：Q[unused10][unused9]助手："


def test_other_models_use_their_gguf_template():
    fmt = ChatFormat("qwen2vl", CHATML)
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "<__media__>\nU"}]
    assert fmt.render(messages) == (
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\n<__media__>\nU<|im_end|>\n<|im_start|>assistant\n")
    history = messages + [{"role": "assistant", "content": "A"}]
    assert fmt.continuation(history, [{"role": "user", "content": "Q"}]) == (
        "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n")


def test_templates_run_sandboxed():
    fmt = ChatFormat("other", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    from jinja2.exceptions import SecurityError

    with pytest.raises(SecurityError):
        fmt.render([])
