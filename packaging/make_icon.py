"""Writes the app's own icon (app/ui/tray.py draws it in code) as a PNG for the frozen build.

The desktop entry, the Windows executable and the macOS bundle need an icon file; rendering the
one the window and tray already use keeps a single drawing of it. PyInstaller turns the PNG into
.ico and .icns itself (with Pillow). Usage: python packaging/make_icon.py OUT.png
"""

from __future__ import annotations

import os
import sys

ICON_SIZE = 256  # the largest size app_icon() draws


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python packaging/make_icon.py OUT.png", file=sys.stderr)
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # a build machine may have no screen
    from PySide6.QtGui import QGuiApplication

    from app.ui.tray import app_icon

    qt_app = QGuiApplication.instance() or QGuiApplication([])  # QPixmap needs a GUI application
    is_saved = app_icon().pixmap(ICON_SIZE, ICON_SIZE).save(argv[0], "PNG")
    del qt_app
    if not is_saved:
        print(f"Could not write the icon to {argv[0]}.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
