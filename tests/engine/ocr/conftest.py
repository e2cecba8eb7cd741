"""The fonts the rendered screens need, and one loaded text reader for the module's tests."""

from __future__ import annotations


import pytest

from engine.bench.text_screens import CJK_FONT, LATIN_FONT, FontMissing, font_file
from tests.system_programs import fail_or_skip

FONT_PACKAGES = {LATIN_FONT: "fonts-dejavu-core", CJK_FONT: "fonts-noto-cjk"}


def need_font(family: str) -> None:
    """Fail in CI (its .ci/run installs the font), skip with the install command elsewhere."""
    try:
        font_file(family)
    except FontMissing as exc:
        fail_or_skip(f"{exc}: apt-get install {FONT_PACKAGES[family]} (listed in .ci/run)")


@pytest.fixture(scope="module")
def latin_font() -> None:
    need_font(LATIN_FONT)


@pytest.fixture(scope="module")
def cjk_font() -> None:
    need_font(CJK_FONT)


@pytest.fixture(scope="module")
def reader():
    from engine.ocr.reader import TextReader

    return TextReader(n_threads=2)
