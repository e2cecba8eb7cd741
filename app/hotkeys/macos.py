"""macOS backend: a Quartz event tap on a thread that runs its own CFRunLoop.

- An active event tap (kCGEventTapOptionDefault) sees every key press in the session and
  can drop the ones that are our shortcuts, so the focused app never gets them. macOS
  allows this only to apps the user has trusted under Privacy and Security, Accessibility
  (Apple, CGEventTapCreate and AXIsProcessTrustedWithOptions). So the backend asks with
  the prompt option, which shows macOS's dialog and adds the app to that list; until the
  user turns it on, every shortcut is PENDING with plain words on how to allow it, and the
  thread checks again every TRUST_POLL_S and creates the tap as soon as it is allowed.
- Auto-repeat key-downs carry kCGKeyboardEventAutorepeat and are dropped without firing.
- macOS offers no way to learn whether another app uses the same keys, so there is no BUSY.
- A failing callback must never eat the keyboard: on any error the event is passed on.
- Keyboard layouts: a key code is a key's position, so a letter or punctuation key is the one that
  types that character on the current layout (on QWERTZ, Z is kVK_ANSI_Y's key), refreshed when
  the user selects another layout (mac_layout.py; on the main thread, where macOS requires it).
  A shortcut with Option but neither Command nor Control is a typing combination (Option+L types
  "@" on German): the outcome says which character it keeps from being typed.
QuartzApi is the only code that touches CoreGraphics/CoreFoundation, CarbonKeyboard the only one
that touches Carbon; the tests replace them.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Callable, Mapping

from app.hotkeys.backend import Outcome, Status
from app.hotkeys.combo import KeyCombo, Mod
from app.hotkeys.keymap import KEYS, NO_MAC_KEY, KeyInfo, layout_character
from app.hotkeys.owned_thread import JOIN_TIMEOUT_S, OwnedThreadBackend
from app.hotkeys.texts import (mac_option_message, mac_permission_pending_message, missing_library_message,
                               unmappable_key_message)

log = logging.getLogger(__name__)

# CGEventFlags (CGEventTypes.h). Qt's Ctrl is Command and Qt's Meta is Control on macOS.
FLAG_SHIFT, FLAG_CONTROL, FLAG_OPTION, FLAG_COMMAND = 0x20000, 0x40000, 0x80000, 0x100000
MODIFIER_FLAGS = FLAG_SHIFT | FLAG_CONTROL | FLAG_OPTION | FLAG_COMMAND
RUN_SLICE_S = 0.5  # the run loop returns this often to notice close()
TRUST_POLL_S = 1.0  # how often the Accessibility permission is checked again while it is missing
CARBON_SHIFT, CARBON_OPTION = 0x0200, 0x0800  # HIToolbox/Events.h shiftKey, optionKey (for UCKeyTranslate)


def mac_flags(combo: KeyCombo) -> int:
    flags = 0
    for mod, flag in ((Mod.CTRL, FLAG_COMMAND), (Mod.META, FLAG_CONTROL), (Mod.ALT, FLAG_OPTION),
                      (Mod.SHIFT, FLAG_SHIFT)):
        if combo.modifiers & mod:
            flags |= flag
    return flags


def layout_keycode(info: KeyInfo, characters: dict[str, int] | None) -> int | None:
    """The key code of a shortcut's key; None if there is none on this layout.

    `characters` is the current layout's table (character -> key code), or None when macOS gave no
    Unicode layout data: then the key positions of keymap.py (right on US and ABC layouts) are used.
    """
    character = layout_character(info)
    if character is not None and characters is not None:
        return characters.get(character)
    return None if info.mac_keycode == NO_MAC_KEY else info.mac_keycode


def _option_character(keyboard, keycode: int, combo: KeyCombo) -> str:
    """The character Option(+Shift)+key types, when the shortcut is that typing combination; else "".

    With Command or Control held a key types no text (it is a command), so only Option(+Shift) counts.
    """
    if not combo.modifiers & Mod.ALT or combo.modifiers & (Mod.CTRL | Mod.META):
        return ""
    typed = keyboard.typed_character(keycode, CARBON_OPTION | (CARBON_SHIFT if combo.modifiers & Mod.SHIFT else 0))
    return typed if typed.isprintable() and not typed.isspace() else ""


class KeyTable:
    """Which (keycode, flags) are ours; decides per key event. Shared by GUI and tap threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._actions: dict[tuple[int, int], str] = {}
        self._swallowed_downs: set[int] = set()  # their key-ups are dropped too

    def set(self, bindings: Mapping[str, KeyCombo], keyboard=None) -> dict[str, Outcome]:
        """Make these the table's shortcuts, keyed as `keyboard` types them (None: the key positions)."""
        characters = keyboard.characters() if keyboard is not None else None
        table, outcomes = {}, {}
        for action_id, combo in bindings.items():
            info = KEYS.get(combo.key)
            keycode = None if info is None else layout_keycode(info, characters)
            if keycode is None:
                outcomes[action_id] = Outcome(Status.UNSUPPORTED, unmappable_key_message(combo.spoken("darwin")))
                continue
            table[(keycode, mac_flags(combo))] = action_id
            typed = _option_character(keyboard, keycode, combo) if characters is not None else ""
            outcomes[action_id] = Outcome(Status.OK, mac_option_message(combo.spoken("darwin"), typed) if typed else "")
        with self._lock:
            self._actions = table
        return outcomes

    def on_key(self, is_down: bool, keycode: int, flags: int, is_repeat: bool) -> tuple[str | None, bool]:
        """(action to fire or None, whether to drop the event)."""
        with self._lock:
            if not is_down:
                if keycode in self._swallowed_downs:
                    self._swallowed_downs.discard(keycode)
                    return None, True
                return None, False
            action_id = self._actions.get((keycode, flags & MODIFIER_FLAGS))
            if action_id is None:
                return None, False
            self._swallowed_downs.add(keycode)
            return (None if is_repeat else action_id), True


class MacBackend(OwnedThreadBackend):
    """The tap's thread owns the run loop; register() only changes the table the tap reads."""

    name = "macos"
    thread_name = "hotkeys-quartz"

    def __init__(self, api_factory: Callable[[], object] | None = None, trust_poll_s: float = TRUST_POLL_S,
                 keyboard_factory: Callable[[], object] | None = None):
        super().__init__()
        self._api_factory = api_factory or _quartz_api
        self._keyboard_factory = keyboard_factory or _carbon_keyboard
        self._trust_poll_s = trust_poll_s
        self._table = KeyTable()
        self._api = None
        self._keyboard = None  # CarbonKeyboard: created, called and closed on the main (GUI) thread only
        self._has_keyboard = False
        self._lock = threading.Lock()
        self._bindings: dict[str, KeyCombo] = {}
        self._outcomes: dict[str, Outcome] = {}  # of _bindings, worked out on the main thread
        self._has_tap = False
        self._closing = threading.Event()

    def register(self, bindings: Mapping[str, KeyCombo]) -> dict[str, Outcome]:
        """On the GUI thread, which is macOS's main thread: the only one where the layout may be read."""
        outcomes = self._table.set(bindings, self._main_thread_keyboard())  # plain data read by the tap
        with self._lock:
            self._bindings, self._outcomes = dict(bindings), outcomes
            if self._has_tap:
                return outcomes
        return {action_id: Outcome(Status.PENDING, mac_permission_pending_message())
                if outcome.status is Status.OK else outcome for action_id, outcome in outcomes.items()}

    def close(self) -> None:
        if self._thread is None:
            return
        self._closing.set()
        if self._api is not None:
            self._api.stop()
        self._thread.join(JOIN_TIMEOUT_S)
        self._thread = None
        self._table.set({})
        if self._keyboard is not None:
            self._keyboard.close()
            self._keyboard = None

    def _main_thread_keyboard(self):
        """The layout reader, made on first use; None without Carbon (then: the key positions)."""
        if not self._has_keyboard:
            self._has_keyboard = True
            try:
                self._keyboard = self._keyboard_factory()
            except (OSError, AttributeError) as error:
                log.warning("Carbon could not be loaded, shortcut keys are US key positions: %s", error)
                return None
            self._keyboard.watch(self._on_layout_changed)
        return self._keyboard

    def _on_layout_changed(self) -> None:
        """The user selected another keyboard layout (on the main thread): the shortcuts follow it."""
        if self._closing.is_set():
            return
        with self._lock:
            bindings = dict(self._bindings)
        self._on_outcomes(self.register(bindings), bindings)

    def _on_key(self, is_down: bool, keycode: int, flags: int, is_repeat: bool) -> bool:
        action_id, drop = self._table.on_key(is_down, keycode, flags, is_repeat)
        if action_id is not None:
            self._on_activated(action_id)
        return drop

    def _run(self, ready: Future) -> None:
        try:
            api = self._api_factory()
        except (OSError, AttributeError) as error:
            log.warning("CoreGraphics could not be loaded: %s", error)
            ready.set_result(missing_library_message("CoreGraphics"))
            return
        if not api.is_trusted(should_prompt=True):  # macOS shows its dialog; shortcuts are pending
            ready.set_result(None)
            while not api.is_trusted():
                if self._closing.wait(self._trust_poll_s):
                    return
            ready = None  # allowed now: the answer goes through on_outcomes / on_failed
        problem = api.create_tap(self._on_key)
        if problem is not None:
            self._report(ready, problem)
            return
        self._api = api
        with self._lock:
            self._has_tap = True
            bindings, outcomes = dict(self._bindings), dict(self._outcomes)
        if ready is not None:
            ready.set_result(None)
        elif bindings:  # the table is already set: no layout call here, off the main thread
            self._on_outcomes(outcomes, bindings)
        if self._closing.is_set():
            api.stop()  # close() came before self._api was set
        try:
            api.run(RUN_SLICE_S)
        except Exception as error:
            self._thread_failed(None, error)


def _quartz_api():
    from app.hotkeys.macos_quartz import QuartzApi

    return QuartzApi()


def _carbon_keyboard():
    from app.hotkeys.mac_layout import CarbonKeyboard

    return CarbonKeyboard()
