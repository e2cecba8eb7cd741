"""macOS backend: a Quartz event tap on a thread that runs its own CFRunLoop.

- An active event tap (kCGEventTapOptionDefault) sees every key press in the session and
  can drop the ones that are our shortcuts, so the focused app never gets them. macOS
  allows this only to apps the user has trusted under Privacy and Security, Accessibility
  (Apple, CGEventTapCreate and AXIsProcessTrusted): without it the tap cannot be created,
  and the user is told in plain words how to allow it.
- Auto-repeat key-downs carry kCGKeyboardEventAutorepeat and are dropped without firing.
- macOS offers no way to learn whether another app uses the same keys, so there is no BUSY.
- A failing callback must never eat the keyboard: on any error the event is passed on.
QuartzApi is the only code that touches CoreGraphics/CoreFoundation; the tests replace it.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, TimeoutError as FutureTimeout
from typing import Callable, Mapping

from app.hotkeys.backend import HotkeyBackend, Outcome, Status
from app.hotkeys.combo import KeyCombo, Mod
from app.hotkeys.keymap import KEYS, NO_MAC_KEY
from app.hotkeys.texts import (mac_permission_message, missing_library_message, no_answer_message,
                               unexpected_failure_message, unmappable_key_message)

log = logging.getLogger(__name__)

# CGEventFlags (CGEventTypes.h). Qt's Ctrl is Command and Qt's Meta is Control on macOS.
FLAG_SHIFT, FLAG_CONTROL, FLAG_OPTION, FLAG_COMMAND = 0x20000, 0x40000, 0x80000, 0x100000
MODIFIER_FLAGS = FLAG_SHIFT | FLAG_CONTROL | FLAG_OPTION | FLAG_COMMAND
START_TIMEOUT_S = JOIN_TIMEOUT_S = 5.0
RUN_SLICE_S = 0.5  # the run loop returns this often to notice close()


def mac_flags(combo: KeyCombo) -> int:
    flags = 0
    for mod, flag in ((Mod.CTRL, FLAG_COMMAND), (Mod.META, FLAG_CONTROL), (Mod.ALT, FLAG_OPTION),
                      (Mod.SHIFT, FLAG_SHIFT)):
        if combo.modifiers & mod:
            flags |= flag
    return flags


class KeyTable:
    """Which (keycode, flags) are ours; decides per key event. Shared by GUI and tap threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._actions: dict[tuple[int, int], str] = {}
        self._swallowed_downs: set[int] = set()  # their key-ups are dropped too

    def set(self, bindings: Mapping[str, KeyCombo]) -> dict[str, Outcome]:
        table, outcomes = {}, {}
        for action_id, combo in bindings.items():
            info = KEYS.get(combo.key)
            if info is None or info.mac_keycode == NO_MAC_KEY:
                outcomes[action_id] = Outcome(Status.UNSUPPORTED, unmappable_key_message(combo.spoken("darwin")))
                continue
            table[(info.mac_keycode, mac_flags(combo))] = action_id
            outcomes[action_id] = Outcome(Status.OK)
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


class MacBackend(HotkeyBackend):
    name = "macos"

    def __init__(self, api_factory: Callable[[], object] | None = None):
        self._api_factory = api_factory or _quartz_api
        self._table = KeyTable()
        self._thread: threading.Thread | None = None
        self._api = None

    def start(self, on_activated, on_outcomes, on_failed) -> str | None:
        self._on_activated, self._on_failed = on_activated, on_failed
        ready: Future = Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="hotkeys-quartz", daemon=True)
        self._thread.start()
        try:
            return ready.result(timeout=START_TIMEOUT_S)
        except FutureTimeout:
            return no_answer_message()

    def register(self, bindings: Mapping[str, KeyCombo]) -> dict[str, Outcome]:
        return self._table.set(bindings)  # plain data read by the tap: no native call needed

    def close(self) -> None:
        if self._thread is None:
            return
        if self._api is not None:
            self._api.stop()
        self._thread.join(JOIN_TIMEOUT_S)
        self._thread = None
        self._table.set({})

    def _on_key(self, is_down: bool, keycode: int, flags: int, is_repeat: bool) -> bool:
        action_id, drop = self._table.on_key(is_down, keycode, flags, is_repeat)
        if action_id is not None:
            self._on_activated(action_id)
        return drop

    def _run(self, ready: Future) -> None:
        try:
            api = self._api_factory()
        except (OSError, AttributeError) as error:
            ready.set_result(missing_library_message("CoreGraphics", str(error)))
            return
        if not api.is_trusted():
            ready.set_result(mac_permission_message())
            return
        problem = api.create_tap(self._on_key)
        if problem is not None:
            ready.set_result(problem)
            return
        self._api = api
        ready.set_result(None)
        try:
            api.run(RUN_SLICE_S)
        except Exception as error:  # reported to the user, never swallowed
            log.exception("macOS hotkey thread failed")
            self._on_failed(unexpected_failure_message(repr(error)))


def _quartz_api():
    from app.hotkeys.macos_quartz import QuartzApi

    return QuartzApi()
