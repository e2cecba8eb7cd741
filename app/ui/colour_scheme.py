"""The app's own high-contrast colours ("Colours" in Settings), applied at once to every window.

"Follow the system" leaves Qt's palette alone, so a system high-contrast theme applies. The
two high-contrast choices set one complete palette on the QApplication: every role of every
colour group, so nothing falls back to the system's colours, and Qt hands it to every
widget, the Settings dialog, the first-run page, message boxes and the tray menu included
(a tray menu the desktop draws itself, through StatusNotifierItem, keeps the desktop's
colours). Text reads at 7:1 on its background (WCAG 2.2, 1.4.6), disabled and placeholder
text at 4.5:1, and the focus ring (app/ui/focus_ring.py) takes the highlight colour.

The palette and style in use before the first high-contrast choice are kept and put back
when the user goes back to "Follow the system". While a high-contrast choice is on, the style
is the same kind, under app/ui/contrast_edges.py's proxy, which draws the edges of controls
in the text colour; a style that draws with the platform's theme engine instead of the
palette is replaced by Fusion, which draws everything from the palette.
"""

from __future__ import annotations

from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyleFactory

from app.storage.settings import COLOURS, COLOURS_DARK, COLOURS_LIGHT, COLOURS_SYSTEM, Settings
from app.ui.contrast_edges import ContrastEdges

R, G = QPalette.ColorRole, QPalette.ColorGroup
# Qt's documentation of QWidget::palette and QApplication::setPalette: "Some styles do not use the palette
# for all drawing, for instance, if they make use of native theme engines. This is the case for both the
# Windows Vista and the macOS styles." Qt's Windows 11 style is a subclass of the Windows Vista one
# (qtbase, src/plugins/styles/modernwindows/qwindows11style_p.h). Names as QStyle::name() gives them.
PALETTE_IGNORING_STYLES = frozenset({"windowsvista", "windows11", "macos"})
PALETTE_STYLE = "Fusion"  # Qt's own style: every part drawn from the palette
TEXT_ROLES = (R.WindowText, R.Text, R.ButtonText)  # greyed in the Disabled group


@dataclass(frozen=True)
class Scheme:
    """One high-contrast look: the colours of its palette's roles."""

    background: str
    text: str
    highlight: str
    highlighted_text: str
    disabled_text: str
    placeholder: str
    link: str
    link_visited: str


SCHEMES: dict[str, Scheme] = {
    # White on black with yellow selection and focus.
    COLOURS_DARK: Scheme(background="#000000", text="#ffffff", highlight="#ffff00", highlighted_text="#000000",
                         disabled_text="#a0a0a0", placeholder="#c0c0c0", link="#ffff00", link_visited="#ff80ff"),
    # Black on white with dark blue selection and focus.
    COLOURS_LIGHT: Scheme(background="#ffffff", text="#000000", highlight="#00007f", highlighted_text="#ffffff",
                          disabled_text="#5c5c5c", placeholder="#4a4a4a", link="#00009f", link_visited="#800080"),
}


def scheme_palette(scheme: Scheme) -> QPalette:
    """Every role of every group set, so no colour of the system's theme is left underneath."""
    colours = {R.Window: scheme.background, R.WindowText: scheme.text, R.Base: scheme.background,
               R.AlternateBase: scheme.background, R.ToolTipBase: scheme.background, R.ToolTipText: scheme.text,
               R.Text: scheme.text, R.Button: scheme.background, R.ButtonText: scheme.text,
               R.BrightText: scheme.text, R.Highlight: scheme.highlight, R.HighlightedText: scheme.highlighted_text,
               R.Accent: scheme.highlight, R.Link: scheme.link, R.LinkVisited: scheme.link_visited,
               R.PlaceholderText: scheme.placeholder,
               # Bevels, frames and separators: drawn in the text colour or the dimmed one, never near the
               # background, so the edges of controls stay visible.
               R.Light: scheme.text, R.Midlight: scheme.disabled_text, R.Mid: scheme.disabled_text,
               R.Dark: scheme.disabled_text, R.Shadow: scheme.text}
    palette = QPalette()
    for group in (G.Active, G.Inactive, G.Disabled):
        for role, colour in colours.items():
            palette.setColor(group, role, QColor(colour))
    for role in TEXT_ROLES:
        palette.setColor(G.Disabled, role, QColor(scheme.disabled_text))
    return palette


def needs_palette_style(style_name: str) -> bool:
    return style_name.lower() in PALETTE_IGNORING_STYLES


class ColourScheme(QObject):
    """One per application: applies the "Colours" setting and puts the system's look back."""

    def __init__(self, app: QApplication):
        super().__init__(app)
        self._app = app
        self.choice = COLOURS_SYSTEM
        self._system_palette: QPalette | None = None  # as it was before the first high-contrast choice
        self._system_style: QStyle | None = None  # the style in use before, set aside while high contrast is on
        self._settings: Settings | None = None

    def follow(self, settings: Settings) -> None:
        """Apply `settings`' choice now and whenever it changes (the latest settings followed only)."""
        if self._settings is not None and shiboken6.isValid(self._settings):
            self._settings.changed.disconnect(self._on_setting_changed)
        self._settings = settings
        settings.changed.connect(self._on_setting_changed)
        self.apply(settings.get(COLOURS))

    def _on_setting_changed(self, key: str) -> None:
        if key == COLOURS.key and self._settings is not None:
            self.apply(self._settings.get(COLOURS))

    def apply(self, choice: str) -> None:
        if choice == self.choice:
            return
        if choice == COLOURS_SYSTEM:
            self._restore()
        else:
            self._use(SCHEMES[choice])
        self.choice = choice

    def _use(self, scheme: Scheme) -> None:
        if self.choice == COLOURS_SYSTEM:  # coming from the system's look: keep it to put back later
            self._system_palette = QPalette(self._app.palette())
            self._system_style = self._app.style()
            self._system_style.setParent(self)  # kept alive: QApplication deletes a replaced style it owns
            name = self._system_style.name()
            base = name if name and not needs_palette_style(name) else PALETTE_STYLE
            self._app.setStyle(ContrastEdges(QStyleFactory.create(base)))
        self._app.setPalette(scheme_palette(scheme))

    def _restore(self) -> None:
        if self._system_style is not None:  # first the style, whose own palette setStyle() may bring along
            self._app.setStyle(self._system_style)  # the high-contrast one, owned by the application, goes
            self._system_style = None
        if self._system_palette is not None:
            self._app.setPalette(self._system_palette)
            self._system_palette = None


def install(app: QApplication) -> ColourScheme:
    """Idempotent: the application's ColourScheme, made on first use."""
    scheme = app.findChild(ColourScheme)
    return scheme if scheme is not None else ColourScheme(app)
