"""The edges of fields, buttons and check boxes drawn in the text colour while a high-contrast choice is on.

Fusion draws those edges in the window colour made darker (qfusionstyle.cpp,
QFusionStylePrivate::outline(): `pal.window().color().darker(140)`): on a black window they
are black too, so the question box, the description and an unchecked check box vanish, and
on a white one they are a light grey at 2:1. WCAG 2.2, 1.4.11 asks 3:1 for what identifies a
control. This proxy hands the style, for the parts that draw such an edge and are not filled
with the window colour, a palette whose window colour is the text colour: the edge comes out
as the text colour darkened by the same 140% (light grey at 10:1 on black, black on white).
"""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleOption

P, C = QStyle.PrimitiveElement, QStyle.ComplexControl
# The parts whose outline Fusion takes from the window colour, and which it fills with other roles
# (base, button) or not at all.
EDGED_PRIMITIVES = frozenset({P.PE_Frame, P.PE_FrameLineEdit, P.PE_PanelLineEdit, P.PE_PanelButtonCommand,
                              P.PE_IndicatorCheckBox, P.PE_IndicatorRadioButton})
EDGED_CONTROLS = frozenset({C.CC_ComboBox, C.CC_SpinBox})
GROUPS = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled)


def _edged(option: QStyleOption | None):
    """A copy of `option` whose window colour is its text colour, in each group."""
    if option is None:
        return None
    edged = type(option)(option)
    palette = QPalette(option.palette)
    for group in GROUPS:
        palette.setColor(group, QPalette.ColorRole.Window, palette.color(group, QPalette.ColorRole.WindowText))
    edged.palette = palette
    return edged


class ContrastEdges(QProxyStyle):
    def drawPrimitive(self, element, option, painter, widget=None) -> None:  # noqa: N802 (Qt's name)
        if element == P.PE_FrameGroupBox:  # Fusion draws it from a fixed light-grey image: the text colour instead
            painter.save()
            painter.setPen(option.palette.color(QPalette.ColorRole.WindowText))
            painter.drawRect(option.rect.adjusted(0, 0, -1, -1))
            painter.restore()
            return
        super().drawPrimitive(element, _edged(option) if element in EDGED_PRIMITIVES else option, painter, widget)

    def drawComplexControl(self, control, option, painter, widget=None) -> None:  # noqa: N802 (Qt's name)
        super().drawComplexControl(control, _edged(option) if control in EDGED_CONTROLS else option, painter,
                                   widget)
