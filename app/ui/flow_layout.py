"""A layout that puts its widgets in rows, left to right, and starts a new row when the next one would not fit.

At 200% scaling a row of buttons is twice as wide; in one fixed row it would make the
window wider than the screen. Here the row wraps instead, and the height the wrapped rows
need is reported through heightForWidth, so the layout around it makes room for them.
Tab order is the order the widgets were added, whatever the wrapping.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QStyle, QWidget

QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's QWIDGETSIZE_MAX (qwidget.h)


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._items: list[QLayoutItem] = []

    def __del__(self):
        while self.takeAt(0) is not None:
            pass

    # --- QLayout's item list ------------------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    # --- sizes ------------------------------------------------------------------------------
    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), should_place=False)

    def sizeHint(self) -> QSize:
        """Everything in one row: the preferred shape when there is room."""
        visible = self._visible()
        width = sum(item.sizeHint().width() for item in visible) + self._gap(Qt.Orientation.Horizontal) * max(
            0, len(visible) - 1)
        height = max((item.sizeHint().height() for item in visible), default=0)
        return self._with_margins(QSize(width, height))

    def minimumSize(self) -> QSize:
        """One item per row: the narrowest the layout can be."""
        size = QSize()
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        return self._with_margins(size)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, should_place=True)

    # --- placing ----------------------------------------------------------------------------
    def _visible(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def _with_margins(self, size: QSize) -> QSize:
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _gap(self, orientation: Qt.Orientation) -> int:
        spacing = self.spacing()
        if spacing >= 0:
            return spacing
        parent = self.parentWidget()
        metric = (QStyle.PixelMetric.PM_LayoutHorizontalSpacing if orientation == Qt.Orientation.Horizontal
                  else QStyle.PixelMetric.PM_LayoutVerticalSpacing)
        return max(0, parent.style().pixelMetric(metric, None, parent)) if parent is not None else 0

    def _arrange(self, rect: QRect, should_place: bool) -> int:
        """Place the items in rows inside `rect` (or only measure); the height the rows take."""
        area = rect.marginsRemoved(self.contentsMargins())
        across, down = self._gap(Qt.Orientation.Horizontal), self._gap(Qt.Orientation.Vertical)
        rows: list[list[tuple[QLayoutItem, QSize]]] = [[]]
        x = 0
        for item in self._visible():
            # Never wider than the row (down to the item's minimum), so a narrow window squeezes, not clips.
            size = item.sizeHint().boundedTo(QSize(max(area.width(), item.minimumSize().width()), QWIDGETSIZE_MAX))
            if rows[-1] and x + across + size.width() > area.width():
                rows.append([])
                x = 0
            x += (across if rows[-1] else 0) + size.width()
            rows[-1].append((item, size))
        y = area.y()
        for row in rows:
            height = max((size.height() for _, size in row), default=0)
            x = area.x()
            for item, size in row:
                if should_place:  # centred in its row: a label beside a taller combo box lines up
                    item.setGeometry(QRect(QPoint(x, y + (height - size.height()) // 2), size))
                x += size.width() + across
            y += height + down
        margins = self.contentsMargins()
        used = y - down - area.y() if any(rows) else 0
        return used + margins.top() + margins.bottom()
