"""The shared start, register and failure handling of thread-owned back ends (app/hotkeys/owned_thread.py).

Driven through the Windows back end with the Win32 API MOCKED (FakeWin32 from test_windows.py: user32
cannot exist on Linux); the thread, the command queue and the failure reporting run for real. What the
user reads names the kind of error, never the exception's own text (which goes to the log).
"""

from __future__ import annotations

import logging

from app.hotkeys import HotkeyManager, Status, default_bindings
from app.hotkeys.windows import WindowsBackend
from tests.app.hotkeys.test_windows import FakeWin32

RAW_TEXT = "0x7ffe1234 internal state dump"  # what an exception's own words may look like
SIGNAL_TIMEOUT_MS = 2000


class FailingRegisterWin32(FakeWin32):
    def register_hotkey(self, hotkey_id: int, modifiers: int, vk: int) -> int:
        raise RuntimeError(RAW_TEXT)


class FailingLoopWin32(FakeWin32):
    def get_message(self):
        message = super().get_message()
        if message[0] == FAIL_NOW:
            raise ValueError(RAW_TEXT)
        return message


FAIL_NOW = 0x9999


def test_a_failed_registration_names_the_error_kind_not_its_text(qapp, caplog):
    manager = HotkeyManager(WindowsBackend(api_factory=FailingRegisterWin32), debounce_s=0.0)
    try:
        with caplog.at_level(logging.ERROR):
            results = manager.apply(default_bindings())
        assert {result.status for result in results.values()} == {Status.UNSUPPORTED}
        for result in results.values():
            assert "RuntimeError" in result.message and RAW_TEXT not in result.message
        assert RAW_TEXT in caplog.text  # the details are kept for whoever reads the log
    finally:
        manager.shutdown()


def test_a_failing_thread_is_reported_once_without_the_exception_text(qapp, qtbot, caplog):
    fake = FailingLoopWin32()
    manager = HotkeyManager(WindowsBackend(api_factory=lambda: fake), debounce_s=0.0)
    try:
        manager.apply(default_bindings())
        with caplog.at_level(logging.ERROR), qtbot.waitSignal(manager.failed, timeout=SIGNAL_TIMEOUT_MS) as blocker:
            fake.messages.put((FAIL_NOW, 0))
        message = blocker.args[0]
        assert "ValueError" in message and RAW_TEXT not in message
        assert RAW_TEXT in caplog.text
    finally:
        manager.shutdown()


def test_a_missing_library_is_named_without_the_loader_text(qapp):
    def no_user32():
        raise OSError(f"user32.dll: {RAW_TEXT}")

    manager = HotkeyManager(WindowsBackend(api_factory=no_user32), debounce_s=0.0)
    try:
        results = manager.apply(default_bindings())
        assert {result.status for result in results.values()} == {Status.UNSUPPORTED}
        assert "user32" in manager.unsupported_reason and RAW_TEXT not in manager.unsupported_reason
    finally:
        manager.shutdown()
