"""The shortcut settings, declared once: two per action.

- `hotkeys/<action id>/enabled` (bool, default on): off means no shortcut at all;
- `hotkeys/<action id>/keys` (str, the action's default combination in portable text):
  kept while the shortcut is off, so turning it on again restores the user's choice.
HOTKEY_SETTINGS is meant to be added to app.storage.settings.ALL_SETTINGS by whoever owns that list.
A stored combination that cannot be read is not replaced silently: HotkeyManager reports it
as INVALID with the reason, and the settings page can offer the default.
"""

from __future__ import annotations

from app.hotkeys.actions import ACTIONS, HotkeyAction, action
from app.storage.settings import Setting, Settings

GROUP = "hotkeys"


def _enabled_setting(item: HotkeyAction) -> Setting:
    return Setting(f"{GROUP}/{item.id}/enabled", bool, True, item.label, item.description)


def _keys_setting(item: HotkeyAction) -> Setting:
    return Setting(f"{GROUP}/{item.id}/keys", str, item.default_keys, item.label, item.description)


ENABLED: dict[str, Setting] = {item.id: _enabled_setting(item) for item in ACTIONS}
KEYS: dict[str, Setting] = {item.id: _keys_setting(item) for item in ACTIONS}
HOTKEY_SETTINGS: tuple[Setting, ...] = tuple(s for item in ACTIONS for s in (ENABLED[item.id], KEYS[item.id]))


def is_hotkey_key(key: str) -> bool:
    """True for a settings key this module declares (to re-apply shortcuts on `changed`)."""
    return key.startswith(GROUP + "/")


def read_bindings(settings: Settings) -> dict[str, str | None]:
    """Action id -> stored combination text, or None when the shortcut is turned off."""
    return {item.id: settings.get(KEYS[item.id]) if settings.get(ENABLED[item.id]) else None
            for item in ACTIONS}


def write_binding(settings: Settings, action_id: str, keys: str | None) -> None:
    """Store one shortcut: None turns it off and keeps the last combination."""
    action(action_id)  # unknown ids are a programming error
    if keys is None:
        settings.set(ENABLED[action_id], False)
        return
    settings.set(KEYS[action_id], keys)
    settings.set(ENABLED[action_id], True)
