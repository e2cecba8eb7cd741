"""`python main.py [--describe screen|window|clipboard | --describe-file PATH | --read screen|window|clipboard |
--read-file PATH | --stop]`.

With an app already running, the command is forwarded to it and this process exits
at once (this is how desktop shortcuts trigger descriptions, also under Wayland).
Otherwise the app starts and runs the command itself. A launch that carries a
describe command does not show the window where a tray icon can hold the app, so a
shortcut never puts our window over the one to be described.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from pathlib import Path

from app.commands import OPTIONS
from engine import invocation
from resources import APP_FOLDER, APP_NAME

EXIT_OK, EXIT_FAILED = 0, 1
HEADLESS_PLATFORMS = ("offscreen", "minimal")  # Qt platforms with no screen anyone can see
log = logging.getLogger("app")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("desktop app (run without a command to open it)")
    action = group.add_mutually_exclusive_group()
    for forwarded in OPTIONS:
        if forwarded.sources:
            action.add_argument(forwarded.option, choices=forwarded.sources,
                                metavar="{" + ",".join(forwarded.sources) + "}", help=forwarded.option_help)
        elif forwarded.has_path:
            action.add_argument(forwarded.option, metavar="PATH", help=forwarded.option_help)
        else:
            action.add_argument(forwarded.option, action="store_true", help=forwarded.option_help)
    group.add_argument("--model-dir", dest="app_model_dir", metavar="DIR",
                       help="model folder for the app (default: the settings, then $VISIONPANGU_MODEL_DIR, "
                            "then the user data folder)")


def request_from(args: argparse.Namespace) -> dict:
    """The forwarded request main.py's options name; a plain launch asks to show the window."""
    for forwarded in OPTIONS:
        value = getattr(args, forwarded.name.replace("-", "_"), None)
        if forwarded.sources and value:
            return {"command": forwarded.name, "source": value}
        if forwarded.has_path and value:
            return {"command": forwarded.name, "path": str(Path(value).expanduser().resolve())}
        if value is True:
            return {"command": forwarded.name}
    return {"command": "show"}


def run(args: argparse.Namespace) -> int:
    from app.launch.instance import forward
    from app.launch.instance_address import InstanceError

    request = request_from(args)
    try:
        reply = forward(request)
    except InstanceError as exc:  # never a silent exit: the user must hear why nothing happens
        _tell_at_launch(str(exc))
        return EXIT_FAILED
    if reply is not None:
        if not reply.get("ok"):
            _tell_at_launch(f"The running app refused the command: {reply.get('message', 'no reason given')}.")
            return EXIT_FAILED
        return EXIT_OK
    if request["command"] == "stop":
        print(f"{APP_NAME} is not running.", file=sys.stderr)
        return EXIT_OK
    return start_app(request, getattr(args, "app_model_dir", None))


def _tell_at_launch(text: str) -> None:
    """Why the app cannot start, on stderr and in a dialog: launched from a desktop menu or a
    shortcut, stderr goes nowhere, and a screen reader reads a message box (role alert) aloud."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    print(text, file=sys.stderr)
    if no_screen_message() is not None:
        return
    _ = QApplication.instance() or QApplication(sys.argv[:1])  # a second launch has none yet
    if QApplication.platformName() not in HEADLESS_PLATFORMS:
        QMessageBox.critical(None, APP_NAME, text)


def _install_error_reporter(application) -> None:
    """An unexpected exception in a slot is logged and said, never silent and never a traceback."""
    from PySide6.QtCore import QCoreApplication

    def report(kind, value, tb) -> None:
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        try:
            application.controller.report(QCoreApplication.translate(
                "Application", "Something went wrong inside the app ({0}). Please try again.").format(kind.__name__),
                True)
        except Exception:  # reporting must never raise from the hook itself
            pass

    sys.excepthook = report


def no_screen_message() -> str | None:
    """Linux without a display would make Qt abort with a core dump: say it plainly instead."""
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return ("No screen was found to show the window on (neither DISPLAY nor WAYLAND_DISPLAY is set). "
            "Start the app from your desktop session, or describe an image file on the command line "
            f"with: {invocation.shown('describe', 'IMAGE')}")


def start_app(request: dict, model_dir_flag: str | None = None) -> int:
    message = no_screen_message()
    if message:
        print(message, file=sys.stderr)
        return EXIT_FAILED
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from app.application import Application
    from app.launch.display_lost import DisplayLostHandler
    from app.launch.instance import InstanceServer, forward
    from app.launch.instance_address import InstanceError
    from app.launch.quit_signals import QuitOnSignals
    from app.launch.session_end import SessionEndMonitor
    from app.storage.settings import Settings
    from app.ui.tray import app_icon

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    QCoreApplication.setOrganizationName(APP_FOLDER)
    QCoreApplication.setApplicationName(APP_NAME)
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    qt_app.setQuitOnLastWindowClosed(False)  # the tray keeps the app; Quit ends it
    qt_app.setWindowIcon(app_icon())
    qt_app.setDesktopFileName("visionpangu-assistant")

    application = Application(Settings(), model_dir_flag=model_dir_flag)
    try:
        server = InstanceServer(application.status, parent=application)
        is_listening = server.listen()
        reply = None if is_listening else forward(request)  # another launch won the race: hand it our command
    except InstanceError as exc:
        _tell_at_launch(str(exc))
        return EXIT_FAILED
    if not is_listening:
        if reply is None or not reply.get("ok"):
            _tell_at_launch(QCoreApplication.translate("Application", "Another copy of the app is starting; "
                                                       "please try again in a moment."))
            return EXIT_FAILED
        return EXIT_OK
    server.command_received.connect(application.run_command)
    _install_error_reporter(application)
    signals = QuitOnSignals(application.quit, parent=application)
    # However the loop ends (Quit, a signal, the session's end), the app quits in order first.
    qt_app.aboutToQuit.connect(application.quit)
    # The session's end: Windows and macOS ask through Qt; Linux desktops through the portal's monitor.
    qt_app.commitDataRequest.connect(lambda _manager: application.flush())
    session_end = SessionEndMonitor(application.flush, application.quit, parent=application)
    session_end.start()
    display_lost = DisplayLostHandler(application.end_work)  # Linux: Qt's exit when the display goes
    if sys.platform.startswith("linux"):
        display_lost.install()
    is_background = request["command"] != "show" and application.tray.is_available()
    application.start(show=not is_background)
    if request["command"] != "show":
        application.run_command(request)
    code = qt_app.exec()
    application.quit()
    session_end.close()
    server.close()
    signals.close()
    display_lost.uninstall()
    return code
