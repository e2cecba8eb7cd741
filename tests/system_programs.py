"""The system programs tests drive (Xvfb, xdotool, espeak-ng, Java, a C compiler...).

.ci/run installs every one of them, so in CI a missing program is a failure, never a skip: a
test skipped there would pass without running. Elsewhere the test skips and says what to install.
A test asks in one of two ways: `require(...)` in its body or fixture, or the marker
`@pytest.mark.programs("xdotool", "xmessage", install="apt-get install xdotool x11-utils")` on a
test or as a module's `pytestmark` (tests/conftest.py checks it before the test's fixtures run).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def missing(*programs: str) -> list[str]:
    """The programs not on PATH; a program given as an absolute path must exist there."""
    return [p for p in programs if not (Path(p).exists() if os.path.isabs(p) else shutil.which(p))]


def fail_or_skip(message: str) -> None:
    if in_ci():
        pytest.fail(f"{message}; .ci/run installs it, so in CI its absence is a failure")
    pytest.skip(message)


def require(*programs: str, install: str = "") -> None:
    absent = missing(*programs)
    if absent:
        fail_or_skip(f"needs {', '.join(absent)}" + (f" ({install})" if install else ""))


def first_found(*programs: str, install: str = "") -> str:
    """The path of the first of `programs` on PATH (one of several names for the same tool)."""
    for program in programs:
        found = shutil.which(program)
        if found:
            return found
    fail_or_skip(f"needs one of {', '.join(programs)}" + (f" ({install})" if install else ""))
    raise AssertionError("unreachable")  # fail_or_skip raises
