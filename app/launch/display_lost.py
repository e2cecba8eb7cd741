"""The display going away (a session ending without a session monitor, the X server or compositor gone) ends the app in order, with exit code 0.

Qt ends the process itself when its display connection breaks, never returning to the event
loop, so neither aboutToQuit nor any of the app's own quit would run:
- xcb: "The X11 connection broke (error N). Did the X11 server die?", then exit(1)
  (qtbase src/plugins/platforms/xcb/qxcbconnection.cpp, QXcbConnection::processXcbEvents),
  and "The X11 connection broke: ... (code N)" from its Xlib I/O error handler, which then
  calls Xlib's _XDefaultIOError, which exits (same file, ioErrorHandler);
- Wayland: "The Wayland connection broke. Did the Wayland compositor die?", then _exit(-1)
  (qtwayland src/client/qwaylanddisplay.cpp, QWaylandDisplay::checkWaylandError), unless
  QT_WAYLAND_RECONNECT is set, when it reconnects instead; and "The Wayland connection broke
  during blocking read event", then _exit(-1) (qwaylandshmbackingstore.cpp).
Each is printed with qWarning first, which calls the installed message handler on the thread
that warns (the GUI thread, whose event dispatch reads the display). The handler here passes
every message on to the handler installed before it (or prints it as Qt's own would), and
for these runs the quit steps that need no display (the engine worker and the text reader
ended, history and settings written) and ends the process with 0 itself, before Qt's exit.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Callable

from PySide6.QtCore import QMessageLogContext, QtMsgType, qFormatLogMessage, qInstallMessageHandler

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED = 0, 1
X11_LOST = "The X11 connection broke"
WAYLAND_LOST = "The Wayland connection broke"
WAYLAND_RECONNECTING = "The Wayland connection broke. Did"  # the one warning QT_WAYLAND_RECONNECT recovers from
RECONNECT_ENV = "QT_WAYLAND_RECONNECT"


def is_display_lost(message: str) -> bool:
    """True for Qt's warnings that the display connection broke and the process is about to be ended."""
    if message.startswith(WAYLAND_RECONNECTING) and os.environ.get(RECONNECT_ENV) is not None:
        return False  # Qt reconnects (qEnvironmentVariableIsSet: any value, even empty)
    return message.startswith((X11_LOST, WAYLAND_LOST))


class DisplayLostHandler:
    """Qt's message handler while the app runs; `end_work` is Application.end_work."""

    def __init__(self, end_work: Callable[[], None], exit_process: Callable[[int], None] = os._exit):
        self._end_work = end_work
        self._exit = exit_process  # os._exit: Python's own exit would run Qt's and Python's teardown on a dead display
        self._previous = None
        self._is_installed = False

    def install(self) -> None:
        self._previous = qInstallMessageHandler(self._handle)
        self._is_installed = True

    def uninstall(self) -> None:
        if self._is_installed:
            qInstallMessageHandler(self._previous)
            self._is_installed = False

    def _handle(self, kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        self._pass_on(kind, context, message)  # the log still says why the app ended
        if kind == QtMsgType.QtWarningMsg and is_display_lost(message):
            self._end()

    def _pass_on(self, kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if self._previous is not None:
            self._previous(kind, context, message)
        else:  # Qt's default handler: the formatted message on stderr (QT_MESSAGE_PATTERN applies)
            sys.stderr.write(qFormatLogMessage(kind, context, message) + "\n")

    def _end(self) -> None:
        code = EXIT_OK
        try:
            self._end_work()
        except Exception:  # never a silent end: the log says what could not be finished
            log.exception("the app could not finish its work after the display was lost")
            code = EXIT_FAILED
        finally:
            for handler in logging.getLogger().handlers:
                handler.flush()
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            self._exit(code)
