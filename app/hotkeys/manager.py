"""HotkeyManager: the one object the app talks to about global shortcuts (GUI thread only).

It reads and validates the user's combinations, registers the valid ones with the platform
backend, keeps one RegistrationResult per action (every result carries a plain message the
app can show and announce), and re-emits key presses as `activated(action_id)` on the GUI
thread. Backends call in from their own threads through _Bridge's queued signals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Mapping

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal

from app.hotkeys import settings as hotkey_settings
from app.hotkeys.actions import ACTION_IDS, action
from app.hotkeys.backend import HotkeyBackend, Outcome, Status, UnsupportedBackend
from app.hotkeys.combo import ComboError, KeyCombo, parse
from app.hotkeys.texts import (busy_message, no_answer_message, off_message, ok_message, pending_message,
                               stopped_message)
from app.hotkeys.validation import validate_bindings

# Presses of one shortcut closer together than this count once: a bouncing key or an
# accidental double press must not restart a description twice. Deliberate presses are
# slower than this, and each one restarts the action.
DEBOUNCE_INTERVAL_S = 0.25


@dataclass(frozen=True)
class RegistrationResult:
    action_id: str
    status: Status
    keys: str  # portable text of the combination, "" when there is none
    message: str  # plain, translated; ready to show and announce
    caution: str = ""  # for one that works: what the user should know (a character it keeps from being typed)

    @property
    def is_ok(self) -> bool:
        return self.status is Status.OK

    @property
    def is_problem(self) -> bool:
        return self.status in (Status.BUSY, Status.UNSUPPORTED, Status.INVALID)


class _Bridge(QObject):
    """Lives on the GUI thread; backends emit these from their own threads (queued)."""
    activated = Signal(str)
    outcomes = Signal(object)  # (outcomes, the bindings they are about)
    failed = Signal(str)


class HotkeyManager(QObject):
    activated = Signal(str)  # action id; on the GUI thread; never for auto-repeat
    results_changed = Signal(object)  # dict[str, RegistrationResult], after every change
    failed = Signal(str)  # the backend stopped working; plain message to show and announce

    def __init__(self, backend: HotkeyBackend | None = None, parent: QObject | None = None, *,
                 debounce_s: float = DEBOUNCE_INTERVAL_S, clock: Callable[[], float] = time.monotonic):
        super().__init__(parent)
        if backend is None:
            from app.hotkeys.factory import choose_backend
            backend = choose_backend()
        self._backend = backend
        self.backend_name = backend.name
        self.unsupported_reason: str | None = None  # why global shortcuts cannot work here, if so
        self._debounce_s, self._clock = debounce_s, clock
        self._last_fired: dict[str, float] = {}
        self._combos: dict[str, KeyCombo] = {}
        self._results: dict[str, RegistrationResult] = {}
        self._is_started = self._is_closed = False
        self._settings = None
        self._reapply = QTimer(self)  # one settings page change writes several keys: apply once
        self._reapply.setSingleShot(True)
        self._reapply.setInterval(0)
        self._reapply.timeout.connect(lambda: self.apply_settings(self._settings))
        self._bridge = _Bridge(self)
        self._bridge.activated.connect(self._on_activated, Qt.ConnectionType.QueuedConnection)
        self._bridge.outcomes.connect(self._on_outcomes, Qt.ConnectionType.QueuedConnection)
        self._bridge.failed.connect(self._on_failed, Qt.ConnectionType.QueuedConnection)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def results(self) -> dict[str, RegistrationResult]:
        return dict(self._results)

    def problems(self) -> list[str]:
        """Messages of the shortcuts that do not work, or work with a caution, in action order."""
        return [r.message for r in self._results.values() if r.is_problem or r.caution]

    def apply(self, bindings: Mapping[str, str | KeyCombo | None]) -> dict[str, RegistrationResult]:
        """Make exactly these shortcuts active: action id -> combination text, KeyCombo, or None (off).

        Actions left out are turned off. Earlier registrations are released first.
        """
        for action_id in bindings:
            action(action_id)  # KeyError for an unknown id
        self._ensure_started()
        results: dict[str, RegistrationResult] = {}
        combos: dict[str, KeyCombo] = {}
        for action_id in ACTION_IDS:
            value = bindings.get(action_id)
            label = action(action_id).tr_label()
            if value is None or (isinstance(value, str) and not value.strip()):
                results[action_id] = RegistrationResult(action_id, Status.OFF, "", off_message(label))
                continue
            try:
                combos[action_id] = parse(value) if isinstance(value, str) else value
            except ComboError as error:
                results[action_id] = RegistrationResult(action_id, Status.INVALID, str(value), error.message)
        for action_id, problem in validate_bindings(combos).items():
            results[action_id] = RegistrationResult(action_id, Status.INVALID, combos.pop(action_id).to_text(), problem)
        self._combos = combos
        if self._is_closed:
            outcomes = {action_id: Outcome(Status.UNSUPPORTED, stopped_message()) for action_id in combos}
        else:
            outcomes = self._backend.register(combos)
        for action_id, combo in combos.items():
            outcome = outcomes.get(action_id) or Outcome(Status.UNSUPPORTED, no_answer_message())
            results[action_id] = self._result(action_id, combo, outcome)
        self._results = {action_id: results[action_id] for action_id in ACTION_IDS}
        self.results_changed.emit(self.results())
        return self.results()

    def apply_settings(self, settings) -> dict[str, RegistrationResult]:
        return self.apply(hotkey_settings.read_bindings(settings))

    def follow_settings(self, settings) -> dict[str, RegistrationResult]:
        """Apply the stored shortcuts now and again whenever one of them changes."""
        self._settings = settings
        settings.changed.connect(self._on_setting_changed)
        return self.apply_settings(settings)

    def shutdown(self) -> None:
        """Release every shortcut and stop the backend; safe to call twice."""
        if self._is_closed:
            return
        self._is_closed = True
        self._backend.close()

    # --- internals ------------------------------------------------------------------------
    def _ensure_started(self) -> None:
        if self._is_started or self._is_closed:
            return
        self._is_started = True
        bridge = self._bridge  # emitted from the back end's thread; app/platform/pyside_workarounds.py covers emit
        problem = self._backend.start(lambda action_id: bridge.activated.emit(action_id),
                                      lambda outcomes, bindings: bridge.outcomes.emit((outcomes, dict(bindings))),
                                      lambda message: bridge.failed.emit(message))
        if problem is not None:
            self._backend.close()
            self.unsupported_reason = problem
            self._backend = UnsupportedBackend(problem)

    def _result(self, action_id: str, combo: KeyCombo, outcome: Outcome) -> RegistrationResult:
        label, keys = action(action_id).tr_label(), combo.spoken()
        if outcome.status is Status.OK:  # with what the user should know of it, if anything
            message = " ".join(filter(None, (ok_message(keys, label), outcome.detail)))
            return RegistrationResult(action_id, outcome.status, combo.to_text(), message, outcome.detail)
        elif outcome.status is Status.BUSY:
            message = busy_message(keys, label)
        elif outcome.status is Status.PENDING:
            message = outcome.detail or pending_message(keys, label)
        else:
            message = outcome.detail or no_answer_message()  # a backend must explain; never empty
        return RegistrationResult(action_id, outcome.status, combo.to_text(), message)

    def _on_activated(self, action_id: str) -> None:
        result = self._results.get(action_id)
        if self._is_closed or result is None or not result.is_ok:
            return  # a press that raced a change of settings: that shortcut is no longer ours
        now = self._clock()
        if now - self._last_fired.get(action_id, float("-inf")) < self._debounce_s:
            return
        self._last_fired[action_id] = now
        self.activated.emit(action_id)

    def _on_outcomes(self, answer: tuple[dict, dict]) -> None:
        outcomes, bindings = answer
        if bindings != self._combos:
            return  # about shortcuts that apply() has replaced since
        for action_id, outcome in outcomes.items():
            if action_id in self._combos:
                self._results[action_id] = self._result(action_id, self._combos[action_id], outcome)
        self.results_changed.emit(self.results())

    def _on_failed(self, message: str) -> None:
        self._results = {action_id: RegistrationResult(action_id, Status.UNSUPPORTED, r.keys, message)
                         if r.status in (Status.OK, Status.PENDING) else r
                         for action_id, r in self._results.items()}
        self.results_changed.emit(self.results())
        self.failed.emit(message)

    def _on_setting_changed(self, key: str) -> None:
        if hotkey_settings.is_hotkey_key(key) and not self._is_closed:
            self._reapply.start()
