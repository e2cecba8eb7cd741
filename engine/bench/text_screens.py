"""Screens with known text, drawn with real fonts: what `read` is measured and tested on.

Each returns the image and its text as blocks of lines in reading order. The fonts are found
through fontconfig (`fc-match`); DejaVu Sans (Debian: fonts-dejavu-core) for Latin text and
Noto Sans CJK SC (fonts-noto-cjk) for Chinese.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

LATIN_FONT, CJK_FONT = "DejaVu Sans", "Noto Sans CJK SC"
THEMES = {"light": ((246, 246, 246), (24, 24, 24), (40, 70, 140)), "dark": ((32, 33, 36), (232, 232, 232), (70, 90, 130))}
VOCABULARY = ("account", "address", "archive", "backup", "battery", "calendar", "changes", "connect", "contacts",
              "delete", "details", "device", "display", "document", "download", "editor", "export", "folder",
              "history", "import", "keyboard", "library", "message", "meeting", "network", "notes", "options",
              "password", "photos", "printer", "privacy", "profile", "project", "recent", "reminder", "report",
              "schedule", "search", "security", "settings", "storage", "summary", "system", "update", "upload",
              "volume", "weather", "window", "wireless", "Monday", "Friday", "2026", "10:30", "85%", "(3)")
MIXED_LINES = ("文件 File  编辑 Edit  视图 View", "保存更改 Save changes", "网络已连接 Network connected",
               "电池电量 85% Battery", "下载文件夹 Downloads folder", "会议时间 10:30 Meeting time",
               "搜索设置 Search settings", "取消 Cancel  确定 OK")


class FontMissing(Exception):
    pass


@dataclass(frozen=True)
class TextScreen:
    image: np.ndarray
    blocks: list[list[str]]  # blocks in reading order, each its lines in order

    @property
    def lines(self) -> list[str]:
        return [line for block in self.blocks for line in block]


@lru_cache(maxsize=None)
def font_file(family: str) -> tuple[str, int]:
    """(file, index in a collection) of an installed font family; FontMissing if fontconfig has none."""
    if shutil.which("fc-match") is None:
        raise FontMissing("fontconfig's fc-match is not installed")
    found = subprocess.run(["fc-match", "-f", "%{family}\n%{file}\n%{index}", family], capture_output=True,
                           text=True, timeout=10).stdout.splitlines()
    if len(found) < 3 or family.lower() not in found[0].lower():  # fc-match falls back to another family
        raise FontMissing(f"the font {family!r} is not installed")
    return found[1], int(found[2])


def _font(family: str, px: int):
    from PIL import ImageFont

    path, index = font_file(family)
    return ImageFont.truetype(path, px, index=index)


def _sentence(rng: np.random.Generator, count: int) -> str:
    text = " ".join(rng.choice(VOCABULARY, size=count))
    return text[0].upper() + text[1:]


def ui_screen(width: int, height: int, px: int, theme: str = "light", seed: int = 0) -> TextScreen:
    """A window filling the screen: a title bar, a menu row, rows of text, a row of buttons."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    back, ink, bar = THEMES[theme]
    img = Image.new("RGB", (width, height), back)
    d = ImageDraw.Draw(img)
    font, pitch, margin = _font(LATIN_FONT, px), int(px * 1.9), max(16, px * 2)
    title = f"{_sentence(rng, 2)} - {rng.choice(VOCABULARY)}"
    d.rectangle([0, 0, width, pitch + px], fill=bar)
    d.text((margin, px // 2 + 2), title, fill="white", font=font)
    menu = "  ".join(rng.choice(VOCABULARY, size=5))
    y = pitch + px * 3
    d.text((margin, y), menu, fill=ink, font=font)
    y += pitch * 2
    rows = []
    while y < height - pitch * 4:
        rows.append(_sentence(rng, int(rng.integers(4, 9))))
        d.text((margin, y), rows[-1], fill=ink, font=font)
        y += pitch
    buttons = ["Cancel", "Save"]
    x = width - margin
    for label in reversed(buttons):
        w = int(d.textlength(label, font=font)) + px * 3
        d.rounded_rectangle([x - w, height - pitch * 2, x, height - pitch * 2 + pitch], radius=4, outline=ink)
        d.text((x - w + px * 3 // 2, height - pitch * 2 + (pitch - px) // 2 - 1), label, fill=ink, font=font)
        x -= w + px * 2
    return TextScreen(np.asarray(img), [[title], [menu], rows, buttons])


def two_column_page(px: int = 14, lines_per_column: int = 14, seed: int = 1) -> TextScreen:
    """A title across the page above two columns of running text."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    column_w, gutter, margin, pitch = px * 30, px * 4, px * 3, int(px * 1.5)
    width, height = margin * 2 + column_w * 2 + gutter, margin * 3 + px * 2 + pitch * (lines_per_column + 1)
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    font, title_font = _font(LATIN_FONT, px), _font(LATIN_FONT, px * 2)
    title = "Quarterly report summary"
    d.text((margin, margin), title, fill=(0, 0, 0), font=title_font)
    columns = []
    for c in range(2):
        lines, x = [], margin + c * (column_w + gutter)
        for k in range(lines_per_column):
            words = []
            while d.textlength(" ".join(words + ["password"]), font=font) < column_w:
                words.append(str(rng.choice(VOCABULARY)))
            lines.append(" ".join(words))
            d.text((x, margin * 2 + px * 2 + k * pitch), lines[-1], fill=(0, 0, 0), font=font)
        columns.append(lines)
    return TextScreen(np.asarray(img), [[title], *columns])


def mixed_screen(px: int = 16, theme: str = "light") -> TextScreen:
    """Chinese and English on one screen, one line after another."""
    from PIL import Image, ImageDraw

    back, ink, _ = THEMES[theme]
    pitch, margin = int(px * 2.2), px * 2
    img = Image.new("RGB", (px * 28, margin * 2 + pitch * len(MIXED_LINES)), back)
    d = ImageDraw.Draw(img)
    font = _font(CJK_FONT, px)
    for k, line in enumerate(MIXED_LINES):
        d.text((margin, margin + k * pitch), line, fill=ink, font=font)
    return TextScreen(np.asarray(img), [list(MIXED_LINES)])
