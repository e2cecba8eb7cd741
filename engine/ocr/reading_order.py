"""Reading order of text lines: blocks top to bottom, left to right; columns kept apart; lines in
order inside a block. A pure function of the lines' boxes.

A recursive XY cut (Nagy and Seth, "Hierarchical representation of optically scanned documents",
1984), in the order people read a screen or a page:
1. a horizontal gap at least PARAGRAPH_GAP line heights tall across the whole set splits it into
   blocks read top to bottom (a title above two columns, a dialog's text above its buttons);
2. else a vertical gap at least COLUMN_GAP line heights wide down the whole set splits it into
   columns read left to right (each read to its end before the next: the gap between two lines of
   a paragraph is far below PARAGRAPH_GAP, so a column holds together);
3. else the set is one block: its lines are grouped into rows (boxes that share most of their
   height) read top to bottom, each row left to right.
Each part of a cut is cut again in the same way.
"""

from __future__ import annotations

from statistics import median

Box = tuple[float, float, float, float]  # x0, y0, x1, y1
PARAGRAPH_GAP = 0.9  # line heights: more than the space between two lines of one paragraph
COLUMN_GAP = 1.2  # line heights: more than a space between two words of one line
SAME_ROW_OVERLAP = 0.5  # two boxes sharing this much of the shorter one's height are one row


def reading_order(boxes: list[Box]) -> list[list[int]]:
    """The blocks in reading order, each the indices of its lines in reading order."""
    if not boxes:
        return []
    height = median(max(1.0, b[3] - b[1]) for b in boxes)
    blocks: list[list[int]] = []
    _cut(list(range(len(boxes))), boxes, height, blocks)
    return blocks


def _cut(indices: list[int], boxes: list[Box], height: float, blocks: list[list[int]]) -> None:
    for axis, min_gap in ((1, PARAGRAPH_GAP * height), (0, COLUMN_GAP * height)):
        parts = _split(indices, boxes, axis, min_gap)
        if len(parts) > 1:
            for part in parts:
                _cut(part, boxes, height, blocks)
            return
    blocks.append(_rows(indices, boxes))


def _split(indices: list[int], boxes: list[Box], axis: int, min_gap: float) -> list[list[int]]:
    """`indices` split at every gap of at least `min_gap` along `axis` (0: x, 1: y) that no box spans."""
    ordered = sorted(indices, key=lambda i: boxes[i][axis])
    parts, current = [], [ordered[0]]
    reach = boxes[ordered[0]][axis + 2]
    for i in ordered[1:]:
        start, end = boxes[i][axis], boxes[i][axis + 2]
        if start - reach >= min_gap:
            parts.append(current)
            current = []
        current.append(i)
        reach = max(reach, end)
    parts.append(current)
    return parts


def _rows(indices: list[int], boxes: list[Box]) -> list[int]:
    rows: list[list[int]] = []
    for i in sorted(indices, key=lambda i: (boxes[i][1] + boxes[i][3]) / 2):
        if rows and _shares_row(boxes[rows[-1][-1]], boxes[i]):
            rows[-1].append(i)
        else:
            rows.append([i])
    return [i for row in rows for i in sorted(row, key=lambda i: boxes[i][0])]


def _shares_row(a: Box, b: Box) -> bool:
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap >= SAME_ROW_OVERLAP * min(a[3] - a[1], b[3] - b[1])
