"""X11 backend: XGrabKey on the root window, from a thread that owns its own display connection.

- Each combination is grabbed once per Caps/Num/Scroll Lock state, because X compares a
  grab's modifiers exactly (Xlib manual, XGrabKey): without the variants the shortcut
  would silently stop working whenever Num Lock is on.
- A combination another client has grabbed makes the server answer BadAccess (XGrabKey:
  "BadAccess ... if some other client has already issued an XGrabKey with the same key
  combination"). Errors arrive asynchronously, so every grab is followed by a round trip
  (XSync) with a per-request error catcher: the answer is known before register() returns.
- Grabbing a key never changes the input focus or raises a window: the event is delivered
  to this client only while the key is held, and no window of ours is ever mapped.
- Auto-repeat: detectable auto-repeat is requested (x11_keyboard) and RepeatFilter drops
  repeats in either form.
"""

from __future__ import annotations

import gc
import logging
import os
import select
import threading
import warnings
from concurrent.futures import Future, TimeoutError as FutureTimeout
from typing import Mapping

from Xlib import X, display as xdisplay, error as xerror

from app.hotkeys.backend import HotkeyBackend, Outcome, Status
from app.hotkeys.combo import KeyCombo
from app.hotkeys.repeat import RepeatFilter
from app.hotkeys.texts import (connection_lost_message, display_connect_message, no_answer_message,
                               unexpected_failure_message, unmappable_key_message)
from app.hotkeys.worker import CommandQueue, OwnerGone
from app.hotkeys.x11_keyboard import Layout, enable_detectable_autorepeat, keycode_for

log = logging.getLogger(__name__)

START_TIMEOUT_S = 5.0  # connecting to a local X server takes milliseconds
COMMAND_TIMEOUT_S = 5.0
JOIN_TIMEOUT_S = 5.0


class X11Backend(HotkeyBackend):
    name = "x11"

    def __init__(self, display_name: str | None = None, *, use_detectable_autorepeat: bool = True):
        self.display_name = display_name if display_name is not None else os.environ.get("DISPLAY", "")
        self._use_detectable = use_detectable_autorepeat
        self._commands = CommandQueue()
        self._thread: threading.Thread | None = None
        self._stopping = False
        # Owned by the thread (read elsewhere only as plain values, for diagnostics and tests):
        self.detectable_autorepeat = False
        self._repeat = RepeatFilter()
        self._bindings: dict[str, KeyCombo] = {}
        self._grabs: dict[tuple[int, int], str] = {}  # (keycode, modifier mask) -> action id
        self._keyed: set[tuple[int, int | None]] = set()  # what every binding meant at the last grab
        self._layout: Layout | None = None

    @property
    def repeats(self) -> RepeatFilter:
        """The auto-repeat filter, for its counters (diagnostics and tests)."""
        return self._repeat

    # --- called from the GUI thread -------------------------------------------------------
    def start(self, on_activated, on_outcomes, on_failed) -> str | None:
        self._on_activated, self._on_outcomes, self._on_failed = on_activated, on_outcomes, on_failed
        ready: Future = Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="hotkeys-x11", daemon=True)
        self._thread.start()
        try:
            return ready.result(timeout=START_TIMEOUT_S)
        except FutureTimeout:
            return no_answer_message()

    def register(self, bindings: Mapping[str, KeyCombo]) -> dict[str, Outcome]:
        wanted = dict(bindings)
        try:
            return self._commands.submit(lambda: self._grab_all(wanted)).result(timeout=COMMAND_TIMEOUT_S)
        except FutureTimeout:
            message = no_answer_message()
        except (OwnerGone, xerror.ConnectionClosedError):
            message = connection_lost_message()
        except Exception as error:  # a bug of ours: said to the user, not raised into the GUI
            log.exception("X11 hotkey registration failed")
            message = unexpected_failure_message(repr(error))
        return {action_id: Outcome(Status.UNSUPPORTED, message) for action_id in wanted}

    def close(self) -> None:
        if self._thread is None:
            return
        self._commands.submit(self._request_stop)
        self._thread.join(JOIN_TIMEOUT_S)
        self._thread = None

    # --- the owning thread ----------------------------------------------------------------
    def _request_stop(self) -> None:
        self._stopping = True

    def _run(self, ready: Future) -> None:
        self._display, problem = _open_display(self.display_name or None)
        if self._display is None:
            self._commands.close()
            ready.set_result(display_connect_message(self.display_name or "(none)", problem))
            return
        self._display.set_error_handler(self._log_x_error)
        try:
            self._roots = [self._display.screen(i).root for i in range(self._display.screen_count())]
            self._layout = Layout.read(self._display)
            self.detectable_autorepeat = self._use_detectable and enable_detectable_autorepeat(self._display)
            ready.set_result(None)
            self._loop()
        except xerror.ConnectionClosedError:
            if not ready.done():
                ready.set_result(connection_lost_message())
            elif not self._stopping:
                self._on_failed(connection_lost_message())
        except Exception as error:  # reported to the user, never swallowed
            log.exception("X11 hotkey thread failed")
            if not ready.done():
                ready.set_result(unexpected_failure_message(repr(error)))
            else:
                self._on_failed(unexpected_failure_message(repr(error)))
        finally:
            self._commands.close()
            self._shutdown_display()

    def _loop(self) -> None:
        display_fd, wake_fd = self._display.fileno(), self._commands.fileno()
        while not self._stopping:
            while self._display.pending_events():
                self._handle(self._display.next_event())
            readable, _, _ = select.select([display_fd, wake_fd], [], [])
            if wake_fd in readable:
                self._commands.run_pending()

    def _handle(self, event) -> None:
        if event.type == X.KeyPress:
            is_new = self._repeat.press(event.detail, event.time)
            action_id = self._grabs.get((event.detail, self._layout.clean(event.state)))
            if action_id is not None and is_new:
                self._on_activated(action_id)
        elif event.type == X.KeyRelease:
            self._repeat.release(event.detail, event.time)
        elif event.type == X.MappingNotify:
            self._display.refresh_keyboard_mapping(event)
            self._on_mapping_changed()

    def _on_mapping_changed(self) -> None:
        """The layout or modifier map changed (setxkbmap, xmodmap): grab again if keys moved."""
        layout = Layout.read(self._display)
        if layout == self._layout and self._keys_of(self._bindings, layout) == self._keyed:
            return  # nothing we grab moved (xdotool, for one, sends MappingNotify as it starts)
        self._layout = layout
        bindings = self._bindings
        self._on_outcomes(self._grab_all(bindings), bindings)

    def _keys_of(self, bindings: dict[str, KeyCombo], layout: Layout) -> set[tuple[int, int | None]]:
        return {(keycode_for(self._display, combo), layout.mask(combo)) for combo in bindings.values()}

    def _grab_all(self, bindings: dict[str, KeyCombo]) -> dict[str, Outcome]:
        self._ungrab_all()
        self._bindings = bindings
        self._keyed = self._keys_of(bindings, self._layout)
        outcomes = {action_id: self._grab(action_id, combo) for action_id, combo in bindings.items()}
        self._repeat.reset()  # releases of keys held across the change may never come
        return outcomes

    def _grab(self, action_id: str, combo: KeyCombo) -> Outcome:
        keycode, mask = keycode_for(self._display, combo), self._layout.mask(combo)
        if keycode == 0 or mask is None:
            return Outcome(Status.UNSUPPORTED, unmappable_key_message(combo.spoken()))
        catcher = xerror.CatchError()  # every error of these requests, not only BadAccess
        self._each_variant(keycode, mask, lambda root, mods: root.grab_key(
            keycode, mods, False, X.GrabModeAsync, X.GrabModeAsync, onerror=catcher))
        self._display.sync()  # the round trip that makes a BadAccess arrive now
        failure = catcher.get_error()
        if failure is None:
            self._grabs[(keycode, mask)] = action_id
            return Outcome(Status.OK)
        # A grab on some lock variants only would work on some days and not others: undo it.
        self._each_variant(keycode, mask, lambda root, mods: root.ungrab_key(keycode, mods))
        self._display.sync()
        if isinstance(failure, xerror.BadAccess):
            return Outcome(Status.BUSY)
        log.warning("XGrabKey %s failed: %s", combo, failure)
        return Outcome(Status.UNSUPPORTED, unexpected_failure_message(str(failure)))

    def _ungrab_all(self) -> None:
        for keycode, mask in self._grabs:
            self._each_variant(keycode, mask, lambda root, mods, k=keycode: root.ungrab_key(k, mods))
        self._grabs = {}
        self._display.sync()

    def _each_variant(self, keycode: int, mask: int, request) -> None:
        for root in self._roots:
            for variant in self._layout.lock_variants():
                request(root, mask | variant)

    def _shutdown_display(self) -> None:
        try:
            self._ungrab_all()
            self._display.close()
        except Exception:  # the server is gone already: nothing is grabbed any more
            log.debug("closing the X display failed", exc_info=True)

    @staticmethod
    def _log_x_error(error, request) -> None:
        log.warning("X error outside a grab: %s", error)


def _open_display(name: str | None):
    """(display, None), or (None, why not)."""
    # python-xlib 0.33 leaves the sockets of a failed attempt open, referenced from the
    # exception's frames: they are closed when it is dropped, quietly, rather than warn later.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return xdisplay.Display(name), None
        except Exception as error:  # DisplayNameError, DisplayConnectionError, OSError: all "cannot connect"
            problem = str(error)
        gc.collect()
    return None, problem
