"""A focus ring that low-vision users can find: thick, in a colour that stands out, on every focused control.

Styles draw focus as a 1 px line, often in a colour close to the window's, and some only
after a key has been pressed. This ring is drawn around whatever control has the
keyboard focus, from the first one on: RING_WIDTH px wide, just outside the control, in
the palette's highlight colour adjusted to 3:1 against the window (app/ui/contrast.py).

It is a QFocusFrame, which follows the control as it moves, resizes, scrolls or hides,
and which Qt leaves out of the accessibility tree (qaccessiblewidget.cpp, childWidgets()),
so screen readers never meet it. QFocusFrame asks its own style where to go: the proxy
style below places it above the control (SH_FocusFrame_AboveWidget), RING_WIDTH outside.
The same object keeps placeholder text at 4.5:1 whenever the palette changes.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QApplication, QFocusFrame, QProxyStyle, QStyle, QWidget

from app.ui.contrast import focus_ring_color, palette_with_readable_placeholder

RING_WIDTH = 3  # device-independent pixels; WCAG 2.4.13 asks at least 2


class _RingPlacement(QProxyStyle):
    def styleHint(self, hint, option=None, widget=None, returnData=None):
        if hint == QStyle.StyleHint.SH_FocusFrame_AboveWidget:
            return 1
        if hint == QStyle.StyleHint.SH_FocusFrame_Mask:
            return 0  # no mask: the ring paints only its border, the rest stays see-through
        return super().styleHint(hint, option, widget, returnData)

    def pixelMetric(self, metric, option=None, widget=None):
        if metric in (QStyle.PixelMetric.PM_FocusFrameHMargin, QStyle.PixelMetric.PM_FocusFrameVMargin):
            return RING_WIDTH
        return super().pixelMetric(metric, option, widget)


class FocusRing(QFocusFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("focus_ring")
        self._placement = _RingPlacement()  # kept: a widget does not own the style it is given
        self.setStyle(self._placement)

    def color(self):
        target = self.widget()
        return focus_ring_color(target.palette() if target is not None else self.palette())

    def paintEvent(self, event) -> None:
        if self.widget() is None:
            return
        painter = QPainter(self)
        pen = QPen(self.color(), RING_WIDTH)
        pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        half = RING_WIDTH / 2
        painter.drawRect(QRectF(self.rect()).adjusted(half, half, -half, -half))
        painter.end()


def _wants_ring(widget: QWidget | None) -> bool:
    """Menus and drop-down lists show their own highlighted row; windows themselves get none."""
    return (widget is not None and not widget.isWindow()
            and widget.window().windowType() not in (Qt.WindowType.Popup, Qt.WindowType.ToolTip))


class AccessibleLook(QObject):
    """One per application: the focus ring follows the focus, the placeholder colour follows the palette."""

    def __init__(self, app: QApplication):
        super().__init__(app)
        self._ring: FocusRing | None = None
        self._make_placeholder_readable(app)
        # Never shown: Qt tells every widget of a palette change, and a filter on it, unlike one on the
        # application, is not called for every event of every object.
        self._palette_watch = QWidget()
        self._palette_watch.setObjectName("palette_watch")
        self._palette_watch.installEventFilter(self)
        app.focusChanged.connect(self._follow)
        self._follow(None, app.focusWidget())

    def ring(self) -> FocusRing | None:
        return self._ring if self._ring is not None and shiboken6.isValid(self._ring) else None

    def _follow(self, _old: QWidget | None, new: QWidget | None) -> None:
        ring = self.ring()
        if not _wants_ring(new):
            if ring is not None:
                ring.setWidget(None)
            return
        if ring is None:  # the first, or the last one went with the window it sat in
            ring = self._ring = FocusRing()
        ring.setWidget(new)
        ring.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            self._make_placeholder_readable(QApplication.instance())
        return False

    @staticmethod
    def _make_placeholder_readable(app: QApplication) -> None:
        palette = palette_with_readable_placeholder(app.palette())
        if palette is not None:  # None when it already reads well: no second palette change follows
            app.setPalette(palette)


def install(app: QApplication) -> AccessibleLook:
    """Idempotent: the application's AccessibleLook, made on first use."""
    look = app.findChild(AccessibleLook)
    return look if look is not None else AccessibleLook(app)

