"""What to do where the app cannot set global shortcuts itself: bind commands in the desktop.

On Wayland an app cannot see keys pressed in other apps; without the desktop's
GlobalShortcuts portal, the user binds `main.py --describe screen` and the like in the
desktop's own keyboard settings. That launch hands the command to the running app
(app/launch/instance.py) and exits at once.
"""

from __future__ import annotations

from app.hotkeys.actions import ACTIONS, HotkeyAction
from app.hotkeys.texts import tr
from engine import invocation


def launch_command(item: HotkeyAction) -> str:
    """The command line that does `item` from a desktop shortcut ("" if there is none)."""
    return invocation.shell_line(*item.cli_args) if item.cli_args else ""


def command_lines() -> list[tuple[str, str]]:
    """(action label, command line) for every action a desktop shortcut can start."""
    return [(item.tr_label(), launch_command(item)) for item in ACTIONS if item.cli_args]


def desktop_shortcut_instructions() -> str:
    """Step-by-step text for the settings page and for the unsupported message."""
    steps = tr("To use shortcuts anyway, open your desktop's keyboard shortcut settings (in GNOME: "
               "Settings, Keyboard, View and Customize Shortcuts, Custom Shortcuts; in KDE Plasma: "
               "System Settings, Keyboard, Shortcuts, Add New, Command or Script). Add one custom "
               "shortcut for each command below and choose its keys there. Avoid Insert, Caps Lock "
               "and the Super key, which your screen reader or desktop may use.")
    commands = "\n".join(tr("{action}: {command}").format(action=label, command=command)
                         for label, command in command_lines())
    rest = tr("Repeating the last description and asking a follow-up question are in the app window.")
    return f"{steps}\n{commands}\n{rest}"


def wayland_unsupported_message() -> str:
    return tr("Your desktop uses Wayland, where apps cannot notice keys pressed in other apps, and it "
              "does not offer the global shortcuts service (the GlobalShortcuts desktop portal). "
              ) + desktop_shortcut_instructions()


def portal_refused_message(detail: str) -> str:
    return tr("Your desktop's global shortcuts service refused the shortcuts ({detail}). "
              ).format(detail=detail) + desktop_shortcut_instructions()


def portal_not_bound_message(action_label: str) -> str:
    return tr("Your desktop did not set up the shortcut for \"{action}\". ").format(
        action=action_label) + desktop_shortcut_instructions()
