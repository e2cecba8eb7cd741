"""Reading a whole image in the test's own process (the reader loaded once per module)."""

from __future__ import annotations

import time


def read_all(reader, rgb) -> tuple[list, float, float]:
    """Every line, with the seconds to the first line and in all."""
    start, first, lines = time.perf_counter(), None, []
    for line in reader.lines(rgb):
        first = time.perf_counter() - start if first is None else first
        lines.append(line)
    total = time.perf_counter() - start
    return lines, (total if first is None else first), total
