"""Colours derived from the palette with a contrast check, never fixed, so high-contrast themes keep working.

The formulas are WCAG 2.2's: relative luminance of sRGB colours and the contrast ratio
(L1 + 0.05) / (L2 + 0.05). Success criterion 1.4.11 asks 3:1 for a focus indicator
against the colours next to it; 1.4.3 asks 4.5:1 for text, placeholder text included.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

FOCUS_CONTRAST = 3.0  # WCAG 1.4.11, non-text contrast
TEXT_CONTRAST = 4.5  # WCAG 1.4.3, normal-size text
MIX_STEPS = 40  # how finely a colour is moved toward black or white: 2.5% per step
SRGB_LINEAR_LIMIT = 0.04045
GROUPS = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive)


def _channel(value: float) -> float:
    return value / 12.92 if value <= SRGB_LINEAR_LIMIT else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(color: QColor) -> float:
    return 0.2126 * _channel(color.redF()) + 0.7152 * _channel(color.greenF()) + 0.0722 * _channel(color.blueF())


def contrast_ratio(first: QColor, second: QColor) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(start: QColor, end: QColor, amount: float) -> QColor:
    """`amount` of the way from `start` to `end` (opaque)."""
    return QColor.fromRgbF(*(a + (b - a) * amount for a, b in ((start.redF(), end.redF()),
                                                              (start.greenF(), end.greenF()),
                                                              (start.blueF(), end.blueF()))))


def flatten(color: QColor, background: QColor) -> QColor:
    """A translucent colour as it looks painted on `background`."""
    return mix(background, color, color.alphaF())


def _worst(color: QColor, backgrounds: list[QColor]) -> float:
    return min(contrast_ratio(color, background) for background in backgrounds)


def with_contrast(color: QColor, backgrounds: list[QColor], minimum: float, toward: list[QColor]) -> QColor:
    """`color` itself if it stands out from every background by `minimum`, else the least change that does.

    The colour is moved step by step toward each of `toward` (for example black and white,
    or the text colour), keeping as much of its hue as the contrast allows; if nothing
    reaches `minimum`, the candidate with the best contrast wins.
    """
    best, best_ratio = color, _worst(color, backgrounds)
    for step in range(MIX_STEPS + 1):
        for target in toward:
            candidate = mix(color, target, step / MIX_STEPS)
            ratio = _worst(candidate, backgrounds)
            if ratio >= minimum:
                return candidate
            if ratio > best_ratio:
                best, best_ratio = candidate, ratio
    return best


def focus_ring_color(palette: QPalette) -> QColor:
    """The palette's highlight, made to stand out 3:1 from the window, button and field colours."""
    group = QPalette.ColorGroup.Active
    backgrounds = [palette.color(group, role) for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base,
                                                           QPalette.ColorRole.Button)]
    highlight = flatten(palette.color(group, QPalette.ColorRole.Highlight), backgrounds[0])
    return with_contrast(highlight, backgrounds, FOCUS_CONTRAST, [QColor("black"), QColor("white")])


def readable_placeholder(palette: QPalette, group: QPalette.ColorGroup) -> QColor:
    """The palette's placeholder colour, or the faintest move toward the text colour that reads at 4.5:1."""
    base = palette.color(group, QPalette.ColorRole.Base)
    placeholder = flatten(palette.color(group, QPalette.ColorRole.PlaceholderText), base)
    text = palette.color(group, QPalette.ColorRole.Text)
    return with_contrast(placeholder, [base], TEXT_CONTRAST, [text, QColor("black"), QColor("white")])


def palette_with_readable_placeholder(palette: QPalette) -> QPalette | None:
    """A copy of `palette` whose placeholder text reads at 4.5:1, or None when it already does."""
    changed = QPalette(palette)
    is_changed = False
    for group in GROUPS:
        base = palette.color(group, QPalette.ColorRole.Base)
        current = flatten(palette.color(group, QPalette.ColorRole.PlaceholderText), base)
        if contrast_ratio(current, base) >= TEXT_CONTRAST:
            continue
        changed.setColor(group, QPalette.ColorRole.PlaceholderText, readable_placeholder(palette, group))
        is_changed = True
    return changed if is_changed else None
