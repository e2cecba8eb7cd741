"""Run as a program: the real windows at whatever scale and screen the environment sets, measured.

`python -m tests.app.ui.layout_probe OUT_DIR TAG` makes the app's main window (main page
and setup page) and its Settings dialog, with QT_SCALE_FACTOR and the platform already
set by the caller (they must be set before the QApplication exists, hence a process of
its own). It writes OUT_DIR/TAG.json: the screen, each window's frame and minimum size,
and the global rectangle of every visible control, in device-independent pixels. On a
real X server it also saves what the screen shows of each window as OUT_DIR/TAG-*.png.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QApplication, QComboBox, QLabel,
                               QLineEdit, QPlainTextEdit, QProgressBar, QScrollArea, QWidget)

CONTROL_TYPES = (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox, QLabel, QLineEdit, QPlainTextEdit,
                 QProgressBar)
LONG_STATUS = ("The model could not be loaded because the folder does not exist. Choose the folder with the model "
               "files, or choose Convert checkpoint to make them from a downloaded checkpoint.")
MAX_TAB_STOPS = 80


def _rect(rect: QRect) -> list[int]:
    return [rect.x(), rect.y(), rect.width(), rect.height()]


def _global(widget: QWidget) -> QRect:
    return QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size())


def _controls(window: QWidget) -> list[QWidget]:
    """Visible controls, not counting the parts of a control (a line edit's clear button)."""
    found = []
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, CONTROL_TYPES) or not widget.isVisible() or widget.window() is not window:
            continue
        parent = widget.parentWidget()
        while parent is not None and parent is not window and not isinstance(parent, CONTROL_TYPES):
            parent = parent.parentWidget()
        if parent is window or parent is None:
            found.append(widget)
    return found


def _describe(window: QWidget) -> dict:
    def name(widget):
        return widget.objectName() or widget.accessibleName() or type(widget).__name__

    controls = []
    for widget in _controls(window):
        scroll = next((a for a in _ancestors(widget) if isinstance(a, QScrollArea)), None)
        controls.append({"name": name(widget), "rect": _rect(_global(widget)),
                         "draws": not (isinstance(widget, QLabel) and not widget.text().strip()),
                         "in_scroll": scroll is not None and scroll.window() is window,
                         "view": _rect(_global(scroll.viewport())) if scroll is not None else None})
    return {"frame": _rect(window.frameGeometry()), "client": _rect(QRect(window.mapToGlobal(QPoint(0, 0)),
                                                                          window.size())),
            "min_hint": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
            "controls": controls}


def _ancestors(widget: QWidget):
    parent = widget.parentWidget()
    while parent is not None:
        yield parent
        parent = parent.parentWidget()


def _settle(app: QApplication, window: QWidget) -> None:
    QTest.qWaitForWindowExposed(window)
    for _ in range(5):
        app.processEvents()
        QTest.qWait(50)


def _shoot(app: QApplication, window: QWidget, path: Path) -> None:
    """What the X server shows of the window (not a re-render): the real pixels."""
    if app.platformName() != "xcb":
        return
    frame = window.frameGeometry()
    window.screen().grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height()).save(str(path))


def _tab_walk(dialog: QWidget) -> list[dict]:
    """Tab through the dialog; where each stop is, as the user sees it after the key press."""
    stops = []
    start = QApplication.focusWidget()
    for _ in range(MAX_TAB_STOPS):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        QApplication.processEvents()
        current = QApplication.focusWidget()
        scroll = next((a for a in _ancestors(current) if isinstance(a, QScrollArea)), None)
        stops.append({"name": current.objectName() or current.accessibleName(), "rect": _rect(_global(current)),
                      "view": _rect(_global(scroll.viewport())) if scroll is not None else None})
        if current is start:
            break
    return stops


def main(out_dir: str, tag: str) -> None:
    out = Path(out_dir)
    app = QApplication(sys.argv[:1])
    from app.application import Application
    from app.storage.settings import Settings
    from app.ui.settings_dialog import SettingsDialog

    application = Application(Settings(Path(tempfile.mkdtemp()) / "settings.ini"), quit_qt=False)
    window = application.window
    screen = window.screen()
    report = {"scale": screen.devicePixelRatio(), "screen": _rect(screen.availableGeometry()),
              "platform": app.platformName()}
    window.show_main()
    window.set_status(LONG_STATUS)
    window.show()
    _settle(app, window)
    report["main"] = _describe(window)
    report["status_needed_height"] = window.status_label.heightForWidth(window.status_label.width())
    report["status_height"] = window.status_label.height()
    _shoot(app, window, out / f"{tag}-main.png")

    window.resize(window.minimumSizeHint())
    _settle(app, window)
    report["main_at_minimum"] = _describe(window)
    _shoot(app, window, out / f"{tag}-main-minimum.png")

    window.resize(window.minimumSizeHint().expandedTo(window.size()))
    window.show_setup()
    window.first_run.show_problem(LONG_STATUS, str(out))
    _settle(app, window)
    report["setup"] = _describe(window)
    _shoot(app, window, out / f"{tag}-setup.png")

    window.show_main()
    dialog = SettingsDialog(application.settings, window)
    dialog.show()
    _settle(app, dialog)
    report["settings"] = _describe(dialog)
    report["settings_buttons"] = [_rect(_global(button)) for button in dialog.buttons.buttons()]
    _shoot(app, dialog, out / f"{tag}-settings.png")
    dialog.activateWindow()  # with no window manager (bare Xvfb) nothing else gives it the keyboard
    QTest.qWaitForWindowActive(dialog)
    report["settings_tab_stops"] = _tab_walk(dialog)
    dialog.reject()
    (out / f"{tag}.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    application.quit()


if __name__ == "__main__":
    main(*sys.argv[1:3])
