"""The app's own high-contrast colours (issue 18, item 6): "Colours" in Settings, applied at once to every
window, kept across restarts, put back to the system's palette and style, with WCAG AAA contrast measured
on the palette actually applied."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QGroupBox, QMessageBox

from app.storage.settings import (COLOURS, COLOURS_DARK, COLOURS_LIGHT, COLOURS_SYSTEM, DETAIL, SAVE_HISTORY, THREADS,
                                  Settings)
from app.ui import colour_scheme
from app.ui.contrast import contrast_ratio, focus_ring_color, relative_luminance
from app.ui.contrast_edges import ContrastEdges
from app.ui.settings_dialog import SettingsDialog
from tests.app.e2e.desktop import ARTIFACTS as TEST_ARTIFACTS
from tests.app.ui.test_scaling import _probe

ARTIFACTS = TEST_ARTIFACTS / "colours"

R, G = QPalette.ColorRole, QPalette.ColorGroup
HIGH_CONTRAST = (COLOURS_DARK, COLOURS_LIGHT)
BACKGROUND = {COLOURS_DARK: "#000000", COLOURS_LIGHT: "#ffffff"}
# Every text role of Qt's palette over the backgrounds it is drawn on (QPalette's documentation of each role).
TEXT_ON = {R.WindowText: (R.Window, R.Button), R.Text: (R.Base, R.AlternateBase, R.Window),
           R.ButtonText: (R.Button, R.Window), R.ToolTipText: (R.ToolTipBase,), R.BrightText: (R.Button, R.Window),
           R.Link: (R.Base, R.Window), R.LinkVisited: (R.Base, R.Window), R.HighlightedText: (R.Highlight,)}
DISABLED_TEXT = (R.WindowText, R.Text, R.ButtonText)
MAX_TAB_STOPS = 80
TEXT_COLOUR = {COLOURS_DARK: "#ffffff", COLOURS_LIGHT: "#000000"}
MIN_BACKGROUND_SHARE = 0.5  # of the window's pixels: the window, the fields and the buttons are all the background
MIN_TEXT_PIXELS = 200  # the sample sentence at the description's size draws thousands
EDGE_SCAN_PX = 8  # from a control's left side inward: its edge, or a check box's box, lies within


@pytest.fixture(autouse=True)
def _system_colours_after(qapp):
    """The QApplication outlives the test: its look goes back to the system's whatever the test did."""
    yield
    colour_scheme.install(qapp).apply(COLOURS_SYSTEM)


def _ratio(palette: QPalette, group, text, background) -> float:
    return contrast_ratio(palette.color(group, text), palette.color(group, background))


def assert_aaa(palette: QPalette, where: str) -> None:
    for group in (G.Active, G.Inactive):
        for text, backgrounds in TEXT_ON.items():
            for background in backgrounds:
                ratio = _ratio(palette, group, text, background)
                assert ratio >= 7.0, f"{where}: {text.name} on {background.name} ({group.name}) is {ratio:.2f}:1"
    for group in (G.Active, G.Inactive, G.Disabled):
        ratio = _ratio(palette, group, R.PlaceholderText, R.Base)
        assert ratio >= 4.5, f"{where}: placeholder ({group.name}) is {ratio:.2f}:1"
    for text in DISABLED_TEXT:
        for background in (R.Window, R.Base, R.Button):
            ratio = _ratio(palette, G.Disabled, text, background)
            assert ratio >= 4.5, f"{where}: disabled {text.name} on {background.name} is {ratio:.2f}:1"
    ring = focus_ring_color(palette)
    for background in (R.Window, R.Base, R.Button):
        ratio = contrast_ratio(ring, palette.color(G.Active, background))
        assert ratio >= 3.0, f"{where}: focus ring on {background.name} is {ratio:.2f}:1"


def _open_settings(application, qtbot) -> SettingsDialog:
    application.actions.settings.trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog) and w.isVisible())
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def _show(window, qtbot) -> None:
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


@pytest.mark.parametrize("choice", HIGH_CONTRAST)
def test_every_window_gets_the_high_contrast_palette_at_aaa_contrast(make_app, settings, qtbot, choice):
    application = make_app()
    _show(application.window, qtbot)
    settings.set(COLOURS, choice)
    QApplication.processEvents()
    dialog = _open_settings(application, qtbot)
    box = QMessageBox(QMessageBox.Icon.Warning, "Problem", "Something went wrong.", parent=application.window)
    window = application.window
    for where, widget in (("main window", window), ("description", application.page.description),
                          ("first-run page", window.first_run), ("settings", dialog), ("message box", box),
                          ("tray menu", application.tray.menu)):
        palette = widget.palette()
        assert palette.color(R.Window).name() == BACKGROUND[choice], where
        assert_aaa(palette, where)
    assert_aaa(QApplication.palette(), "application")
    dialog.reject()


def test_the_choice_is_made_by_keyboard_in_settings_and_focus_stays_where_it_was(make_app, settings, qtbot,
                                                                                monkeypatch):
    application = make_app()
    _show(application.window, qtbot)
    question = application.page.question
    question.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is question)
    announced = []  # what the real announcer is given, recorded on the way
    announce = application.announcer.announce
    monkeypatch.setattr(application.announcer, "announce",
                        lambda text, *args, **kw: (announced.append(text), announce(text, *args, **kw)))
    dialog = _open_settings(application, qtbot)
    combo = dialog.controls[COLOURS.key]
    assert combo.accessibleName() == "Colours" and combo.accessibleDescription()
    assert [combo.itemText(i) for i in range(combo.count())] == ["Follow the system", "High contrast, dark",
                                                                  "High contrast, light"]
    assert combo.currentData() == COLOURS_SYSTEM
    for _ in range(MAX_TAB_STOPS):  # Tab reaches it
        if QApplication.focusWidget() is combo:
            break
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is combo
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentData() == COLOURS_DARK and QApplication.focusWidget() is combo
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    QApplication.processEvents()
    assert QApplication.palette().color(R.Window).name() == "#000000"  # at once
    # The main window's focus stayed on the question box: it has it again as soon as the window is active
    # (offscreen Qt activates no window when a dialog closes; a window manager gives it back).
    assert application.window.focusWidget() is question
    _show(application.window, qtbot)
    assert QApplication.focusWidget() is question
    assert announced == ["Settings saved."]  # what every change of settings says, nothing more
    settings.set(COLOURS, COLOURS_LIGHT)  # a change while the user types: the focus does not move
    QApplication.processEvents()
    assert QApplication.focusWidget() is question and question.palette().color(R.Base).name() == "#ffffff"
    assert announced == ["Settings saved."]


def test_the_choice_is_kept_across_restarts(make_app, settings, qtbot):
    application = make_app()
    settings.set(COLOURS, COLOURS_LIGHT)
    application.quit()
    colour_scheme.install(QApplication.instance()).apply(COLOURS_SYSTEM)  # as a new process starts
    assert Settings(settings.path).get(COLOURS) == COLOURS_LIGHT
    again = make_app(settings=Settings(settings.path))
    assert again.window.palette().color(R.Window).name() == "#ffffff"
    assert again.window.palette().color(R.Highlight).name() == "#00007f"


def test_following_the_system_again_restores_the_palette_the_app_started_with(make_app, settings, qtbot, qapp):
    before = QPalette(qapp.palette())
    application = make_app()
    for choice in (COLOURS_DARK, COLOURS_LIGHT, COLOURS_SYSTEM):
        settings.set(COLOURS, choice)
    QApplication.processEvents()
    after = qapp.palette()
    for group in (G.Active, G.Inactive, G.Disabled):
        for role in TEXT_ON.keys() | {R.Window, R.Base, R.Button, R.Highlight, R.PlaceholderText}:
            assert after.color(group, role) == before.color(group, role), (group.name, role.name)
    assert after.resolveMask() == before.resolveMask()  # unset roles still follow the system's theme
    assert application.window.palette().color(R.Window) == before.color(R.Window)


def test_a_style_that_ignores_the_palette_is_replaced_by_fusion_only_while_high_contrast_is_on(
        make_app, settings, qapp, monkeypatch):
    # The Windows 11, Windows Vista and macOS styles exist only on their systems: Qt's classic "Windows" style,
    # which is built everywhere, stands in for one of them here.
    assert colour_scheme.needs_palette_style("windows11") and colour_scheme.needs_palette_style("macOS")
    assert not colour_scheme.needs_palette_style("fusion")
    original = qapp.style().name()
    monkeypatch.setattr(colour_scheme, "PALETTE_IGNORING_STYLES", frozenset({"windows"}))
    qapp.setStyle("Windows")
    try:
        make_app()
        settings.set(COLOURS, COLOURS_DARK)
        assert qapp.style().baseStyle().name().lower() == "fusion"
        settings.set(COLOURS, COLOURS_LIGHT)
        assert qapp.style().baseStyle().name().lower() == "fusion"
        settings.set(COLOURS, COLOURS_SYSTEM)
        assert qapp.style().name().lower() == "windows"
    finally:
        qapp.setStyle(original)


def test_a_style_that_draws_with_the_palette_is_kept_and_the_very_same_style_comes_back(make_app, settings, qapp):
    before = qapp.style()
    assert not colour_scheme.needs_palette_style(before.name())  # Fusion, the style on Linux here
    make_app()
    settings.set(COLOURS, COLOURS_DARK)
    assert isinstance(qapp.style(), ContrastEdges) and qapp.style().baseStyle().name() == before.name()
    settings.set(COLOURS, COLOURS_SYSTEM)
    assert qapp.style() is before


def _edge_contrast(widget, background: QColor) -> float:
    """The best contrast with `background` along the first pixels of the widget's middle row: its left edge."""
    image = widget.grab().toImage()
    y = image.height() // 2
    return max(contrast_ratio(QColor(image.pixel(x, y)), background)
               for x in range(round(EDGE_SCAN_PX * image.devicePixelRatio())))


@pytest.mark.parametrize("choice", HIGH_CONTRAST)
def test_the_edges_of_fields_buttons_and_check_boxes_stand_out_three_to_one(make_app, settings, qtbot, choice):
    """WCAG 1.4.11: what shows where a control is (a field's border, an unchecked box) at 3:1."""
    application = make_app()
    _show(application.window, qtbot)
    settings.set(COLOURS, choice)
    dialog = _open_settings(application, qtbot)
    assert not dialog.controls[SAVE_HISTORY.key].isChecked()
    page, background = application.page, QColor(BACKGROUND[choice])
    for widget in (page.question, page.description, page.history, page.buttons[0], page.detail_combo,
                   dialog.controls[SAVE_HISTORY.key], dialog.controls[THREADS.key], dialog.controls[DETAIL.key],
                   dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), dialog.findChild(QGroupBox)):
        ratio = _edge_contrast(widget, background)
        assert ratio >= 3.0, f"{widget.objectName() or type(widget).__name__}: edge at {ratio:.2f}:1"
    dialog.reject()


def _contrast(pixels: np.ndarray, background: QColor) -> np.ndarray:
    """WCAG contrast of each RGB pixel against `background` (app/ui/contrast.py's formula, vectorised)."""
    value = pixels.astype(np.float64) / 255
    linear = np.where(value <= 0.04045, value / 12.92, ((value + 0.055) / 1.055) ** 2.4)
    luminance = linear @ np.array([0.2126, 0.7152, 0.0722])
    other = relative_luminance(background)
    lighter, darker = np.maximum(luminance, other), np.minimum(luminance, other)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("choice", HIGH_CONTRAST)
def test_on_a_real_x_server_the_window_shows_the_chosen_colours_and_the_text_reads_at_seven_to_one(
        xvfb, tmp_path, choice):
    report = _probe(tmp_path, choice, 1, "xcb", xvfb, program="tests.app.ui.colours_probe")
    assert report["platform"] == "xcb"
    shot = np.asarray(Image.open(tmp_path / f"{choice}-main.png").convert("RGB"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    Image.fromarray(shot).save(ARTIFACTS / f"{choice}-main.png")
    ratio = report["ratio"]
    assert shot.shape[:2] == (round(report["frame"][3] * ratio), round(report["frame"][2] * ratio))
    background = np.array(QColor(BACKGROUND[choice]).getRgb()[:3])
    share = np.all(shot == background, axis=2).mean()
    assert share >= MIN_BACKGROUND_SHARE, f"only {share:.0%} of the window is {BACKGROUND[choice]}"
    x, y, w, h = (round(v * ratio) for v in report["description"])
    text_area = shot[y:y + h, x:x + w].reshape(-1, 3)
    assert np.all(text_area[-1] == background), "the description's background is not the chosen colour"
    ink = text_area[np.any(text_area != background, axis=1)]
    strong = _contrast(ink, QColor(BACKGROUND[choice])) >= 7.0
    assert strong.sum() >= MIN_TEXT_PIXELS, f"only {strong.sum()} pixels of the description read at 7:1"
    colours, counts = np.unique(ink, axis=0, return_counts=True)
    assert "#%02x%02x%02x" % tuple(colours[counts.argmax()]) == TEXT_COLOUR[choice]  # the glyphs' solid cores
