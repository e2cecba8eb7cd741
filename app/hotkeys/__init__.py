"""Global shortcuts: press a key combination in any application, and the app acts.

Public API (everything else in this package is internal):

    from app.hotkeys import HotkeyManager, ACTIONS, Status

    manager = HotkeyManager(parent=window)        # picks the backend for this platform/session
    manager.activated.connect(window.on_hotkey)   # activated(action_id: str), on the GUI thread
    manager.results_changed.connect(window.show_shortcut_status)  # dict[str, RegistrationResult]
    manager.failed.connect(window.announce)       # failed(message: str): shortcuts stopped working
    results = manager.follow_settings(settings)   # register from app.storage.settings.Settings, and again
                                                  # whenever a hotkeys/* setting changes
    for message in manager.problems():            # plain messages to show and announce
        window.announce(message)
    manager.shutdown()                            # ungrab; also done on QCoreApplication.aboutToQuit

Actions: the rows of app/commands.py's table that have a global shortcut, with their ids and
default combinations (Ctrl is Command on macOS, as everywhere in Qt). `stop` means: cancel generation and silence speech. `ask_followup` brings up the question box.
Each press emits once (auto-repeat never repeats it); presses of one shortcut closer than
DEBOUNCE_INTERVAL_S count once; every other press should restart the action cleanly.
The backends never activate, raise or focus a window: the window must not either when it
handles `activated` (announce, do not activate).

HotkeyManager.apply({action_id: "Ctrl+Alt+Shift+D" | KeyCombo | None}) registers exactly
those (None or missing = off) and returns {action_id: RegistrationResult(action_id, status,
keys, message)}. Status is one of OK, BUSY (another program has that combination; the
message names it in plain words), UNSUPPORTED (global shortcuts cannot work here; the message
says what to do instead), INVALID (refused by validation; the message says why), OFF, and
PENDING (waiting for the Wayland portal; results_changed brings the answer). Every status has
a message ready to show and announce. manager.unsupported_reason says why no shortcut can
work on this system, if that is the case.

Combinations: parse(text) -> KeyCombo (raises ComboError with .message), KeyCombo.to_text()
("Ctrl+Alt+Shift+D", portable, stored in settings), KeyCombo.spoken() ("Control + Alt +
Shift + D"), KeyCombo.from_qt(QKeySequenceEdit().keySequence()[0]), validate(combo) -> message
or None, validate_bindings({id: combo}) -> {id: message}. Refused: Insert and Caps Lock
(screen-reader keys), the Windows/Super key, VoiceOver's Control+Option on macOS, no Control
or Alt, keys with no code on this platform, a few system combinations, duplicates.

Settings (app/hotkeys/settings.py): HOTKEY_SETTINGS (add to app.storage.settings.ALL_SETTINGS):
hotkeys/<id>/enabled and hotkeys/<id>/keys; read_bindings(settings), write_binding(settings,
id, text or None).

Where apps cannot grab keys (Wayland without the GlobalShortcuts portal),
desktop_shortcut_instructions() is the text for the settings page: bind
`python main.py --describe screen|window|clipboard` and `--stop` in the desktop's settings.

Backends (app/hotkeys/factory.py chooses), each on a thread that owns its native connection
(owned_thread.py): X11 (x11.py, XGrabKey), Windows (windows.py, RegisterHotKey), macOS
(macos.py, Quartz event tap), Wayland portal (portal.py),
UnsupportedBackend, and NullBackend (VISIONPANGU_HOTKEYS=null; grabs nothing, and
NullBackend.trigger(action_id) simulates a press in tests of the rest of the app).
"""

from app.hotkeys.actions import ACTION_IDS, ACTIONS, HotkeyAction, action, default_bindings
from app.hotkeys.backend import HotkeyBackend, NullBackend, Outcome, Status, UnsupportedBackend
from app.hotkeys.combo import ComboError, KeyCombo, Mod, parse
from app.hotkeys.factory import HOTKEYS_ENV, choose_backend, session_kind
from app.hotkeys.instructions import command_lines, desktop_shortcut_instructions
from app.hotkeys.manager import DEBOUNCE_INTERVAL_S, HotkeyManager, RegistrationResult
from app.hotkeys.validation import validate, validate_bindings

__all__ = [
    "ACTIONS", "ACTION_IDS", "ComboError", "DEBOUNCE_INTERVAL_S", "HOTKEYS_ENV", "HotkeyAction",
    "HotkeyBackend", "HotkeyManager", "KeyCombo", "Mod", "NullBackend", "Outcome", "RegistrationResult",
    "Status", "UnsupportedBackend", "action", "choose_backend", "command_lines", "default_bindings",
    "desktop_shortcut_instructions", "parse", "session_kind", "validate", "validate_bindings",
]
