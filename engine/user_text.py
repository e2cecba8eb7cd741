"""Text the user gives the model (a follow-up question, an answer language): checked before it is sent.

Each limit is in characters and stated in the message, so an overlong question or a language name
that is really a paragraph is refused at once in plain words, instead of failing inside the model
as "needs more memory" (a language name goes into the system prompt of every request). Text that is
not valid Unicode (command-line bytes that are not UTF-8 arrive as lone surrogates, PEP 383) is
refused the same way, instead of failing in the tokenizer with a codec message.
"""

from __future__ import annotations

# The model's memory (engine.client.DEFAULT_CONTEXT, 4,608 tokens) holds about 20,000 characters
# of English at the most: a longer question can never be answered, whatever the image.
MAX_QUESTION_CHARS = 20_000
# The longest language names are a few words ("Brazilian Portuguese", "Scottish Gaelic").
MAX_LANGUAGE_CHARS = 64


class TextError(ValueError):
    """A plain-language reason the text cannot be sent to the model."""


def _check(text: str, what: str, limit: int) -> str:
    if len(text) > limit:
        raise TextError(f"The {what} is too long: at most {limit:,} characters are accepted, and it has "
                        f"{len(text):,}.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise TextError(f"The {what} contains bytes that are not valid text (UTF-8), so it cannot be "
                        "read.") from exc
    return text


def check_question(question: str) -> str:
    return _check(question, "question", MAX_QUESTION_CHARS)


def check_language(language: str | None) -> str | None:
    return None if language is None else _check(language, "language name", MAX_LANGUAGE_CHARS)
