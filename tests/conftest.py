"""Shared fixtures: tiny synthetic checkpoints and their conversions, made once per session.

No weights are downloaded: every model here is generated with random weights by
`convert.synthetic` and converted by the real converter.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from convert.pipeline import convert_checkpoint  # noqa: E402  (needs the path above)
from convert.synthetic import make_checkpoint  # noqa: E402
from tests.system_programs import require  # noqa: E402

CHECKPOINT_SEED = 7


def pytest_configure(config):
    config.addinivalue_line("markers", "programs(*names, install=''): the system programs the test drives "
                                       "(tests/system_programs.py: a failure in CI when missing, a skip elsewhere)")


def pytest_runtest_setup(item):
    for marker in item.iter_markers("programs"):  # before the test's fixtures, which may start the programs
        require(*marker.args, **marker.kwargs)


class Checkpoints:
    """Makes each layout's tiny checkpoint on first use (all with one seed, so the same weights)."""

    def __init__(self, base: Path):
        self._base = base
        self._made: dict[str, Path] = {}

    def __getitem__(self, layout: str) -> Path:
        if layout not in self._made:
            self._made[layout] = make_checkpoint(self._base / layout, "tiny", layout, seed=CHECKPOINT_SEED)
        return self._made[layout]


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory) -> Checkpoints:
    return Checkpoints(tmp_path_factory.mktemp("checkpoints"))


class Conversions:
    """Converts each (layout, quant, mmproj type) once and hands out the paths."""

    def __init__(self, checkpoints: dict[str, Path], base: Path):
        self._checkpoints = checkpoints
        self._base = base
        self._done = {}

    def get(self, layout: str, quant: str = "F32", mmproj: str = "f32"):
        key = (layout, quant, mmproj)
        if key not in self._done:
            out = self._base / f"{layout}-{quant}-{mmproj}"
            self._done[key] = convert_checkpoint(self._checkpoints[layout], out, quant, mmproj)
        return self._done[key]


@pytest.fixture(scope="session")
def conversions(checkpoints, tmp_path_factory) -> Conversions:
    return Conversions(checkpoints, tmp_path_factory.mktemp("gguf"))


@pytest.fixture(autouse=True, scope="session")
def _test_environment():
    # Speech is silent in tests unless a test asks for the real engine (no test speaks aloud).
    os.environ.setdefault("VISIONPANGU_SPEECH", "null")
    yield
