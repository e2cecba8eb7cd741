"""An AT-SPI client, as a screen reader is one: run by the system Python, where pyatspi lives.

    python3 atspi_probe.py tree APP_NAME      -> one JSON list: every accessible of the app
    python3 atspi_probe.py events APP_NAME    -> "ready", then one JSON object per event, until stdin closes

It reads the app through the real accessibility bus (the one DBUS_SESSION_BUS_ADDRESS's
org.a11y.Bus names), exactly as Orca does: pyatspi is the library Orca 43 is built on.
"""

from __future__ import annotations

import json
import sys
import threading

import pyatspi

EVENTS = ("object:announcement", "focus:", "object:state-changed:focused", "object:property-change:accessible-name",
          "window:activate")
FIND_TRIES = 100


def find_app(name: str):
    import time

    for _ in range(FIND_TRIES):
        desktop = pyatspi.Registry.getDesktop(0)
        for app in desktop:
            if app is not None and app.name == name:
                return app
        time.sleep(0.1)
    raise SystemExit(f"no application named {name!r} on the accessibility bus")


def describe(obj, path: str) -> dict:
    states = obj.getState().getStates()
    try:
        text_iface = obj.queryText()
        text = text_iface.getText(0, -1)
    except NotImplementedError:
        text = None
    return {"path": path, "role": obj.getRoleName(), "name": obj.name, "description": obj.description,
            "text": text, "showing": pyatspi.STATE_SHOWING in states, "visible": pyatspi.STATE_VISIBLE in states,
            "focusable": pyatspi.STATE_FOCUSABLE in states, "focused": pyatspi.STATE_FOCUSED in states}


def walk(obj, path: str, out: list) -> None:
    if obj is None:
        return
    out.append(describe(obj, path))
    for index, child in enumerate(obj):
        walk(child, f"{path}/{index}", out)


def tree(name: str) -> None:
    out: list = []
    walk(find_app(name), "", out)
    print(json.dumps(out))


def events(name: str) -> None:
    """Listens from the start, before the app is on the bus at all (events name their app)."""
    lock = threading.Lock()

    def on_event(event) -> None:
        try:
            source_app = event.source.getApplication().name if event.source is not None else ""
            source_name, role = (event.source.name, event.source.getRoleName()) if event.source is not None else ("", "")
        except Exception:  # the source may be gone already
            source_app, source_name, role = "", "", ""
        data = event.any_data if isinstance(event.any_data, (str, int, float)) else None
        with lock:
            print(json.dumps({"type": event.type, "app": source_app, "source": source_name, "role": role,
                              "detail1": event.detail1, "any_data": data}), flush=True)

    for kind in EVENTS:
        pyatspi.Registry.registerEventListener(on_event, kind)
    print(json.dumps({"type": "ready", "app": name}), flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), pyatspi.Registry.stop()), daemon=True).start()
    pyatspi.Registry.start()


if __name__ == "__main__":
    {"tree": tree, "events": events}[sys.argv[1]](sys.argv[2])
