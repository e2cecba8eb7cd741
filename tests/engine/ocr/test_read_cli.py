"""`python main.py read`, run as a user would: the sample's real text, JSON events, exit codes, Ctrl+C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from engine.bench.text_screens import LATIN_FONT, font_file, ui_screen

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "resources" / "samples" / "save-dialog.png"
SAMPLE_TEXT = ["Save changes?", "", 'You have unsaved changes in "report.txt".',
               "Do you want to save them before closing?", "", "Don't save", "", "Cancel", "", "Save"]


def read(*args: str, timeout: float = 180, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", "read", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, input=stdin)


def test_the_sample_screenshot_gives_its_real_text_in_reading_order():
    proc = read(str(SAMPLE))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == SAMPLE_TEXT
    assert proc.stderr == ""


def test_json_has_a_line_event_per_line_and_a_done_event():
    proc = read(str(SAMPLE), "--json")
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    lines, done = events[:-1], events[-1]
    assert [e["text"] for e in lines] == [t for t in SAMPLE_TEXT if t]
    for e in lines:
        assert e["event"] == "line" and set(e) == {"event", "text", "box", "score"}
        x0, y0, x1, y1 = e["box"]
        assert 0 <= x0 < x1 <= 640 and 0 <= y0 < y1 <= 400 and 0.5 <= e["score"] <= 1
    assert done["event"] == "done" and done["n_lines"] == 6
    assert 0 < done["first_line_s"] <= done["total_s"]


def test_black_and_blank_images_say_so(tmp_path):
    for value, word in ((0, "black"), (255, "blank")):
        path = tmp_path / f"{value}.png"
        Image.new("RGB", (800, 600), (value,) * 3).save(path)
        proc = read(str(path))
        assert proc.returncode == 0 and word in proc.stdout, proc.stdout + proc.stderr


def test_a_photo_without_text_says_so(tmp_path):
    from engine.bench.images import photo

    path = tmp_path / "photo.png"
    Image.fromarray(photo(640, 480, seed=3)).save(path)  # sky, ground, soft blobs, noise
    proc = read(str(path), "--json")
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0
    assert events[-2] == {"event": "notice", "text": "No text was found in the image."}
    assert events[-1]["n_lines"] == 0


def test_bad_input_exits_2_in_plain_words(tmp_path):
    (tmp_path / "notes.txt").write_text("not an image")
    for args, words in (([str(tmp_path / "missing.png")], "does not exist"),
                        ([str(tmp_path / "notes.txt")], "not an image"),
                        ([str(tmp_path)], "folder")):
        proc = read(*args)
        assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    proc = read("-", "--json", stdin="")
    assert proc.returncode == 2 and json.loads(proc.stdout)["kind"] == "bad_input"


def test_a_huge_image_is_read(tmp_path, latin_font):
    """6000x3400 (20 Mpx): scaled to the engine's 2688 px long side, then read."""
    from PIL import ImageFont

    path, index = font_file(LATIN_FONT)
    image = Image.new("RGB", (6000, 3400), "white")
    ImageDraw.Draw(image).text((300, 1500), "Battery low: plug in the charger", fill="black",
                               font=ImageFont.truetype(path, 90, index=index))
    image.save(tmp_path / "huge.png")
    proc = read(str(tmp_path / "huge.png"))
    assert proc.returncode == 0 and proc.stdout.strip() == "Battery low: plug in the charger", proc.stderr


def test_too_many_pixels_is_refused(tmp_path):
    Image.new("L", (10000, 7000)).save(tmp_path / "bomb.png")
    proc = read(str(tmp_path / "bomb.png"))
    assert proc.returncode == 2 and "too large" in proc.stderr


def test_ctrl_c_during_a_read_stops_at_once(tmp_path, latin_font):
    path = tmp_path / "screen.png"
    Image.fromarray(ui_screen(1920, 1080, 12, seed=9).image).save(path)
    proc = subprocess.Popen([sys.executable, "main.py", "read", str(path), "--json"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(proc.stdout.readline())  # the read is under way
        assert first["event"] == "line"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=10)
        elapsed = time.monotonic() - sent
        rest, err = proc.communicate()
    finally:
        proc.kill()
    assert code == 130 and err.strip() == "Stopped.", err
    assert elapsed < 1.0
    assert '"done"' not in rest


def test_a_language_the_recognizer_does_not_read_is_said_and_the_text_still_read():
    proc = read(str(SAMPLE), "--language", "Russian", "--json")
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert proc.returncode == 0
    assert events[0]["event"] == "notice" and "Russian" in events[0]["text"]
    assert events[-1]["n_lines"] == 6
