"""The active window on X11: EWMH `_NET_ACTIVE_WINDOW`, else the input focus (no window manager).

Plain Xlib through ctypes, no extra package. Xlib's default error handler exits the
process on a BadWindow (a window that closed between two calls), so every call runs
with a recording handler installed and the previous one restored afterwards.
A connection the X server has closed (the session ended) is never used again: Xlib's
answer to any call on it, XCloseDisplay included, is its process-wide I/O error handler,
which exits the process from inside the call (Xlib manual, XSetIOErrorHandler) while Qt
and Python are still running; that crashed the app when its X server went away.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import select
import socket
from ctypes import POINTER, byref, c_char_p, c_int, c_long, c_ubyte, c_uint, c_ulong, c_void_p

from app.capture.window_info import WindowInfo

ANY_PROPERTY_TYPE = 0
SUCCESS = 0
POINTER_ROOT = 1
IS_VIEWABLE = 2
MAX_PROPERTY_LONGS = 1024
_ERROR_HANDLER = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p)


class _XWindowAttributes(ctypes.Structure):
    _fields_ = [("x", c_int), ("y", c_int), ("width", c_int), ("height", c_int), ("border_width", c_int),
                ("depth", c_int), ("visual", c_void_p), ("root", c_ulong), ("c_class", c_int),
                ("bit_gravity", c_int), ("win_gravity", c_int), ("backing_store", c_int),
                ("backing_planes", c_ulong), ("backing_pixel", c_ulong), ("save_under", c_int),
                ("colormap", c_ulong), ("map_installed", c_int), ("map_state", c_int),
                ("all_event_masks", c_long), ("your_event_mask", c_long), ("do_not_propagate_mask", c_long),
                ("override_redirect", c_int), ("screen", c_void_p)]


def _load_xlib():
    lib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    lib.XOpenDisplay.restype = c_void_p
    lib.XOpenDisplay.argtypes = [c_char_p]
    lib.XCloseDisplay.argtypes = [c_void_p]
    lib.XDefaultRootWindow.restype = c_ulong
    lib.XDefaultRootWindow.argtypes = [c_void_p]
    lib.XInternAtom.restype = c_ulong
    lib.XInternAtom.argtypes = [c_void_p, c_char_p, c_int]
    lib.XGetWindowProperty.argtypes = [c_void_p, c_ulong, c_ulong, c_long, c_long, c_int, c_ulong,
                                       POINTER(c_ulong), POINTER(c_int), POINTER(c_ulong), POINTER(c_ulong),
                                       POINTER(POINTER(c_ubyte))]
    lib.XFree.argtypes = [c_void_p]
    lib.XGetInputFocus.argtypes = [c_void_p, POINTER(c_ulong), POINTER(c_int)]
    lib.XQueryTree.argtypes = [c_void_p, c_ulong, POINTER(c_ulong), POINTER(c_ulong),
                               POINTER(POINTER(c_ulong)), POINTER(c_uint)]
    lib.XGetWindowAttributes.argtypes = [c_void_p, c_ulong, POINTER(_XWindowAttributes)]
    lib.XTranslateCoordinates.argtypes = [c_void_p, c_ulong, c_ulong, c_int, c_int, POINTER(c_int),
                                          POINTER(c_int), POINTER(c_ulong)]
    lib.XSetErrorHandler.restype = c_void_p
    lib.XSetErrorHandler.argtypes = [c_void_p]
    lib.XSync.argtypes = [c_void_p, c_int]
    lib.XConnectionNumber.argtypes = [c_void_p]
    return lib


def _has_hung_up(fd: int) -> bool:
    """True if the peer closed the socket: readable, and a peek finds the end of the stream."""
    readable, _, _ = select.select([fd], [], [], 0)
    if not readable:
        return False
    with socket.fromfd(fd, socket.AF_UNIX, socket.SOCK_STREAM) as peer:  # a duplicate: ours stays open
        try:
            return not peer.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return False
        except OSError:  # ECONNRESET and the like: gone as well
            return True


class X11Windows:
    """One display connection, used only on the GUI thread; after close() every query answers None."""

    def __init__(self, display: str | None = None):
        self._x = _load_xlib()
        self._display = self._x.XOpenDisplay(display.encode() if display else None)
        if not self._display:
            raise OSError("cannot open the X display")
        self._root = self._x.XDefaultRootWindow(self._display)
        self._had_error = False
        self._handler = _ERROR_HANDLER(self._on_error)  # kept alive as long as the connection

    def _on_error(self, _display, _event) -> int:
        self._had_error = True
        return 0

    def _guarded(self, call):
        """Run `call` with errors recorded instead of fatal; None if X reported one or the connection is closed.

        Every Xlib call goes through here, so none can reach Xlib with the NULL display a
        closed connection leaves (Xlib dereferences it: a segmentation fault), nor on a
        connection the server has closed (see the module docstring).
        """
        if not self._is_usable():
            return None
        previous = self._x.XSetErrorHandler(ctypes.cast(self._handler, c_void_p))
        self._had_error = False
        try:
            result = call()
            self._x.XSync(self._display, 0)
        finally:
            self._x.XSetErrorHandler(previous)
        return None if self._had_error else result

    def _is_usable(self) -> bool:
        if self._display and _has_hung_up(self._x.XConnectionNumber(self._display)):
            self._display = None  # left to the process's end: closing it would call the I/O error handler
        return bool(self._display)

    def _atom(self, name: str) -> int:
        return self._x.XInternAtom(self._display, name.encode(), 0)

    def _property(self, window: int, name: str) -> tuple[int, bytes | list[int]] | None:
        """(format, bytes for format 8 | list of ints for format 32) or None."""
        def read():
            actual_type, actual_format = c_ulong(), c_int()
            n_items, after, data = c_ulong(), c_ulong(), POINTER(c_ubyte)()
            status = self._x.XGetWindowProperty(self._display, window, self._atom(name), 0, MAX_PROPERTY_LONGS,
                                                0, ANY_PROPERTY_TYPE, byref(actual_type), byref(actual_format),
                                                byref(n_items), byref(after), byref(data))
            if status != SUCCESS or not data:
                return None
            try:
                if actual_format.value == 32:  # format-32 items are C longs in Xlib's memory
                    items = ctypes.cast(data, POINTER(c_ulong))
                    return 32, [items[i] for i in range(n_items.value)]
                if actual_format.value == 8:
                    return 8, ctypes.string_at(data, n_items.value)
                return None
            finally:
                self._x.XFree(data)
        return self._guarded(read)

    def active_window(self) -> int | None:
        prop = self._property(self._root, "_NET_ACTIVE_WINDOW")
        if prop and prop[0] == 32 and prop[1] and prop[1][0]:
            return int(prop[1][0])
        return self._focused_top_level()

    def _focused_top_level(self) -> int | None:
        """Without a window manager, the top-level window that holds the keyboard focus."""
        focus, revert = c_ulong(), c_int()
        if self._guarded(lambda: self._x.XGetInputFocus(self._display, byref(focus), byref(revert))) is None:
            return None
        window = focus.value
        if window in (0, POINTER_ROOT) or window == self._root:
            return None
        for _ in range(64):  # walk up to the child of the root
            root, parent, children, count = c_ulong(), c_ulong(), POINTER(c_ulong)(), c_uint()
            ok = self._guarded(lambda w=window: self._x.XQueryTree(self._display, w, byref(root), byref(parent),
                                                                   byref(children), byref(count)))
            if children:
                self._x.XFree(children)
            if not ok:
                return None
            if parent.value in (0, self._root):
                return window
            window = parent.value
        return None

    def window_info(self, window: int) -> WindowInfo | None:
        attributes = _XWindowAttributes()
        if not self._guarded(lambda: self._x.XGetWindowAttributes(self._display, window, byref(attributes))):
            return None  # closed since
        x, y, child = c_int(), c_int(), c_ulong()
        if self._guarded(lambda: self._x.XTranslateCoordinates(self._display, window, self._root, 0, 0,
                                                               byref(x), byref(y), byref(child))) is None:
            return None
        border = attributes.border_width  # X geometry excludes the window's own border; the user sees it
        left, top = x.value - border, y.value - border
        width, height = attributes.width + 2 * border, attributes.height + 2 * border
        extents = self._property(window, "_NET_FRAME_EXTENTS")  # include the title bar the user sees
        if extents and extents[0] == 32 and len(extents[1]) == 4:
            frame_left, frame_right, frame_top, frame_bottom = (int(v) for v in extents[1])
            left, top = left - frame_left, top - frame_top
            width, height = width + frame_left + frame_right, height + frame_top + frame_bottom
        pid = self._property(window, "_NET_WM_PID")
        return WindowInfo(handle=window, title=self._title(window), left=left, top=top, width=width, height=height,
                          pid=int(pid[1][0]) if pid and pid[0] == 32 and pid[1] else None,
                          is_minimized=attributes.map_state != IS_VIEWABLE)

    def _title(self, window: int) -> str:
        for name, encoding in (("_NET_WM_NAME", "utf-8"), ("WM_NAME", "latin-1")):
            prop = self._property(window, name)
            if prop and prop[0] == 8 and prop[1]:
                return prop[1].decode(encoding, errors="replace")
        return ""

    def close(self) -> None:
        if self._is_usable():
            self._x.XCloseDisplay(self._display)
        self._display = None
