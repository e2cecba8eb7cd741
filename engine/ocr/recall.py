"""Word recall of a read against the text that is known to be there (tests and the benchmark).

A word is a run of letters, digits and the punctuation inside it ("report.txt", "10:30"), compared
case-folded with the punctuation around it removed; every CJK character is a word of its own
(Chinese is written without spaces). Recall is the share of the known words that were read,
each counted as often as it occurs.
"""

from __future__ import annotations

import re
from collections import Counter

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff"
_WORD = re.compile(rf"[{CJK}]|[^\s{CJK}]+")
EDGE_PUNCTUATION = "\"'.,:;!?()[]{}<>«»“”‘’，。：；！？（）、"


def words(text: str) -> list[str]:
    found = (w.strip(EDGE_PUNCTUATION).casefold() for w in _WORD.findall(text))
    return [w for w in found if w]


def word_recall(known: list[str], read: list[str]) -> float:
    """Share of the words of `known` (lines) found in `read` (lines); 1.0 when nothing is known."""
    wanted = Counter(w for line in known for w in words(line))
    got = Counter(w for line in read for w in words(line))
    total = sum(wanted.values())
    return 1.0 if total == 0 else sum(min(n, got[w]) for w, n in wanted.items()) / total
