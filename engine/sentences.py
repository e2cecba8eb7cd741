"""Cut a streamed answer into sentences as soon as each one is complete, so speech starts early.

The language model streams arbitrary fragments ("The fi", "le report.p", "df is open. It"), so a
possible sentence end is only decided once the text that settles it has arrived: "3.5", "e.g. the",
"Mr. Smith", "report.pdf" and "Wait... what" are not ends; "open. It" is. Every decision depends
only on the text, never on where the chunks happened to break, so any chunking of one answer yields
the same sentences (the tests check this). Pure Python, no Qt: the app feeds it from its token slot, the bench from its own loop.
"""

from __future__ import annotations

# Pieces longer than this many words are cut at the next clause boundary: a blind user waits for
# a whole piece before hearing it, and 25 words is already about ten seconds of speech.
SOFT_WORD_LIMIT = 25
# With no clause boundary either, cut between words here, so a run-on answer is never held back.
HARD_WORD_LIMIT = 40
# The first piece of an answer is what the user waits for after the key press: it is cut at the
# first clause boundary after 6 words, or between words after 8 (about 0.3 s of writing on a
# 2-core laptop, where the model writes about 28 tokens a second; 12 words took 0.4-0.6 s), so the
# voice starts with the first phrase instead of the first sentence. Saying 8 words takes about
# 2.5 s, by when the next piece is long written.
FIRST_SOFT_WORD_LIMIT = 6
FIRST_HARD_WORD_LIMIT = 8
# The second piece must be written before the first has been said: a run-on sentence of 40 words
# took 1.55-2.0 s to write on the full-size model (20-26 words a second on a slow moment of the
# 2-core host), about as long as saying the 8 words before it, and the voice waited 0.3 s for it
# (`bench --images screen-1920x1080`). Cut at 12-16 words it is written in well under a second;
# from the third piece on, the voice is far behind the writing and the longer limits apply.
SECOND_SOFT_WORD_LIMIT = 12
SECOND_HARD_WORD_LIMIT = 16
# A "word" with no space in it (a long URL, a hash) is cut here too, even mid-word, so one token
# can neither hold speech back nor make each feed rescan an ever-growing buffer.
HARD_CHAR_LIMIT = 300
# A Chinese or Japanese word is about two characters long, and these languages are spoken at about
# half as many words per character as they have characters, so two CJK characters count as a word.
CJK_CHARS_PER_WORD = 2

NEWLINES = "\n\r\u2028\u2029"
LATIN_TERMINATORS = ".!?\u2026"  # ... and the single-character ellipsis
CJK_TERMINATORS = "\u3002\uff01\uff1f\uff61"  # 。！？ and the half-width ｡
# Closing quotes and brackets that belong to the sentence they follow: 'He said "Stop." Then'.
CLOSERS = "\"')]}\u00bb\u201d\u2019\u300d\u300f\uff09\u3011\u300b\u3009\u3015"
# Clause marks that end a clause only before a space ("3,500" and "10:30" are not clauses).
LATIN_CLAUSE_MARKS = ",;:"
CJK_CLAUSE_MARKS = "\uff0c\u3001\uff1b\uff1a"  # ，、；：
EM_DASH = "\u2014"
SPACED_DASHES = "-\u2013"  # hyphen and en dash are clause marks only with spaces around them

# Words that end in "." without ending the sentence (compared lowercased, without their dots).
ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "eg", "ie", "cf", "approx", "fig"}
)

_WAIT = -1  # the text that decides this position has not arrived yet
_CJK_RANGES = (
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x2FA1F),  # CJK extensions B and later
)


def is_cjk(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _CJK_RANGES)


class SentenceSplitter:
    """Feed streamed text; get back complete sentences (stripped, never empty) in order."""

    def __init__(self, soft_word_limit: int = SOFT_WORD_LIMIT, hard_word_limit: int = HARD_WORD_LIMIT,
                 first_soft_word_limit: int = FIRST_SOFT_WORD_LIMIT,
                 first_hard_word_limit: int = FIRST_HARD_WORD_LIMIT,
                 second_soft_word_limit: int = SECOND_SOFT_WORD_LIMIT,
                 second_hard_word_limit: int = SECOND_HARD_WORD_LIMIT):
        # (soft, hard) for the answer's first piece, its second, and every later one
        self._limits = ((first_soft_word_limit, first_hard_word_limit),
                        (second_soft_word_limit, second_hard_word_limit), (soft_word_limit, hard_word_limit))
        if not all(0 < soft <= hard for soft, hard in self._limits):
            raise ValueError("need 0 < soft word limit <= hard word limit, for every piece")
        self._pending = ""
        self._n_pieces = 0  # pieces given since the answer began

    def feed(self, chunk: str) -> list[str]:
        """Add a fragment; return the sentences it completed (often none)."""
        self._pending += chunk
        return self._take(at_end=False)

    def flush(self) -> list[str]:
        """The answer ended: return whatever is left (at most a few pieces) and start afresh."""
        pieces = self._take(at_end=True)
        rest = self._pending.strip()
        self.reset()
        return pieces + [rest] if rest else pieces

    def reset(self) -> None:
        """Forget everything: the answer was cancelled and none of it may be spoken later."""
        self._pending = ""
        self._n_pieces = 0

    def _take(self, at_end: bool) -> list[str]:
        pieces = []
        while (cut := self._next_cut(self._pending, at_end)) is not None:
            piece = self._pending[:cut].strip()
            self._pending = self._pending[cut:]
            if piece:
                pieces.append(piece)
                self._n_pieces += 1
        return pieces

    def _next_cut(self, text: str, at_end: bool) -> int | None:
        """Index just after the first decided boundary in text, or None if there is none yet."""
        soft, hard = self._limits[min(self._n_pieces, len(self._limits) - 1)]
        words = 0.0
        in_word = False
        length = len(text)
        for i, ch in enumerate(text):
            if ch in NEWLINES:
                return i + 1
            cut = None
            if ch in CJK_TERMINATORS and not _follows(text, i, CJK_TERMINATORS + LATIN_TERMINATORS):
                cut = _skip(text, i + 1, CJK_TERMINATORS + LATIN_TERMINATORS + CLOSERS)
                cut = _WAIT if cut == length and not at_end else cut
            elif ch in LATIN_TERMINATORS and not _follows(text, i, LATIN_TERMINATORS + CJK_TERMINATORS):
                cut = _latin_end(text, i, at_end)
            elif words >= soft:
                cut = _clause_end(text, i, at_end)
            if cut == _WAIT:
                return None
            if cut is not None:
                return cut
            if i >= HARD_CHAR_LIMIT:
                return i
            # Count words as they start, and cut before the one that would pass the hard limit.
            if ch.isspace():
                in_word = False
                continue
            step = 1.0 / CJK_CHARS_PER_WORD if is_cjk(ch) else (0.0 if in_word else 1.0)
            in_word = not is_cjk(ch)
            if words + step > hard and words > 0:
                return i
            words += step
        return None


def _follows(text: str, i: int, chars: str) -> bool:
    """True if text[i] continues a run of these characters (only a run's first one decides)."""
    return i > 0 and text[i - 1] in chars


def _skip(text: str, i: int, chars: str) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _latin_end(text: str, i: int, at_end: bool) -> int | None:
    """Decide whether the terminator run starting at text[i] ends a sentence."""
    run_end = _skip(text, i + 1, LATIN_TERMINATORS)
    is_single_dot = text[i:run_end] == "."
    if is_single_dot and _is_abbreviation_or_marker(text, i):
        return None
    cut = _skip(text, run_end, CLOSERS + CJK_TERMINATORS)
    if cut == len(text):
        return cut if at_end else _WAIT
    if not text[cut].isspace():
        return None  # "3.5", "report.pdf", "example.com/a", "e.g"
    following = cut
    while following < len(text) and text[following].isspace():
        if text[following] in NEWLINES:
            return cut
        following += 1
    if following == len(text):
        return cut if at_end else _WAIT
    # "e.g. the", "Wait... what": a lowercase word carries the same sentence on.
    return None if text[following].islower() else cut


def _is_abbreviation_or_marker(text: str, dot: int) -> bool:
    start = dot
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    word = text[start:dot].lstrip("\"'([{\u201c\u2018*_")
    bare = word.replace(".", "").lower()
    is_initial = len(word) == 1 and word.isupper()  # "J. Smith"
    # "1." opening a list item: the number alone is not a sentence.
    is_list_marker = word.isdigit() and not text[:start].strip()
    return bare in ABBREVIATIONS or is_initial or is_list_marker


def _clause_end(text: str, i: int, at_end: bool) -> int | None:
    """If text[i] is a clause boundary, the index just after it; _WAIT if that is not known yet."""
    ch = text[i]
    if ch in CJK_CLAUSE_MARKS:
        return i + 1
    if ch == EM_DASH and not _follows(text, i, EM_DASH):
        return _skip(text, i, EM_DASH)
    is_spaced_dash = ch in SPACED_DASHES and i > 0 and text[i - 1].isspace()
    if ch not in LATIN_CLAUSE_MARKS and not is_spaced_dash:
        return None
    if i + 1 == len(text):
        return i + 1 if at_end else _WAIT
    return i + 1 if text[i + 1].isspace() else None
