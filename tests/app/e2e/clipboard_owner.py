"""The X clipboard's other side for an end-to-end test.

`python clipboard_owner.py IMAGE.png` copies the image and keeps serving it (on X11 the
program that copied serves the clipboard for as long as it runs, so this stands in for
the image viewer the user copied from); it prints "ready" once it owns the clipboard.
`python clipboard_owner.py --read` prints the clipboard's text as JSON, as a text
editor pasting it would get it.
"""

import json
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication, QImage

READ_DELAY_MS = 200  # let the xcb platform receive the clipboard owner's first answer


def main() -> int:
    app = QGuiApplication(sys.argv[:1])
    if sys.argv[1] == "--read":
        def read():
            print(json.dumps(QGuiApplication.clipboard().text()), flush=True)
            app.quit()

        QTimer.singleShot(READ_DELAY_MS, read)
        return app.exec()
    image = QImage(sys.argv[1])
    if image.isNull():
        print("cannot read image", flush=True)
        return 1
    QGuiApplication.clipboard().setImage(image)
    print("ready", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
