"""User-visible text of the hotkey package, in one place, through Qt's translation function.

Every failure the user may meet has a message here written to be read aloud: what
happened, in plain words, and what to do about it.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from resources import APP_NAME

CONTEXT = "Hotkeys"


def tr(text: str) -> str:
    return QCoreApplication.translate(CONTEXT, text)


def tr_app(text: str, **values: str) -> str:
    """Translated, with the app's name in place of {app} (and `values` in theirs)."""
    return tr(text).format(app=APP_NAME, **values)


def ok_message(keys: str, action: str) -> str:
    return tr("{keys}: {action}.").format(keys=keys, action=action)


def off_message(action: str) -> str:
    return tr("{action}: no shortcut (turned off).").format(action=action)


def busy_message(keys: str, action: str) -> str:
    return tr("{keys} is already used by another program, so it cannot be the shortcut for \"{action}\". "
              "Choose another combination in the shortcut settings, or close the other program and "
              "turn the shortcut on again.").format(keys=keys, action=action)


def pending_message(keys: str, action: str) -> str:
    return tr("{keys} for {action} is waiting for your desktop to confirm it.").format(keys=keys, action=action)


def unmappable_key_message(keys: str) -> str:
    return tr("{keys} cannot be used on this keyboard: its last key was not found in the keyboard "
              "layout. Choose a combination with a letter or a function key.").format(keys=keys)


def altgr_message(keys: str, character: str) -> str:
    return tr("On your keyboard layout Ctrl+Alt works as AltGr, and {keys} also types {character}: while this "
              "shortcut is on, {character} cannot be typed in any program. If you need it, choose another "
              "combination, for example with a function key.").format(keys=keys, character=character)


def mac_option_message(keys: str, character: str) -> str:
    return tr("On your keyboard layout {keys} types {character}: while this shortcut is on, {character} "
              "cannot be typed in any program. If you need it, choose another combination, for example "
              "with Command.").format(keys=keys, character=character)


def no_answer_message() -> str:
    return tr_app("The shortcut service did not answer in time, so global shortcuts may not work. "
                  "Restart {app}; if this happens again, use the buttons in its window.")


def stopped_message() -> str:
    return tr_app("Global shortcuts are stopped because {app} is closing.")


def connection_lost_message() -> str:
    return tr_app("Global shortcuts stopped working because the connection to the desktop was lost. "
                  "Restart {app} to get them back.")


def unexpected_failure_message(detail: str) -> str:
    return tr_app("Global shortcuts stopped working because of an unexpected error ({detail}). "
                  "Restart {app}; the buttons in its window still work.", detail=detail)


def mac_permission_message() -> str:
    return tr_app("{app} needs your permission to notice its shortcut keys while you "
                  "work in other apps. Open System Settings, choose Privacy and Security, then "
                  "Accessibility, and turn on {app}. If you started it from Terminal, "
                  "turn on Terminal instead. Then quit {app} and open it again. Until "
                  "then, use the buttons in its window.")


def mac_permission_pending_message() -> str:
    return tr_app("{app} needs your permission to notice its shortcut keys while you "
                  "work in other apps. macOS has asked you in a window: choose Open System Settings, then "
                  "under Privacy and Security, Accessibility, turn on {app} (if you started "
                  "it from Terminal, turn on Terminal). The shortcuts start working as soon as you do; "
                  "until then, use the buttons in its window.")


def no_session_message() -> str:
    return tr("No graphical desktop session was found (neither Wayland nor X11), so global shortcuts "
              "cannot work. Use the buttons in the app window instead.")


def missing_library_message(library: str) -> str:
    return tr_app("Global shortcuts need the {library} library, which could not be loaded. "
                  "Reinstall {app} to get it back.", library=library)


def display_connect_message(display: str) -> str:
    return tr("Global shortcuts could not connect to the display {display}. "
              "Use the buttons in the app window instead.").format(display=display)
