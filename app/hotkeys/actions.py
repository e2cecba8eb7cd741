"""The actions a global shortcut can trigger, with their default combinations: the rows of
app/commands.py's table that have a global shortcut (why these defaults: see there)."""

from __future__ import annotations

from dataclasses import dataclass

from app.commands import COMMANDS
from app.hotkeys.texts import tr

@dataclass(frozen=True)
class HotkeyAction:
    id: str
    label: str  # marked for translation; shown through tr_label()
    description: str
    default_keys: str  # portable text, see app.hotkeys.combo
    cli_args: tuple[str, ...] = ()  # `main.py` arguments that do the same from a desktop shortcut

    def tr_label(self) -> str:
        return tr(self.label)

    def tr_description(self) -> str:
        return tr(self.description)


ACTIONS: tuple[HotkeyAction, ...] = tuple(
    HotkeyAction(c.hotkey.id, c.hotkey.label, c.hotkey.description, c.hotkey.default_keys,
                 c.forwarded.cli_args if c.forwarded else ())
    for c in COMMANDS if c.hotkey)

ACTIONS_BY_ID: dict[str, HotkeyAction] = {action.id: action for action in ACTIONS}
ACTION_IDS: tuple[str, ...] = tuple(ACTIONS_BY_ID)


def action(action_id: str) -> HotkeyAction:
    """The declared action; KeyError names an unknown id (a programming error)."""
    try:
        return ACTIONS_BY_ID[action_id]
    except KeyError:
        raise KeyError(f"unknown hotkey action {action_id!r}; known: {', '.join(ACTION_IDS)}") from None


def default_bindings() -> dict[str, str]:
    return {a.id: a.default_keys for a in ACTIONS}
