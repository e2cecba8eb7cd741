"""Screen capture through mss: the monitor under the pointer, all monitors, or one rectangle.

mss opens its own display connection per instance, so each capture makes a fresh
instance on whatever thread runs it. Coordinates are mss's: physical pixels of the
virtual desktop. Under Wayland (app/platform/desktop_session.py) no program may read the
screen itself: the whole screen comes from the desktop's portal (app/capture/portal_screenshot.py),
and a single window cannot be captured.
"""

from __future__ import annotations

import logging
import sys
import threading

import numpy as np

from app.capture.errors import CaptureError
from app.platform.desktop_session import WAYLAND, session_kind
from app.storage.settings import MONITOR_ALL
from engine.images import at_most_max_side

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("Capture", text)


def monitor_at(monitors: list[dict], x: int, y: int) -> dict:
    """The monitor (mss index >= 1) that contains the point, else the primary, else the first."""
    physical = monitors[1:] or monitors[:1]
    for monitor in physical:
        if (monitor["left"] <= x < monitor["left"] + monitor["width"]
                and monitor["top"] <= y < monitor["top"] + monitor["height"]):
            return monitor
    return next((m for m in physical if m.get("is_primary")), physical[0])


def _is_wayland() -> bool:
    return sys.platform.startswith("linux") and session_kind() == WAYLAND


def _unavailable(exc: Exception) -> CaptureError:
    log.warning("screen capture failed: %s", exc)  # mss's own words go to the log, not to the user
    return CaptureError(_tr("The screen could not be captured: no display could be reached. Please try again; "
                            "if it keeps failing, take a screenshot with your desktop's tool and use Describe "
                            "clipboard image."))


def _check_access() -> None:
    if sys.platform == "darwin":  # without the permission macOS gives the wallpaper, not the screen
        from app.capture.mac_access import check_screen_recording

        check_screen_recording()


def _grab(sct, region: dict) -> np.ndarray:
    shot = sct.grab(region)
    rgb = np.frombuffer(shot.rgb, dtype=np.uint8).reshape(shot.height, shot.width, 3)
    return at_most_max_side(rgb.copy())


def capture_screen(policy: str, pointer: tuple[int, int] | None) -> np.ndarray:
    """The screen as RGB: all monitors, or the one under `pointer` (physical pixels)."""
    return capture_screen_region(policy, pointer)[0]


def capture_screen_region(policy: str, pointer: tuple[int, int] | None,
                          abort: threading.Event | None = None) -> tuple[np.ndarray, dict]:
    """The screen as RGB, and the desktop rectangle it shows (left, top, width, height). Under
    Wayland the portal's picture of the whole screen (`abort` ends its wait), whatever `policy`."""
    if _is_wayland():
        from app.capture.portal_screenshot import capture_screen_with_portal

        rgb = capture_screen_with_portal(abort or threading.Event())
        return rgb, {"left": 0, "top": 0, "width": rgb.shape[1], "height": rgb.shape[0]}
    import mss

    _check_access()
    try:
        with mss.MSS() as sct:
            monitors = sct.monitors
            if not monitors:
                raise CaptureError(_tr("No screen was found to capture."))
            if policy == MONITOR_ALL:
                region = monitors[0]
            else:
                region = monitor_at(monitors, *(pointer or (0, 0)))
            return _grab(sct, region), dict(region)
    except mss.ScreenShotError as exc:
        raise _unavailable(exc) from exc


def clip_to(region: dict, bounds: dict) -> dict | None:
    """The part of `region` inside `bounds` (both mss-style dicts), or None if they do not overlap."""
    left = max(region["left"], bounds["left"])
    top = max(region["top"], bounds["top"])
    right = min(region["left"] + region["width"], bounds["left"] + bounds["width"])
    bottom = min(region["top"] + region["height"], bounds["top"] + bounds["height"])
    if right <= left or bottom <= top:
        return None
    return {"left": left, "top": top, "width": right - left, "height": bottom - top}


def capture_region(left: int, top: int, width: int, height: int) -> np.ndarray:
    """One rectangle of the desktop (a window), clipped to what is on screen."""
    import mss

    if _is_wayland():
        raise CaptureError(_tr("A single window cannot be captured in this Wayland session. Describe screen takes "
                               "the whole screen through the desktop's screenshot portal."))
    _check_access()
    try:
        with mss.MSS() as sct:
            region = clip_to({"left": left, "top": top, "width": width, "height": height}, sct.monitors[0])
            if region is None:
                raise CaptureError(_tr("The window is entirely off the screen, so there is nothing to capture."))
            return _grab(sct, region)
    except mss.ScreenShotError as exc:
        raise _unavailable(exc) from exc


def screen_job(policy: str, pointer: tuple[int, int] | None, regions: dict, ticket: int):
    """A capture job (run off the GUI thread) that also notes, in `regions[ticket]`, the desktop
    rectangle it captured: read on the GUI thread once the capture is delivered."""
    def job(abort) -> np.ndarray:
        rgb, region = capture_screen_region(policy, pointer, abort)
        regions[ticket] = region
        return rgb

    return job


def window_in_capture(active_window_rect, region: dict | None, shape: tuple[int, ...]):
    """The active window's rectangle in the pixels of a capture of `region`; None for no screen capture,
    no window known, or a window system that refused (the second look then goes where the text is)."""
    if region is None:
        return None
    try:
        return rect_in_image(active_window_rect(), region, shape)
    except Exception:
        log.info("no active window for the second look", exc_info=True)
        return None


def rect_in_image(rect: tuple[int, int, int, int] | None, region: dict,
                  shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    """A desktop rectangle (a window) in the pixels of a capture of `region` (scaled by at_most_max_side)."""
    if rect is None:
        return None
    left, top, width, height = rect
    clipped = clip_to({"left": left, "top": top, "width": width, "height": height}, region)
    if clipped is None:
        return None
    scale = shape[1] / region["width"]
    return (round((clipped["left"] - region["left"]) * scale), round((clipped["top"] - region["top"]) * scale),
            round(clipped["width"] * scale), round(clipped["height"] * scale))
