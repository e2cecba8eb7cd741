"""At 100% and 200% (QT_SCALE_FACTOR=2, usual for low vision) on 1366x768 and 1920x1080 screens, every
window fits and no control is cut off (issue 18).

Each case runs tests/app/ui/layout_probe.py in its own process, since the scale must be set before
the QApplication exists: once on Qt's offscreen platform with a screen of that size, and once in a
real X server (Xvfb) of that size, where screenshots are saved to test-artifacts/layout/ (kept by CI,
ignored by git) and each control in view is found drawn inside its window's screenshot.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.ui.screen_fit import FRAME_ALLOWANCE
from tests.app.conftest import require_xvfb, start_xvfb, stop_xvfb
from tests.app.e2e.desktop import ARTIFACTS as TEST_ARTIFACTS, ROOT

ARTIFACTS = TEST_ARTIFACTS / "layout"
SCREENS = ((1366, 768), (1920, 1080))
SCALES = (1, 2)
PROBE_TIMEOUT_S = 120
WINDOWS = ("main", "main_at_minimum", "setup", "settings")
MIN_DRAWN_CONTROLS = 4  # the fewest any shows: the setup page scrolled at the minimum size (3 texts, status)


def _inside(inner, outer) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return ox <= x and oy <= y and x + w <= ox + ow and y + h <= oy + oh


def _overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _probe(tmp_path: Path, tag: str, scale: int, platform: str, display: str | None = None,
           program: str = "tests.app.ui.layout_probe") -> dict:
    """`program` (a probe module run with OUT_DIR and `tag`) in its own process; the JSON it writes."""
    env = {key: value for key, value in os.environ.items() if key not in ("QT_QPA_PLATFORM", "DISPLAY")}
    env.update(QT_SCALE_FACTOR=str(scale), QT_QPA_PLATFORM=platform, PYTHONPATH=str(ROOT),
               XDG_RUNTIME_DIR=str(tmp_path))
    if display:
        env["DISPLAY"] = display
    os.chmod(tmp_path, 0o700)  # Qt wants a private runtime folder
    done = subprocess.run([sys.executable, "-m", program, str(tmp_path), tag], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((tmp_path / f"{tag}.json").read_text(encoding="utf-8"))


def _check(report: dict, size: tuple[int, int], scale: int) -> None:
    screen = report["screen"]
    assert report["scale"] == scale
    assert screen[2:] == [size[0] // scale, size[1] // scale]  # device-independent pixels
    for key in WINDOWS:
        window = report[key]
        width, height = window["min_hint"]
        assert width + FRAME_ALLOWANCE.width() <= screen[2] and height + FRAME_ALLOWANCE.height() <= screen[3], (
            f"{key}: minimum {width}x{height} does not fit {screen}")
        assert _inside(window["frame"], screen), f"{key}: window {window['frame']} is not on the screen {screen}"
        fixed = []
        for control in window["controls"]:
            rect, name = control["rect"], f"{key}: {control['name']} at {control['rect']}"
            if control["in_scroll"]:  # may scroll out of view vertically, never be cut off at the side
                view = control["view"]
                assert view[0] <= rect[0] and rect[0] + rect[2] <= view[0] + view[2], name
                continue
            assert _inside(rect, window["client"]) and _inside(rect, screen), f"{name} is cut off"
            fixed.append(control)
        for first, second in combinations(fixed, 2):
            assert not _overlap(first["rect"], second["rect"]), f"{key}: {first['name']} overlaps {second['name']}"
    assert report["status_height"] >= report["status_needed_height"], "the wrapped status line is cut off"
    settings = report["settings"]
    for button in report["settings_buttons"]:  # OK and Cancel: always in view, never scrolled away
        assert _inside(button, settings["client"]) and _inside(button, screen)
    stops = report["settings_tab_stops"]
    assert len(stops) >= 20
    for stop in stops:  # Tab brings every setting into view
        assert _inside(stop["rect"], screen), stop
        if stop["view"] is not None:
            assert _inside(stop["rect"], stop["view"]), f"{stop['name']} was left out of view"


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("size", SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_window_fits_the_screen_and_no_control_is_cut_off(tmp_path, size, scale):
    config = tmp_path / "screens.json"
    config.write_text(json.dumps({"screens": [{"name": "probe", "x": 0, "y": 0, "width": size[0],
                                               "height": size[1], "logicalDpi": 96, "dpr": 1}]}))
    _check(_probe(tmp_path, "offscreen", scale, f"offscreen:configfile={config}"), size, scale)


@pytest.fixture(scope="module", params=SCREENS, ids=lambda s: f"{s[0]}x{s[1]}")
def sized_xvfb(request):
    require_xvfb()
    process, display = start_xvfb(f"{request.param[0]}x{request.param[1]}x24")
    yield request.param, display
    stop_xvfb(process)


@pytest.mark.parametrize("scale", SCALES)
def test_in_a_real_x_server_the_windows_fit_and_their_screenshots_are_saved(sized_xvfb, tmp_path, scale):
    size, display = sized_xvfb
    tag = f"{size[0]}x{size[1]}-{scale * 100}pct"
    report = _probe(tmp_path, tag, scale, "xcb", display)
    assert report["platform"] == "xcb"
    _check(report, size, scale)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, key in (("main", "main"), ("main-minimum", "main_at_minimum"), ("setup", "setup"),
                      ("settings", "settings")):
        shot = np.asarray(Image.open(tmp_path / f"{tag}-{name}.png").convert("RGB"))
        frame = report[key]["frame"]
        assert shot.shape[:2] == (frame[3] * scale, frame[2] * scale)  # the whole window, in real pixels
        assert shot.std() > 1, f"{name}: the screenshot is blank"
        Image.fromarray(shot).save(ARTIFACTS / f"{tag}-{name}.png")
        _check_shown(shot, report[key], scale, name)


def _check_shown(shot: np.ndarray, window: dict, scale: int, name: str) -> None:
    """Every control in view is drawn inside the window's screenshot: its pixels are there and not blank."""
    fx, fy = window["frame"][:2]
    drawn = 0
    for control in window["controls"]:
        x, y, w, h = control["rect"]
        if control["in_scroll"]:  # only its part in view is on the screen (Tab scrolls the rest in: above)
            top_in_view, bottom_in_view = max(y, control["view"][1]), min(y + h, sum(control["view"][1::2]))
            if bottom_in_view <= top_in_view:
                continue
            y, h = top_in_view, bottom_in_view - top_in_view
        left, top, right, bottom = ((x - fx) * scale, (y - fy) * scale, (x - fx + w) * scale, (y - fy + h) * scale)
        where = f"{name}: {control['name']} at {control['rect']}"
        assert 0 <= left < right <= shot.shape[1] and 0 <= top < bottom <= shot.shape[0], f"{where} is outside the shot"
        if control["draws"]:
            assert shot[top:bottom, left:right].std() > 1, f"{where} is not drawn on the screen"
            drawn += 1
    assert drawn >= MIN_DRAWN_CONTROLS, f"{name}: only {drawn} controls in view"
