"""The interface every platform backend implements, and the two that grab nothing.

A backend is created and driven from the GUI thread through HotkeyManager; it does its
native work on a thread of its own and reports through three callbacks that may be called
from that thread (the manager moves them to the GUI thread):
- on_activated(action_id): a shortcut was pressed (never for auto-repeat);
- on_outcomes({action_id: Outcome}, bindings): registrations of `bindings` (the mapping
  given to register()) changed after the fact (a portal answered, the layout changed);
  the manager ignores answers about bindings it has since replaced;
- on_failed(message): the backend stopped working; the message is plain and translated.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Mapping

from app.hotkeys.combo import KeyCombo

OnActivated = Callable[[str], None]
OnOutcomes = Callable[[dict, dict], None]
OnFailed = Callable[[str], None]


class Status(str, Enum):
    OK = "ok"  # registered: pressing it works
    BUSY = "busy"  # another program already has this combination
    UNSUPPORTED = "unsupported"  # global shortcuts cannot work here; the message says what to do
    INVALID = "invalid"  # refused by validation; the message says why
    OFF = "off"  # turned off by the user
    PENDING = "pending"  # waiting for the desktop (Wayland portal) to answer


@dataclass(frozen=True)
class Outcome:
    """A backend's answer for one binding; `detail` is plain text: why, for UNSUPPORTED; for OK, what the
    user should know of it (a character the shortcut keeps from being typed), or nothing."""
    status: Status
    detail: str = ""


class HotkeyBackend(ABC):
    name = "base"

    @abstractmethod
    def start(self, on_activated: OnActivated, on_outcomes: OnOutcomes, on_failed: OnFailed) -> str | None:
        """Begin; None when ready, else a plain message why global shortcuts cannot work here."""

    @abstractmethod
    def register(self, bindings: Mapping[str, KeyCombo]) -> dict[str, Outcome]:
        """Make exactly these bindings active, replacing (ungrabbing) all earlier ones.

        Every id in `bindings` gets an Outcome. The combinations are already validated.
        """

    @abstractmethod
    def close(self) -> None:
        """Release every registration and stop; safe to call twice."""


class UnsupportedBackend(HotkeyBackend):
    """Where global shortcuts cannot work: every binding is UNSUPPORTED with one explanation."""

    name = "unsupported"

    def __init__(self, message: str):
        self.message = message

    def start(self, on_activated, on_outcomes, on_failed) -> str | None:
        return self.message

    def register(self, bindings):
        return {action_id: Outcome(Status.UNSUPPORTED, self.message) for action_id in bindings}

    def close(self) -> None:
        pass


class NullBackend(HotkeyBackend):
    """Grabs nothing and accepts everything; `trigger()` stands in for a key press.

    Selected by VISIONPANGU_HOTKEYS=null so that tests of the rest of the app never grab
    keys on the developer's desktop (the real back ends are tested on their own). trigger() may be called from any thread,
    like a real backend's key events.
    """

    name = "null"

    def __init__(self):
        self._lock = threading.Lock()
        self._on_activated: OnActivated | None = None
        self.bindings: dict[str, KeyCombo] = {}

    def start(self, on_activated, on_outcomes, on_failed) -> str | None:
        self._on_activated = on_activated
        return None

    def register(self, bindings):
        with self._lock:
            self.bindings = dict(bindings)
        return {action_id: Outcome(Status.OK) for action_id in bindings}

    def trigger(self, action_id: str) -> bool:
        """Act as if the shortcut for action_id was pressed; False if it is not registered."""
        with self._lock:
            registered = action_id in self.bindings
        if registered and self._on_activated is not None:
            self._on_activated(action_id)
        return registered

    def close(self) -> None:
        with self._lock:
            self.bindings = {}
