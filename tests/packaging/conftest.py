"""The frozen app under test: dist/visionpangu-assistant/, made by `bash packaging/build.sh`.

Without a build these tests are skipped (the README's test command runs before any build);
`.ci/run` builds it and then names it in VISIONPANGU_FROZEN_APP, where a missing build fails.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FROZEN_APP_ENV = "VISIONPANGU_FROZEN_APP"
DEFAULT_EXECUTABLE = ROOT / "dist" / "visionpangu-assistant" / "visionpangu-assistant"
CLEAN_PATH = "/usr/bin:/bin"  # no venv, no Python of the project's on the way
RUN_TIMEOUT_S = 300


@pytest.fixture(scope="session")
def frozen_executable() -> Path:
    named = os.environ.get(FROZEN_APP_ENV)
    executable = Path(named) if named else DEFAULT_EXECUTABLE
    if not (executable.is_file() and os.access(executable, os.X_OK)):
        if named:
            pytest.fail(f"{FROZEN_APP_ENV} names {executable}, which is not an executable: run packaging/build.sh")
        pytest.skip("no frozen build: run `bash packaging/build.sh` first")
    return executable.resolve()


def clean_environment(home: Path, **extra: str) -> dict[str, str]:
    """What `env -i` plus a desktop session leaves: HOME and PATH, and what the test names."""
    home.mkdir(parents=True, exist_ok=True)
    return {"HOME": str(home), "PATH": CLEAN_PATH, **extra}


@pytest.fixture
def run_frozen(frozen_executable, tmp_path):
    """Runs the frozen app to the end in a clean environment, from a folder outside the repository."""
    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(frozen_executable), *args], cwd=tmp_path, capture_output=True, text=True,
                              env=env if env is not None else clean_environment(tmp_path / "home"),
                              timeout=RUN_TIMEOUT_S)
    return run
