"""The screen under Wayland: xdg-desktop-portal's Screenshot interface, over D-Bus.

Wayland gives no program the screen of its own accord; the desktop's portal takes the picture
(flatpak.github.io/xdg-desktop-portal, org.freedesktop.portal.Screenshot): Screenshot(s
parent_window, a{sv} options) returns a Request object path at once, and that Request's
Response(u code, a{sv} results) signal brings results["uri"], a file:// URI of the picture the
portal saved. Code 1: the user or the desktop refused; 2: it failed. With "interactive" false the
portal takes the whole screen without a dialog, but a desktop may ask the user the first time
(GNOME asks whether the app may take screenshots), so the answer is waited for up to
ANSWER_WAIT_S, and Stop (or a new request) ends the wait at once.

The portal saves the picture among the user's files (GNOME: the Pictures folder). The user asked
for a description, not for a file of their screen, so once read it is removed, if it is a file
made for this request. Only a Response sent by the portal itself (the unique bus name that
answered the call) counts: another program on the bus cannot hand the app a picture of its own.
The D-Bus client is jeepney, as for the global shortcuts (app/hotkeys/portal.py).
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
from PySide6.QtCore import QCoreApplication

from app.capture.errors import CaptureError
from app.platform.portal_requests import (PORTAL_NAME, PORTAL_PATH, REQUEST_IFACE, RESPONSE_SUCCESS, new_token,
                                          request_path)

log = logging.getLogger(__name__)

SCREENSHOT_IFACE = "org.freedesktop.portal.Screenshot"
RESPONSE_REFUSED = 1  # org.freedesktop.portal.Request: "the user cancelled the interaction"
CALL_TIMEOUT_S = 5.0  # the call itself (it may start xdg-desktop-portal through D-Bus activation)
ANSWER_WAIT_S = 60.0  # the Response, which may wait for the user to answer the desktop's question
POLL_S = 0.1  # how often the wait looks whether it was stopped
# A file the portal saved for this request is at most this much older than the request (clocks of
# file systems round their times).
FILE_TIME_SLACK_S = 2.0
RESPONSES_KEPT = 8  # Responses on the request's path (the portal's, and any other program's)


def _tr(text: str) -> str:
    return QCoreApplication.translate("Capture", text)


def _stopped() -> CaptureError:
    return CaptureError(_tr("The screenshot was stopped."))


def _failed() -> CaptureError:
    return CaptureError(_tr("The desktop could not take the screenshot. Please try again."))


def no_portal_message() -> str:
    return _tr("The screen cannot be captured in this Wayland session: the desktop offers no screenshot portal. "
               "Install your desktop's portal (xdg-desktop-portal with its GNOME, KDE or wlroots part), or take a "
               "screenshot with your desktop's tool and use Describe clipboard image.")


def capture_screen_with_portal(abort: threading.Event, bus: str = "SESSION",
                               answer_wait_s: float = ANSWER_WAIT_S) -> np.ndarray:
    """The whole screen as RGB, taken by the desktop's portal; CaptureError in plain words."""
    try:
        from jeepney.io.blocking import open_dbus_connection
    except ImportError:
        raise CaptureError(no_portal_message()) from None
    try:
        connection = open_dbus_connection(bus)
    except (OSError, KeyError, ValueError):  # no session bus at all
        raise CaptureError(no_portal_message()) from None
    asked_at = time.time()
    try:
        path = _ask(connection, abort, answer_wait_s)
    finally:
        connection.close()
    return _read_and_remove(path, asked_at, abort)


def _ask(connection, abort: threading.Event, answer_wait_s: float) -> Path:
    from jeepney import DBusAddress, HeaderFields, MatchRule, MessageType, new_method_call
    from jeepney.bus_messages import message_bus

    token = new_token("_screenshot")
    request = request_path(connection.unique_name, token)
    rule = MatchRule(type="signal", interface=REQUEST_IFACE, member="Response", path=request)
    connection.send_and_get_reply(message_bus.AddMatch(rule), timeout=CALL_TIMEOUT_S)  # before the call
    portal = DBusAddress(PORTAL_PATH, bus_name=PORTAL_NAME, interface=SCREENSHOT_IFACE)
    options = {"handle_token": ("s", token), "interactive": ("b", False), "modal": ("b", False)}
    # The filter catches a Response that arrives while the call's own reply is awaited, too.
    with connection.filter(rule, bufsize=RESPONSES_KEPT) as responses:
        try:
            reply = connection.send_and_get_reply(new_method_call(portal, "Screenshot", "sa{sv}", ("", options)),
                                                  timeout=CALL_TIMEOUT_S)
        except TimeoutError:
            raise CaptureError(no_portal_message()) from None
        if reply.header.message_type == MessageType.error:  # no portal, or one without Screenshot
            log.info("the screenshot portal refused the call: %s %s",
                     reply.header.fields.get(HeaderFields.error_name), reply.body)
            raise CaptureError(no_portal_message())
        answerer = reply.header.fields.get(HeaderFields.sender)
        deadline = time.monotonic() + answer_wait_s
        while time.monotonic() < deadline:
            if abort.is_set():
                raise _stopped()
            try:
                message = connection.recv_until_filtered(responses, timeout=POLL_S)
            except TimeoutError:
                continue
            if message.header.fields.get(HeaderFields.sender) == answerer:  # not another program's
                code, results = message.body
                return _answered(code, results)
    raise CaptureError(_tr("The desktop did not answer the screenshot request within {0} seconds. "
                           "Please try again.").format(round(answer_wait_s)))


def _answered(code: int, results: dict) -> Path:
    if code == RESPONSE_REFUSED:
        raise CaptureError(_tr("The desktop did not allow the screenshot. If it asked, choose Allow; otherwise "
                               "allow screenshots for this app in your desktop's privacy settings, then try again."))
    if code != RESPONSE_SUCCESS:
        raise _failed()
    signature, uri = results.get("uri", ("s", ""))
    parsed = urlparse(uri if signature == "s" else "")
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost") or not parsed.path:
        log.warning("the screenshot portal answered with no file: %r", results)
        raise _failed()
    return Path(unquote(parsed.path))


def _read_and_remove(path: Path, asked_at: float, abort: threading.Event) -> np.ndarray:
    """The picture (read as any image file: engine.image_file's checks), then the file removed."""
    from engine.images import ImageError, load_image

    try:
        return load_image(path, abort)
    except ImageError as exc:  # a named pipe, an empty or broken file: the portal's fault, not the user's
        log.warning("the screenshot portal's file could not be read: %s", exc)
        raise (_stopped() if abort.is_set() else _failed()) from None
    finally:
        _remove_if_made_for_this_request(path, asked_at)


def _remove_if_made_for_this_request(path: Path, asked_at: float) -> None:
    try:
        info = os.lstat(path)
        if info.st_mtime >= asked_at - FILE_TIME_SLACK_S and not stat.S_ISLNK(info.st_mode):
            os.unlink(path)
    except OSError as exc:
        log.warning("could not remove the portal's screenshot file: %s", exc)
