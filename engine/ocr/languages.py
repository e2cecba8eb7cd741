"""Which languages the packaged recognizer reads, and whether it reads the answer language.

The one recognition model rapidocr ships (PP-OCRv6 small) is multilingual: Chinese (simplified
and traditional), English, Japanese and about 48 languages in Latin script, all at once, so mixed
Chinese and English on one screen needs no setting. Other scripts (Cyrillic, Arabic, Korean,
Devanagari, ...) have their own models, which rapidocr would download; the app never does, so for
such an answer language the reader still reads what it can and says once that text in that
language's script may be missed. Names and codes are rapidocr's own (default_models.yaml's
`lang_mapping` and the PP-OCRv6 route's `supported_langs` and aliases).
"""

from __future__ import annotations

from functools import lru_cache

# The answer-language setting's own short names (resources/prompts.json) in rapidocr's codes.
APP_CODES = {"zh": "ch", "zh-cn": "ch", "zh_cn": "ch", "zh-tw": "chinese_cht", "zh_tw": "chinese_cht",
             "ja": "japan", "jp": "japan", "chinese": "ch", "japanese": "japan"}


@lru_cache(maxsize=1)
def _tables() -> tuple[frozenset[str], dict[str, str]]:
    from rapidocr.utils.model_resolver import LANG_MAPPING, list_supported_langs
    from rapidocr.utils.typings import ModelType, OCRVersion, TaskType

    from engine.ocr.models import OCR_VERSION

    supported = frozenset(list_supported_langs(TaskType.REC, OCRVersion(OCR_VERSION), ModelType.SMALL))
    names: dict[str, str] = {}
    for code, info in LANG_MAPPING.items():
        for name in (code, info.get("en", ""), info.get("cn", "")):
            if name:
                names.setdefault(name.strip().lower(), code)
    return supported, names


def recognizer_code(language: str | None) -> str | None:
    """rapidocr's code for an answer language ('en', 'zh', 'French', '法语'), or None if unknown."""
    if not language:
        return "en"
    key = language.strip().lower()
    if key in APP_CODES:
        return APP_CODES[key]
    return _tables()[1].get(key)


def is_read(language: str | None) -> bool:
    """True if the packaged recognizer reads this answer language (unknown names count as read:
    the reader cannot tell, and it reads every language it knows at once)."""
    code = recognizer_code(language)
    return code is None or code in _tables()[0]
