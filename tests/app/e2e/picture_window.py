"""A picture filling the screen at its own size (`python picture_window.py PNG`): what the screen shows, known exactly."""

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication, QLabel

if __name__ == "__main__":
    app = QApplication(sys.argv[:1])
    window = QLabel()
    window.setPixmap(QPixmap(sys.argv[1]))
    window.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    window.setStyleSheet("background: white")
    window.showFullScreen()
    app.exec()
