"""Scoring runs the COCO caption toolkit's Java programs: a Java runtime is needed (CI installs one)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.bench.text_screens import LATIN_FONT, font_file
from tests.engine.ocr.conftest import need_font
from tests.system_programs import require

ROOT = Path(__file__).resolve().parents[3]

# A hand-made COCO set: several references per image, as COCO has five.
REFERENCES = {
    "images": [{"id": 11, "file_name": "COCO_val2014_000000000011.jpg"},
               {"id": 22, "file_name": "COCO_val2014_000000000022.jpg"},
               {"id": 33, "file_name": "COCO_val2014_000000000033.jpg"},
               {"id": 44, "file_name": "COCO_val2014_000000000044.jpg"}],
    "annotations": [
        {"id": 1, "image_id": 11, "caption": "A man riding a brown horse on a sandy beach."},
        {"id": 2, "image_id": 11, "caption": "A person rides a horse along the sea shore."},
        {"id": 3, "image_id": 22, "caption": "Two cats are sleeping on a red sofa."},
        {"id": 4, "image_id": 22, "caption": "A pair of cats asleep on a couch, next to a pillow."},
        {"id": 5, "image_id": 33, "caption": "A kitchen with a white stove and a wooden table."},
        {"id": 6, "image_id": 44, "caption": "A red double-decker bus drives down a city street."},
        {"id": 7, "image_id": 44, "caption": "A bus on the road in London."},
    ],
}
PREDICTIONS = [
    {"image_id": 11, "caption": "A man is riding a horse on the beach."},
    {"image_id": 22, "caption": "Two cats sleep on a red couch."},
    {"image_id": 33, "caption": "A kitchen with a stove, a sink and a table."},
    {"image_id": 44, "caption": "A red bus on a street in the city."},
]


@pytest.fixture
def java() -> None:
    """Fail in CI (.ci/run installs default-jre-headless), skip with the install command elsewhere."""
    require("java", install="apt-get install default-jre-headless")


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run_evaluate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", "evaluate", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


SCREEN_PX = 14


def render_screen(lines: list[str], path: Path, size: tuple[int, int] = (320, 160)) -> Path:
    """A light window with `lines` drawn in DejaVu Sans, one under another: an image whose text is known."""
    from PIL import Image, ImageDraw, ImageFont

    need_font(LATIN_FONT)
    font_path, index = font_file(LATIN_FONT)
    font = ImageFont.truetype(font_path, SCREEN_PX, index=index)
    image = Image.new("RGB", size, (246, 246, 246))
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((SCREEN_PX, SCREEN_PX + row * SCREEN_PX * 2), line, fill=(24, 24, 24), font=font)
    image.save(path)
    return path
