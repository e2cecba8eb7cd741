"""Run as a program: the main window in one "Colours" choice on a real X server, as the screen shows it.

`python -m tests.app.ui.colours_probe OUT_DIR CHOICE` starts the app's main window with the
"Colours" setting at CHOICE (the display is the caller's Xvfb), a description in it, and
saves what the X server shows of the window as OUT_DIR/CHOICE-main.png, and OUT_DIR/CHOICE.json:
the window's frame and the description's text area in it, in pixels of the screenshot.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from tests.app.ui.layout_probe import _global, _rect, _settle, _shoot

SAMPLE = ("A window titled Documents is open, with three files: report, budget and notes. "
          "The Save button is highlighted.")


def main(out_dir: str, choice: str) -> None:
    out = Path(out_dir)
    app = QApplication(sys.argv[:1])
    from app.application import Application
    from app.storage.settings import COLOURS, Settings

    settings = Settings(Path(tempfile.mkdtemp()) / "settings.ini")
    settings.set(COLOURS, choice)  # saved before the app starts, as by an earlier session
    application = Application(settings, quit_qt=False)
    window = application.window
    window.show_main()
    application.page.set_text(SAMPLE)
    window.show()
    _settle(app, window)
    _shoot(app, window, out / f"{choice}-main.png")
    frame = window.frameGeometry()
    text_area = _global(application.page.description.viewport()).translated(-QPoint(frame.x(), frame.y()))
    report = {"platform": app.platformName(), "frame": _rect(frame), "description": _rect(text_area),
              "ratio": window.devicePixelRatio()}
    (out / f"{choice}.json").write_text(json.dumps(report), encoding="utf-8")
    application.quit()


if __name__ == "__main__":
    main(*sys.argv[1:3])
