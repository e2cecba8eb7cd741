"""What every platform's window backend reports about a window."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WindowInfo:
    handle: int  # X11 window id, Windows HWND, or Quartz window number
    title: str
    left: int  # desktop coordinates in the pixels mss uses
    top: int
    width: int
    height: int
    pid: int | None  # the owning process, to tell our own windows from the user's
    is_minimized: bool = False
