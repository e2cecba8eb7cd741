"""The actions a global shortcut can trigger, with their default combinations.

Defaults use Control + Alt + Shift and a letter (Command + Option + Shift on macOS):
- never Insert or Caps Lock (the NVDA, JAWS and Orca keys) nor the Windows/Super key;
- not Control + Alt + letter alone, which many screen readers and Windows keyboard layouts
  use (AltGr is Control + Alt on Windows, so Ctrl+Alt+letter types characters there);
- not Ctrl+Alt+Shift+R: GNOME records a screencast with it (GNOME Settings, Keyboard
  Shortcuts, Screenshots).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.hotkeys.texts import noop, tr

DESCRIBE_SCREEN = "describe_screen"
DESCRIBE_WINDOW = "describe_window"
DESCRIBE_CLIPBOARD = "describe_clipboard"
STOP = "stop"
REPEAT_LAST = "repeat_last"
ASK_FOLLOWUP = "ask_followup"


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


ACTIONS: tuple[HotkeyAction, ...] = (
    HotkeyAction(DESCRIBE_SCREEN, noop("Describe the screen"),
                 noop("Describes everything on the screen."), "Ctrl+Alt+Shift+D", ("--describe", "screen")),
    HotkeyAction(DESCRIBE_WINDOW, noop("Describe the active window"),
                 noop("Describes the window you are working in."), "Ctrl+Alt+Shift+W", ("--describe", "window")),
    HotkeyAction(DESCRIBE_CLIPBOARD, noop("Describe the clipboard"),
                 noop("Describes the image you copied."), "Ctrl+Alt+Shift+C", ("--describe", "clipboard")),
    HotkeyAction(STOP, noop("Stop"),
                 noop("Stops the description being written and silences speech."), "Ctrl+Alt+Shift+S", ("--stop",)),
    HotkeyAction(REPEAT_LAST, noop("Repeat the last description"),
                 noop("Reads the last description again."), "Ctrl+Alt+Shift+L"),
    HotkeyAction(ASK_FOLLOWUP, noop("Ask a follow-up question"),
                 noop("Opens the question box to ask about the last picture."), "Ctrl+Alt+Shift+A"),
)

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
