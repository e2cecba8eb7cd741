"""The first-sound measurement drives the real app on its own Xvfb and breaks its wait down, step by step.

`python main.py bench --first-sound` on the tiny speaking model: the app as its own process,
the global shortcut pressed with xdotool while another application's window is focused, every
step's moment read from the app's timeline, and llama.cpp's own one-tile floor beside them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from engine.bench.desktop import missing_programs
from engine.bench.first_sound import FIRST_SOUND_FLOOR_RATIO, SPEECH_START_LIMIT_S, STEPS
from tests.app.e2e.desktop import ROOT
from tests.system_programs import fail_or_skip, missing

RUN_TIMEOUT_S = 600
SPEECH_START_SANITY_S = 1.0  # the target (0.25 s) is the benchmark's; this only catches a broken path


def test_key_press_to_first_sound_is_measured_in_the_real_app(speaking_model_dir):
    absent = missing_programs() + missing("espeak-ng")
    if absent:
        fail_or_skip(f"needs {', '.join(absent)}")
    done = subprocess.run([sys.executable, "main.py", "bench", "--first-sound", "--model-dir", str(speaking_model_dir),
                           "--presses", "2", "--json"], cwd=ROOT, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    assert len(results["presses"]) == 2 and results["speech"] == "file"
    for press in results["presses"]:
        steps = press["steps_s"]
        assert [label for label, _, _ in STEPS] == list(steps)
        assert all(seconds >= 0 for seconds in steps.values()), steps  # each step follows the one before
        assert sum(steps.values()) == pytest.approx(press["first_sound_s"], abs=1e-6)
        assert 0 < press["speech_start_s"] < SPEECH_START_SANITY_S
    assert results["floor_s"] > 0 and len(results["floors_s"]) == 2
    targets = [check["target"] for check in results["targets"]]
    assert str(SPEECH_START_LIMIT_S) in targets[0] and str(FIRST_SOUND_FLOOR_RATIO) in targets[1]
    print(done.stderr.strip().splitlines()[-2:])
