"""A keyboard-only walk: Tab reaches every control in a sensible order, nothing traps the focus, and
each control has the accessible name and description a screen reader reads (via QAccessible)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

from app.ui.camera_dialog import CameraDialog
from app.ui.settings_dialog import SettingsDialog

MAX_STOPS = 60  # far more than any of our windows has: reaching it means a trap


def _name(widget: QWidget) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name) if interface is not None else ""


def _walk(qtbot, start: QWidget, key=Qt.Key.Key_Tab, modifier=Qt.KeyboardModifier.NoModifier) -> list[QWidget]:
    """Press Tab (or Shift+Tab) from `start` until the focus comes back; the widgets on the way."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is start)
    stops = [start]
    for _ in range(MAX_STOPS):
        qtbot.keyClick(QApplication.focusWidget(), key, modifier)
        current = QApplication.focusWidget()
        if current is start:
            return stops
        assert current is not None and current not in stops, f"focus is stuck or looping at {current}"
        stops.append(current)
    raise AssertionError("Tab never came back to the start: a keyboard trap")


def _check_names(widgets: list[QWidget]) -> None:
    for widget in widgets:
        assert _name(widget).strip(), f"{widget.objectName() or widget} has no accessible name"


def _show(window, qtbot) -> None:
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def test_every_main_window_control_is_reached_in_reading_order_and_named(make_app, model_dir, qtbot):
    application = make_app()
    application.start()
    _show(application.window, qtbot)
    page = application.page
    first = page.buttons[0]
    forward = _walk(qtbot, first)
    expected = [*page.buttons, page.detail_combo, page.description, page.question, page.ask_button,
                page.history, application.window.status_label]
    assert forward == expected
    _check_names(forward)
    for widget in (*page.buttons, page.detail_combo, page.description, page.question, page.ask_button,
                   page.history):
        assert widget.accessibleDescription(), f"{widget.objectName()} has no accessible description"
    backward = _walk(qtbot, first, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert backward == [first, *reversed(expected[1:])]


def test_the_read_only_description_lets_tab_out_and_is_selectable_by_keyboard(make_app, qtbot):
    application = make_app()
    _show(application.window, qtbot)
    view = application.page.description
    application.page.set_text("A dog on a red sofa.")
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert view.textCursor().selectedText() == "A dog on a red sofa."
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is application.page.question


def test_shortcuts_jump_to_the_question_the_history_and_the_description(make_app, qtbot):
    application = make_app()
    _show(application.window, qtbot)
    page = application.page
    for keys, target in (("Ctrl+L", page.question), ("Ctrl+H", page.history), ("Ctrl+D", page.description)):
        sequence = QKeySequence(keys)[0]
        qtbot.keyClick(QApplication.focusWidget() or application.window, sequence.key(), sequence.keyboardModifiers())
        assert QApplication.focusWidget() is target, keys


def test_every_action_is_in_a_menu_with_a_mnemonic_and_the_main_ones_have_shortcuts(make_app):
    application = make_app()
    menus = application.window.menuBar().actions()
    assert all("&" in menu.text() for menu in menus)
    in_menus = set()
    pending = [m.menu() for m in menus]
    while pending:
        menu = pending.pop()
        for action in menu.actions():
            if action.menu() is not None:
                pending.append(action.menu())
            elif not action.isSeparator():
                in_menus.add(action.objectName())
    a = application.actions
    assert {x.objectName() for x in a.all() if x is not a.show_window} <= in_menus
    for action in (a.describe_screen, a.describe_window, a.describe_clipboard, a.open_image, a.camera, a.stop,
                   a.copy, a.settings, a.quit, a.describe_again, a.ask):
        assert action.shortcuts(), action.objectName()
    all_keys = [s.toString() for x in a.all() for s in x.shortcuts()]
    assert len(all_keys) == len(set(all_keys)), "two actions share a shortcut"


def test_the_setup_page_is_walkable_and_its_texts_can_be_read(make_app, qtbot):
    application = make_app()
    application.start()  # no model: the setup page
    _show(application.window, qtbot)
    page = application.window.first_run
    stops = _walk(qtbot, page.message)
    assert stops == [page.message, page.instructions, page.choose_button, page.convert_button,
                     application.window.status_label]
    _check_names(stops)
    for label, kind in ((page.message, "Problem"), (page.instructions, "Instructions"),
                        (application.window.status_label, "Status")):  # read as their text, not as the kind
        interface = QAccessible.queryAccessibleInterface(label)
        assert label.text().strip() and interface.text(QAccessible.Text.Name) == label.text(), kind
        assert interface.text(QAccessible.Text.Description) == kind


def test_the_settings_dialog_is_walkable_named_and_closes_with_escape(make_app, qtbot):
    application = make_app()
    _show(application.window, qtbot)
    application.actions.settings.trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog) and w.isVisible())
    qtbot.waitUntil(dialog.isActiveWindow)
    first = dialog.focusWidget() or dialog.nextInFocusChain()
    stops = _walk(qtbot, first)
    _check_names(stops)
    assert len(stops) >= 10  # eight settings, Browse, OK, Cancel
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_the_camera_dialog_is_walkable_and_named(qtbot):
    dialog = CameraDialog(devices=[])
    qtbot.addWidget(dialog)
    _show(dialog, qtbot)
    dialog.start()
    stops = _walk(qtbot, dialog.device_combo)
    _check_names(stops)
    assert dialog.message in stops and dialog.close_button in stops
