"""Prompts and chat formatting. The words live in resources/prompts.json, as data."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from resources import read_text

PANGU_ARCH = "pangu-embedded"
DEFAULT_DETAIL = "standard"
DEFAULT_LANGUAGE = "English"


@dataclass(frozen=True)
class DetailLevel:
    name: str
    instruction: str
    max_tiles: int
    max_tokens: int
    image_max_tokens: int  # the tile budget in image tokens: tiles plus the overview
    close_ups: int  # after a glance, the second look's close-ups (engine/flow.py); 0: the glance alone
    reads_text: bool  # described in one pass (no glance first), the image's text is read first and given with it


@lru_cache(maxsize=1)
def _prompts() -> dict:
    return json.loads(read_text("prompts.json"))


DETAIL_LEVELS: tuple[str, ...] = tuple(_prompts()["detail_levels"])  # in prompts.json's order, briefest first


def detail_label(name: str) -> str:
    """The level's name for people ("Brief"), from prompts.json; the app translates it where shown."""
    return _prompts()["detail_levels"][name]["label"]


def detail_level(name: str) -> DetailLevel:
    levels = _prompts()["detail_levels"]
    if name not in levels:
        raise ValueError(f"unknown detail level {name!r}; choose one of {', '.join(levels)}")
    level = levels[name]
    tiles = int(level["max_tiles"])
    overview = 1 if tiles > 1 else 0
    return DetailLevel(name, level["instruction"], tiles, int(level["max_tokens"]),
                       (tiles + overview) * int(_prompts()["tokens_per_tile"]), int(level["close_ups"]),
                       bool(level["reads_text"]))


def follow_up_max_tokens() -> int:
    return int(_prompts()["follow_up_max_tokens"])


def language_name(language: str | None) -> str:
    """'en', 'zh' or a language the user names in words."""
    if not language:
        return DEFAULT_LANGUAGE
    return _prompts()["languages"].get(language.lower(), language.strip())


def system_prompt(language: str | None) -> str:
    p = _prompts()
    return (p["system"] + " " + p["grounding_instruction"] + " "
            + p["language_instruction"].format(language=language_name(language)))


TEMPLATE, TEXT, IMAGE = "template", "text", "image"
MEDIA_MARKER = "<__media__>"  # mtmd_default_marker() (mtmd.cpp): where llama.cpp's own path puts an image
# Stands for message i's content while a template renders: private-use characters that no
# template writes and no filter (trim, strip) removes.
_SLOT = "\ue000{}\ue001"
_SLOT_PATTERN = re.compile("\ue000(\\d+)\ue001")


@dataclass(frozen=True)
class Piece:
    """One piece of a prompt. Only TEMPLATE pieces (the chat format's own text) may hold special
    tokens; TEXT pieces (every message's content: questions, answers, language names, text read
    off a screen) are always read as plain text; an IMAGE piece is where one image goes."""

    kind: str
    text: str = ""


def prompt_text(pieces: list[Piece], marker: str) -> str:
    """The prompt as one string with `marker` per image: what llama.cpp's own path reads (references)."""
    return "".join(marker if p.kind == IMAGE else p.text for p in pieces)


class ChatFormat:
    """Renders turns for the model: Pangu's own format, or the template stored in the GGUF.

    A message is {"role", "content", optional "images": n}: n images come first, then a line
    break and the content. Content never passes through a template as text: each message's
    slot is marked while rendering and replaced by TEXT pieces afterwards.
    """

    def __init__(self, architecture: str, gguf_template: str | None, bos: str = "", eos: str = ""):
        self._is_pangu = architecture == PANGU_ARCH or gguf_template is None
        self._template = None
        if not self._is_pangu:
            from jinja2.sandbox import ImmutableSandboxedEnvironment

            env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
            self._template = env.from_string(gguf_template)
        self._bos, self._eos = bos, eos

    def _marked(self, messages: list[dict], add_generation_prompt: bool) -> str:
        slots = [{"role": m["role"], "content": _SLOT.format(i)} for i, m in enumerate(messages)]
        if self._is_pangu:
            # [unused9]系统：{system}[unused10][unused9]用户：{user}[unused10][unused9]助手： (the model card)
            role_names = {"system": "系统", "user": "用户", "assistant": "助手"}
            text = "".join(f"[unused9]{role_names[m['role']]}：{m['content']}[unused10]" for m in slots)
            return text + ("[unused9]助手：" if add_generation_prompt else "")
        return self._template.render(messages=slots, add_generation_prompt=add_generation_prompt,
                                     bos_token=self._bos, eos_token=self._eos)

    @staticmethod
    def _pieces(marked: str, messages: list[dict]) -> list[Piece]:
        pieces: list[Piece] = []
        seen: set[int] = set()
        position = 0
        for match in _SLOT_PATTERN.finditer(marked):
            index = int(match.group(1))
            if index >= len(messages) or index in seen:
                raise ValueError("this chat template changes message contents, which the app cannot use")
            seen.add(index)
            if match.start() > position:
                pieces.append(Piece(TEMPLATE, marked[position:match.start()]))
            message = messages[index]
            images = int(message.get("images") or 0)
            pieces.extend(Piece(IMAGE) for _ in range(images))
            content = ("\n" if images else "") + str(message["content"])
            if content:
                pieces.append(Piece(TEXT, content))
            position = match.end()
        if position < len(marked):
            pieces.append(Piece(TEMPLATE, marked[position:]))
        return pieces

    def render(self, messages: list[dict], add_generation_prompt: bool = True) -> list[Piece]:
        return self._pieces(self._marked(messages, add_generation_prompt), messages)

    def continuation(self, history: list[dict], new_messages: list[dict]) -> list[Piece]:
        """Pieces to append after `history` (already in the cache) so the cache extends exactly."""
        before = self._marked(history, add_generation_prompt=False)
        after = self._marked(history + new_messages, add_generation_prompt=True)
        if not after.startswith(before):
            raise ValueError("this chat template cannot be extended turn by turn")
        return self._pieces(after[len(before):], history + new_messages)


def refine_instruction(places: list[str], texts: list[str] | None = None) -> str:
    """The close-ups' instruction; with `texts` (the exact text read inside each region), that text
    follows, quoted as read: it is content, formatted in as a value, never a template."""
    refine = _prompts()["refine"]
    count_phrase = refine["one"] if len(places) == 1 else refine["many"].format(n=len(places))
    instruction = refine["instruction"].format(count_phrase=count_phrase, places=", ".join(places))
    for place, text in zip(places, texts or []):
        grounding = refine["text"].format(place=place, text=text) if text.strip() else \
            refine["no_text"].format(place=place)
        instruction += "\n" + grounding
    return instruction


def grounded_instruction(instruction: str, text: str, is_cut: bool = False) -> str:
    """A one-pass description's instruction with the exact text read off the whole image (or the
    word that none was found), quoted as read: content formatted in as a value, never a template."""
    image_text = _prompts()["image_text"]
    if not text.strip():
        return f"{instruction}\n{image_text['no_text']}"
    grounding = image_text["text"].format(text=text)
    return f"{instruction}\n{grounding}" + (f"\n{image_text['cut']}" if is_cut else "")


def refine_max_tokens(close_ups: int) -> int:
    """Room for the answer to a second look: a few sentences per close-up."""
    return close_ups * int(_prompts()["refine"]["max_tokens_per_close_up"])
