"""Keyboard and screen-reader details of the main window (issue 18): nothing reaches into a hidden page,
mnemonics do not clash, F10 opens the menus, every part has a name, and the tree reads in order."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QToolButton


def _show(window, qtbot) -> None:
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def _press(qtbot, keys: str) -> None:
    combination = QKeySequence(keys)[0]
    target = QApplication.focusWidget() or QApplication.activeWindow()
    qtbot.keyClick(target, combination.key(), combination.keyboardModifiers())


def test_on_the_setup_page_the_shortcuts_cannot_move_the_focus_into_the_hidden_main_page(make_app, qtbot):
    application = make_app()
    application.start()  # no model: the setup page
    window = application.window
    _show(window, qtbot)
    assert window.is_setup_shown()
    start = window.first_run.choose_button
    start.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is start)
    for keys in ("Ctrl+D", "Ctrl+L", "Ctrl+H"):
        _press(qtbot, keys)
        focused = QApplication.focusWidget()
        assert focused is start and focused.isVisible(), f"{keys} moved the focus to {focused}"
    application.on_hotkey("ask_followup")  # the global "ask" key: the window shows, the focus stays visible
    assert QApplication.focusWidget().isVisible()
    assert not any(action.isEnabled() for action in application.actions.into_main_page())
    window.show_main()
    _press(qtbot, "Ctrl+L")
    assert QApplication.focusWidget() is application.page.question


def _mnemonic(text: str) -> str | None:
    found = re.search(r"&([^&])", text.replace("&&", ""))
    return found.group(1).lower() if found else None


def test_no_two_mnemonics_of_the_main_window_or_of_one_menu_clash(make_app, qtbot):
    application = make_app()
    _show(application.window, qtbot)
    window, page = application.window, application.page
    letters = [_mnemonic(action.text()) for action in window.menuBar().actions()]
    letters += [_mnemonic(button.text()) for button in window.findChildren(QToolButton) if button.isVisible()]
    # (tool buttons show their action's icon text, which has no mnemonic: Qt strips the "&")
    letters += [_mnemonic(label.text()) for label in window.findChildren(QLabel) if label.buddy() is not None]
    letters += [_mnemonic(page.ask_button.text())]
    letters = [letter for letter in letters if letter]
    assert len(letters) >= 9  # four menus, four labels, Ask
    assert len(letters) == len(set(letters)), sorted(letters)
    for menu in window.findChildren(QMenu):
        in_menu = [_mnemonic(action.text()) for action in menu.actions() if not action.isSeparator()]
        assert len(in_menu) == len(set(in_menu)), (menu.title(), in_menu)


def test_f10_opens_the_first_menu(make_app, qtbot):
    application = make_app()
    _show(application.window, qtbot)
    application.page.description.setFocus()
    qtbot.keyClick(application.page.description, Qt.Key.Key_F10)
    qtbot.waitUntil(lambda: QApplication.activePopupWidget() is not None)
    assert QApplication.activePopupWidget().title() == "&Describe"
    qtbot.keyClick(QApplication.activePopupWidget(), Qt.Key.Key_Escape)


def _tree(interface):
    """Every accessible object under `interface`, in the order a screen reader meets them."""
    yield interface
    for index in range(interface.childCount()):
        child = interface.child(index)
        if child is not None and child.isValid():
            yield from _tree(child)


def test_every_part_of_the_main_page_has_a_name_and_the_description_comes_before_the_history(make_app, qtbot):
    application = make_app()
    _show(application.window, qtbot)
    page = application.page
    page.question.setText("a question")  # the clear button shows only with text
    nodes = list(_tree(QAccessible.queryAccessibleInterface(page)))
    named_roles = (QAccessible.Role.Button, QAccessible.Role.Grip, QAccessible.Role.EditableText,
                   QAccessible.Role.List, QAccessible.Role.ComboBox)
    for node in nodes:
        if node.role() in named_roles and not node.state().invisible:  # (a closed combo box's list is)
            assert node.text(QAccessible.Text.Name).strip(), f"an unnamed {node.role()} ({node.object()})"
    clear = next(node for node in nodes if node.text(QAccessible.Text.Name) == "Clear the question")
    assert not clear.state().invisible and clear.role() == QAccessible.Role.Button
    grips = [node for node in nodes if node.role() == QAccessible.Role.Grip]
    assert len(grips) == 2
    order = [node.object() for node in nodes]
    assert order.index(page.description) < order.index(page.question) < order.index(page.history)


def _history_item_state(page, row: int):
    view = QAccessible.queryAccessibleInterface(page.history)
    item = next(view.child(i) for i in range(view.childCount())
                if view.child(i).text(QAccessible.Text.Name) == page.history.item(row).text())
    return item.state()


def test_a_history_item_is_focused_only_while_the_list_has_the_focus(make_app, qtbot):
    from app.storage.history import HistoryEntry
    from tests.app.helpers import noise

    application = make_app()
    _show(application.window, qtbot)
    page = application.page
    for name in ("first.png", "second.png"):
        application.history.add(HistoryEntry(name, noise(), "A description."))
    page.history.setFocus()
    qtbot.keyClick(page.history, Qt.Key.Key_End)
    assert page.history.currentRow() == 1 and _history_item_state(page, 1).focused
    page.question.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.question)
    assert not any(_history_item_state(page, row).focused for row in (0, 1))
    page.history.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.history)
    assert page.history.currentRow() == 1 and _history_item_state(page, 1).focused  # back where the user was


def test_the_menu_bar_key_and_the_window_shortcuts_are_documented_in_the_same_words(make_app):
    from app.ui.main_window import MENU_BAR_KEY
    from app.ui.shortcuts_help import window_lines

    application = make_app()
    lines = window_lines(application.actions, MENU_BAR_KEY)
    assert lines[0] == "F10: Open the menu bar"
    with_keys = [action for action in application.actions.all() if action.shortcuts()]
    assert len(lines) == len(with_keys) + 1

