"""app/commands.py: the one command table, and the three views derived from it agreeing with it."""

from __future__ import annotations

import argparse

from app.commands import BY_HOTKEY, COMMANDS, OPTIONS, forwarded_command
from app.hotkeys.actions import ACTIONS
from app.launch.instance import validate
from app.launch.launcher import add_arguments, request_from


def _request(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return request_from(parser.parse_args(argv))


def test_ids_are_unique():
    assert len({c.id for c in COMMANDS}) == len(COMMANDS)
    assert len(BY_HOTKEY) == len([c for c in COMMANDS if c.hotkey])


def test_each_global_shortcuts_command_line_forwards_that_very_command():
    with_command_line = [a for a in ACTIONS if a.cli_args]
    assert {a.id for a in with_command_line} == {"describe_screen", "describe_window", "describe_clipboard",
                                                   "read_screen", "stop"}
    for hotkey in with_command_line:
        request = _request(list(hotkey.cli_args))
        assert validate(request) is None
        assert forwarded_command(request) is BY_HOTKEY[hotkey.id]


def test_every_option_of_main_py_makes_a_valid_request(tmp_path):
    image = tmp_path / "a.png"
    for forwarded in OPTIONS:
        argv = [forwarded.option] + ([str(image)] if forwarded.has_path else
                                     [forwarded.sources[0]] if forwarded.sources else [])
        request = _request(argv)
        assert request["command"] == forwarded.name and validate(request) is None
    assert _request([]) == {"command": "show"} and forwarded_command({"command": "show"}).id == "show_window"


def test_requests_outside_the_table_are_refused():
    assert validate({"command": "describe", "source": "printer"}) == "unknown source"
    assert validate({"command": "describe-file"}) == "missing path"
    assert validate({"command": ["stop"]}) == "unknown command"
    assert validate({"command": "reboot"}) == "unknown command"


def test_read_text_is_forwarded_for_every_capture_source_and_a_file(tmp_path):
    for source in ("screen", "window", "clipboard"):
        request = _request(["--read", source])
        assert request == {"command": "read", "source": source} and validate(request) is None
        assert forwarded_command(request).id == f"read_{source}"
    request = _request(["--read-file", str(tmp_path / "a.png")])
    assert validate(request) is None and forwarded_command(request).id == "read_file"
    assert validate({"command": "read", "source": "camera"}) == "unknown source"
    assert validate({"command": "read-file"}) == "missing path"


def test_read_text_has_a_global_shortcut_that_is_free_and_valid():
    from app.hotkeys.combo import parse
    from app.hotkeys.validation import validate as validate_keys

    hotkey = BY_HOTKEY["read_screen"].hotkey
    assert hotkey.default_keys == "Ctrl+Alt+Shift+T"  # not R: GNOME's screencast
    others = [c.hotkey.default_keys for c in COMMANDS if c.hotkey and c.hotkey is not hotkey]
    assert hotkey.default_keys not in others
    for platform in ("linux", "win32", "darwin"):
        assert validate_keys(parse(hotkey.default_keys, platform), platform) is None
