"""A window of one colour filling the screen (`python colour_window.py R G B`): what the screen shows, known exactly."""

import sys

from PySide6.QtWidgets import QApplication, QWidget

if __name__ == "__main__":
    red, green, blue = (int(value) for value in sys.argv[1:4])
    app = QApplication(sys.argv[:1])
    window = QWidget()
    window.setStyleSheet(f"background: rgb({red}, {green}, {blue})")
    window.showFullScreen()
    print("shown", flush=True)
    app.exec()
