"""Which answer languages the packaged recognizer reads (rapidocr's own tables)."""

import pytest

from engine.ocr.languages import is_read, recognizer_code


@pytest.mark.parametrize("language", [None, "en", "zh", "Chinese", "French", "German", "Japanese", "vi", "法语"])
def test_languages_the_multilingual_model_reads(language):
    assert is_read(language)


@pytest.mark.parametrize("language", ["Russian", "ar", "Korean", "Hindi"])
def test_other_scripts_are_named_as_not_read(language):
    assert recognizer_code(language) is not None and not is_read(language)


def test_an_unknown_name_is_not_refused():
    assert recognizer_code("Klingon") is None and is_read("Klingon")
