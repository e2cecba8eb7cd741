"""No network in the OCR process: every attempt fails at once, in plain words.

The OCR process needs nothing from a network, and rapidocr downloads models by URL when its
config does not name a file it has (engine/ocr/models.py). A Python audit hook (PEP 578) sees
every socket connection and name lookup made through Python's socket module (the events
`socket.connect`, `socket.getaddrinfo`, `socket.gethostbyname` and `urllib.Request`, listed in
Python's "Audit events table") and raises before it happens. Audit hooks cannot be removed,
so this is installed only in the OCR process, never in a process that shares its lifetime with
anything else. Local (AF_UNIX) sockets stay allowed: they are not a network.
"""

from __future__ import annotations

import socket
import sys

NETWORK_EVENTS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "urllib.Request")
LOCAL_FAMILIES = tuple(f for f in (getattr(socket, "AF_UNIX", None),) if f is not None)


class NetworkForbidden(RuntimeError):
    def __init__(self, what: str):
        super().__init__(f"The text reader tried to use the network ({what}); it works offline only, "
                         "so this was refused.")


def _hook(event: str, args: tuple) -> None:
    if event in NETWORK_EVENTS:
        raise NetworkForbidden(event)
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg") and args:
        sock = args[0]
        if getattr(sock, "family", None) not in LOCAL_FAMILIES:
            raise NetworkForbidden(event)


_is_installed = False


def forbid_network() -> None:
    """Install the hook (once per process; it lasts as long as the process)."""
    global _is_installed
    if not _is_installed:
        sys.addaudithook(_hook)
        _is_installed = True
