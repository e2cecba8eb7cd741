"""When each part of a request through the describe flow happened, as the app would speak it.

`flow_timelines` runs one request as the app does (engine/flow_run.py) and notes for each pass
when text first arrived and when the app's sentence splitter handed each piece to speech (the
first one is TTFW); `speech_wait_s` says how long a voice would have waited for the model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from engine.client import EngineClient
from engine.protocol import Stats

EVENT_TIMEOUT_S = 900.0
WORDS_PER_TOKEN = 0.75  # English, for speech-duration estimates
SPEECH_WORDS_PER_S = 200 / 60  # pyttsx3's default rate


@dataclass
class PassTimes:
    """One pass (the glance, a close-up, an answer): when it was sent, first wrote, first spoke and ended."""

    submitted: float
    first_chunk: float | None = None
    first_speech: float | None = None
    done: float | None = None
    stats: Stats = field(default_factory=Stats)
    pieces: list[tuple[float, str]] = field(default_factory=list)  # (when, text) handed to speech


def flow_timelines(client: EngineClient, request, ocr=None) -> list[PassTimes]:
    """Run one request through the describe flow (engine/flow.py), as the app does, noting for each
    pass when text first arrives and when the app's sentence splitter hands each piece to speech
    (the first one is TTFW)."""
    from engine import flow
    from engine.flow_run import run
    from engine.sentences import SentenceSplitter

    lines = [PassTimes(time.perf_counter())]
    splitter = SentenceSplitter()
    for event in run(client, request, EVENT_TIMEOUT_S, ocr):
        now, line = time.perf_counter(), lines[-1]
        if isinstance(event, flow.TextChunk):
            line.first_chunk = line.first_chunk or now
            line.pieces += [(now, piece) for piece in splitter.feed(event.text)]
        elif isinstance(event, flow.PassDone):
            line.done, line.stats = now, event.stats
            line.pieces += [(now, piece) for piece in splitter.flush()]
            line.first_speech = line.pieces[0][0] if line.pieces else None
        elif isinstance(event, flow.CloseUp):  # sent just now
            lines.append(PassTimes(now))
            splitter = SentenceSplitter()
        elif isinstance(event, (flow.Failed, flow.Stopped)):
            raise RuntimeError(f"benchmark request failed: {event}")
    return lines


def spoken_words(text: str) -> float:
    """Words as a voice says them: two CJK characters count as one word (as in the splitter)."""
    from engine.sentences import CJK_CHARS_PER_WORD, is_cjk

    cjk = sum(1 for ch in text if is_cjk(ch))
    latin = "".join(" " if is_cjk(ch) else ch for ch in text).split()
    return len(latin) + cjk / CJK_CHARS_PER_WORD


def speech_wait_s(lines: list[PassTimes]) -> float:
    """Seconds the voice would wait for the model after it started, over answers spoken in a row.

    Each piece the splitter handed over can be spoken from that moment. An answer takes as long to
    say as its tokens at WORDS_PER_TOKEN words each, at SPEECH_WORDS_PER_S, shared among its pieces
    by their words (the synthetic model writes a word per token, more than real text, so its own
    words would overstate the speech). The voice starts with the first piece; every later moment
    it has nothing to say counts.
    """
    pieces = []  # (ready at, seconds of speech)
    for line in lines:
        words = [spoken_words(text) for _, text in line.pieces]
        seconds = line.stats.n_tokens * WORDS_PER_TOKEN / SPEECH_WORDS_PER_S
        total = sum(words) or 1.0
        pieces += [(ready, seconds * w / total) for (ready, _), w in zip(line.pieces, words)]
    if not pieces:
        return 0.0
    waited, free = 0.0, pieces[0][0]
    for ready, seconds in pieces:
        waited += max(0.0, ready - free)
        free = max(free, ready) + seconds
    return waited
