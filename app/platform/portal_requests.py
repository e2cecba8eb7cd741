"""xdg-desktop-portal's conventions, shared by every portal client of the app (global shortcuts, the session's end).

Protocol (flatpak.github.io/xdg-desktop-portal, org.freedesktop.portal.Request and .Session):
a call that answers later returns a Request object path at once, and the answer comes as that
Request's Response(u code, a{sv} results) signal. Since portal 0.9 the path is known before the
call: the caller's unique name (":1.42" written "1_42") and the handle_token it passes, so a
client listens for the Response before it calls and cannot miss an answer sent at once.
Sessions are named the same way from a session_handle_token.
"""

from __future__ import annotations

import itertools
import os

PORTAL_NAME, PORTAL_PATH = "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop"
REQUEST_IFACE = "org.freedesktop.portal.Request"
SESSION_IFACE = "org.freedesktop.portal.Session"
RESPONSE_SUCCESS = 0
TOKEN_PREFIX = "visionpangu"
_tokens = itertools.count(1)


def new_token(kind: str = "") -> str:
    """A handle_token unique in this process (and among this app's processes): a valid object path element."""
    return f"{TOKEN_PREFIX}{kind}{os.getpid()}_{next(_tokens)}"


def _sender_element(unique_name: str) -> str:
    return unique_name.lstrip(":").replace(".", "_")


def request_path(unique_name: str, token: str) -> str:
    """The Request object a call with this handle_token gets, for the caller whose unique bus name is `unique_name`."""
    return f"{PORTAL_PATH}/request/{_sender_element(unique_name)}/{token}"
