"""Reading, writing and validating key combinations."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QKeyCombination, Qt

from app.hotkeys import ACTIONS, ComboError, KeyCombo, Mod, default_bindings, parse, validate, validate_bindings

SCREEN_READER_REFUSAL = "screen readers such as NVDA, JAWS and Orca"
SUPER_REFUSAL = "The Windows key"


@pytest.mark.parametrize("text", ["Ctrl+Alt+Shift+D", "ctrl+alt+shift+d", " Ctrl+Alt+Shift+D "])
def test_parse_and_format(text):
    combo = parse(text)
    assert combo == KeyCombo(Mod.CTRL | Mod.ALT | Mod.SHIFT, ord("D"))
    assert combo.to_text() == "Ctrl+Alt+Shift+D"
    assert parse(combo.to_text()) == combo


def test_plain_words_for_messages():
    assert parse("Ctrl+Alt+Shift+D").spoken("linux") == "Control + Alt + Shift + D"
    assert parse("Ctrl+Alt+PgUp").spoken("win32") == "Control + Alt + Page Up"
    assert parse("Ctrl+Alt+Shift+D").spoken("darwin") == "Command + Option + Shift + D"


def test_from_a_key_sequence_edit():
    captured = QKeyCombination(Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier, Qt.Key.Key_F5)
    combo = KeyCombo.from_qt(captured)
    assert combo.to_text() == "Ctrl+Alt+F5" and combo.to_qt() == captured


@pytest.mark.parametrize("text", ["", "   ", "garbage words", "Ctrl+Alt+D, Ctrl+Alt+E"])
def test_unreadable_text_is_explained(text):
    with pytest.raises(ComboError) as raised:
        parse(text)
    assert "Ctrl+Alt+Shift+D" in raised.value.message  # says how to write one


@pytest.mark.parametrize("text", ["Insert+D", "NVDA+D", "CapsLock+Shift+D", "Ctrl+Insert", "Ctrl+Alt+CapsLock"])
def test_screen_reader_keys_are_refused(text):
    try:
        problem = validate(parse(text), "linux")
    except ComboError as error:
        problem = error.message
    assert SCREEN_READER_REFUSAL in problem


@pytest.mark.parametrize("text", ["Win+D", "Super+Alt+S", "Meta+D", "Ctrl+Meta+D"])
@pytest.mark.parametrize("platform", ["linux", "win32"])
def test_windows_and_super_key_are_refused(text, platform):
    try:
        problem = validate(parse(text, platform), platform)
    except ComboError as error:
        problem = error.message
    assert SUPER_REFUSAL in problem


def test_voiceover_keys_are_refused_on_macos():
    problem = validate(KeyCombo(Mod.META | Mod.ALT, ord("D")), "darwin")
    assert "VoiceOver" in problem
    assert validate(KeyCombo(Mod.META | Mod.SHIFT, ord("D")), "darwin") is None  # Control+Shift is fine


@pytest.mark.parametrize("text, words", [
    ("Shift+D", "needs Control or Alt"),
    ("D", "needs Control or Alt"),
    ("Ctrl+Alt", "has no main key"),
    ("Ctrl+Alt+Shift+!", "cannot be a global shortcut"),
    ("Ctrl+Alt+Delete", "security screen"),
    ("Alt+Tab", "switches between windows"),
    ("Ctrl+Alt+N", "NVDA"),
    ("Ctrl+Alt+F2", "text console"),
])
def test_other_refusals_say_why(text, words):
    problem = validate(parse(text), "linux")
    assert problem is not None and words in problem


def test_defaults_are_valid_everywhere_and_distinct():
    for platform in ("linux", "win32", "darwin"):
        combos = {a.id: parse(a.default_keys) for a in ACTIONS}
        assert validate_bindings(combos, platform) == {}, platform
    assert len(set(default_bindings().values())) == len(ACTIONS)
    for action in ACTIONS:
        combo = parse(action.default_keys)
        assert combo.modifiers == Mod.CTRL | Mod.ALT | Mod.SHIFT  # no Win/Super, no screen-reader key


def test_one_combination_for_two_actions_is_refused_for_the_second():
    combo = parse("Ctrl+Alt+Shift+D")
    problems = validate_bindings({"describe_screen": combo, "describe_window": combo, "stop": None})
    assert list(problems) == ["describe_window"]
    assert 'already the shortcut for "Describe the screen"' in problems["describe_window"]


@pytest.mark.parametrize("text", ["Ctrl+Alt+F12", "Ctrl+Shift+F12", "Alt+F12"])
def test_f12_is_refused_on_windows_only(text):
    assert "debuggers" in validate(parse(text), "win32")
    assert validate(parse(text), "darwin") is None
