"""PySide6 6.12.0's lost references to True and False can no longer abort the interpreter.

Run in a fresh interpreter: the leak is real and would end this test process too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CALLS = 20000  # many times the whole reference count True has in a fresh app (about 600 to 2400)
SCRIPT = f"""
import sys
{{setup}}
from PySide6.QtCore import QCoreApplication, QObject, Signal
app = QCoreApplication([])
class Source(QObject):
    ping = Signal(int)
source = Source()
def slot(n): pass
for n in range({CALLS}):
    source.ping.connect(slot)
    source.ping.emit(n)
    source.ping.disconnect(slot)
print("survived")
"""


def _run(setup: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SCRIPT.format(setup=setup)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_emit_and_disconnect_no_longer_abort_once_the_app_package_is_imported():
    done = _run("import app")
    assert done.returncode == 0 and done.stdout.strip() == "survived", done.stderr[-500:]


def test_without_the_workaround_the_bug_is_still_there():
    """If this starts passing, PySide6 fixed it: app/platform/pyside_workarounds.py can then go."""
    if sys.version_info >= (3, 12):
        pytest.skip("True is immortal on Python 3.12+: the bug cannot show")
    done = _run("")
    assert done.returncode != 0 and "bool_dealloc" in done.stderr
