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
import warnings
from concurrent.futures import Future

from Xlib import X, display as xdisplay, error as xerror

from app.hotkeys.backend import Outcome, Status
from app.hotkeys.combo import KeyCombo
from app.hotkeys.owned_thread import QueuedBackend
from app.hotkeys.repeat import RepeatFilter
from app.hotkeys.texts import display_connect_message, unexpected_failure_message, unmappable_key_message
from app.hotkeys.worker import OwnerGone
from app.hotkeys.x11_keyboard import Layout, enable_detectable_autorepeat, keycode_for

log = logging.getLogger(__name__)


class X11Backend(QueuedBackend):
    name = "x11"
    thread_name = "hotkeys-x11"
    lost_errors = (OwnerGone, xerror.ConnectionClosedError)

    def __init__(self, display_name: str | None = None, *, use_detectable_autorepeat: bool = True):
        super().__init__()
        self.display_name = display_name if display_name is not None else os.environ.get("DISPLAY", "")
        self._use_detectable = use_detectable_autorepeat
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

    # --- the owning thread ----------------------------------------------------------------
    def _run(self, ready: Future) -> None:
        self._display, problem = _open_display(self.display_name or None)
        if self._display is None:
            log.warning("X display %r: %s", self.display_name, problem)  # python-xlib's words, for the log
            self._cannot_start(ready, display_connect_message(self.display_name or "(none)"))
            return
        self._display.set_error_handler(self._log_x_error)
        self._serve(ready, lambda: self._start_and_loop(ready), self._shutdown_display)

    def _start_and_loop(self, ready: Future) -> None:
        self._roots = [self._display.screen(i).root for i in range(self._display.screen_count())]
        self._layout = Layout.read(self._display)
        self.detectable_autorepeat = self._use_detectable and enable_detectable_autorepeat(self._display)
        ready.set_result(None)
        self._loop()

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

    def _register_owned(self, bindings: dict[str, KeyCombo]) -> dict[str, Outcome]:
        return self._grab_all(bindings)

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
        return Outcome(Status.UNSUPPORTED, unexpected_failure_message(type(failure).__name__))

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
