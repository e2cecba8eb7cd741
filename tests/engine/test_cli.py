"""`python main.py describe`, run as a user would: streaming, follow-ups, JSON, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def cli_env(env_model_dir: Path | None = None) -> dict:
    import os

    env = dict(os.environ)
    env.pop("VISIONPANGU_MODEL_DIR", None)
    if env_model_dir is not None:
        env["VISIONPANGU_MODEL_DIR"] = str(env_model_dir)
    return env


def run(*args: str, stdin=None, env_model_dir: Path | None = None, timeout=300, **popen):
    """`main.py describe ARGS`; `stdin`: bytes to feed it, or a file to read from; `popen` goes to subprocess."""
    feed = {"input": stdin} if stdin is None or isinstance(stdin, bytes) else {"stdin": stdin}
    return subprocess.run([sys.executable, "main.py", "describe", *args], cwd=ROOT, capture_output=True,
                          timeout=timeout, env=cli_env(env_model_dir), **feed, **popen)


@pytest.fixture(scope="module")
def model_dir(conversions) -> Path:
    return conversions.get("internvl", "Q4_K_M", "f16").model_path.parent


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("img") / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)).save(path)
    return path


def test_describes_and_answers_follow_ups(model_dir, photo):
    proc = run(str(photo), "--model-dir", str(model_dir), "--detail", "brief",
               "--question", "What is on the left?", "--question", "Any text?")
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert out.count("\nQ: ") == 2 and "Q: What is on the left?\nA: " in out and "Q: Any text?\nA: " in out
    assert proc.stderr.decode() == ""  # llama.cpp's logs stay out of the user's terminal


def test_json_events_and_model_dir_from_environment(model_dir, photo):
    proc = run(str(photo), "--json", "--question", "Why?", env_model_dir=model_dir)
    assert proc.returncode == 0, proc.stderr.decode()
    events = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "loaded" and kinds[-1] == "done" and kinds.count("done") == 2 and "question" in kinds
    first_done = next(e for e in events if e["event"] == "done")
    chunks = [e["text"] for e in events[1 : events.index(first_done)]]
    assert first_done["text"] == "".join(chunks)
    assert first_done["stats"]["image_encodes"] == 1 and first_done["stats"]["first_token_s"] > 0
    assert events[-1]["stats"]["image_encodes"] == 0  # the follow-up did not re-encode


def test_image_from_stdin(model_dir, photo):
    proc = run("-", "--model-dir", str(model_dir), "--detail", "brief", stdin=photo.read_bytes())
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().strip()


def test_black_image_is_answered_honestly_without_a_model(tmp_path):
    path = tmp_path / "black.png"
    Image.new("RGB", (800, 600)).save(path)
    proc = run(str(path), "--model-dir", str(tmp_path / "no-model-here"))
    assert proc.returncode == 0
    assert "completely black" in proc.stdout.decode()


@pytest.mark.parametrize("content,message", [
    (b"hello, I am a text file", "not an image"),
    (b"", "empty"),
])
def test_bad_image_exit_2(tmp_path, model_dir, content, message):
    path = tmp_path / "file.png"
    path.write_bytes(content)
    proc = run(str(path), "--model-dir", str(model_dir))
    assert proc.returncode == 2
    assert message in proc.stderr.decode() and "Traceback" not in proc.stderr.decode()


def test_missing_image_exit_2(tmp_path, model_dir):
    proc = run(str(tmp_path / "nope.jpg"), "--model-dir", str(model_dir))
    assert proc.returncode == 2 and "does not exist" in proc.stderr.decode()


def test_no_model_exit_3(tmp_path, photo):
    proc = run(str(photo), "--model-dir", str(tmp_path))
    assert proc.returncode == 3
    err = proc.stderr.decode()
    assert "No model found" in err and "python main.py convert" in err and "Traceback" not in err


def test_truncated_model_exit_3(tmp_path, model_dir, photo):
    broken = Path(shutil.copytree(model_dir, tmp_path / "models"))
    model = broken / "model-Q4_K_M.gguf"
    model.write_bytes(model.read_bytes()[:5000])
    proc = run(str(photo), "--model-dir", str(broken))
    assert proc.returncode == 3
    assert "model-Q4_K_M.gguf is damaged or incomplete" in proc.stderr.decode()


def test_engine_failure_exit_4(model_dir, photo):
    too_long = "word " * 3000  # within engine.user_text's limit, but more tokens than the whole context holds
    proc = run(str(photo), "--model-dir", str(model_dir), "--detail", "brief", "--question", too_long)
    assert proc.returncode == 4
    err = proc.stderr.decode()
    assert "too long" in err and "Traceback" not in err


def test_debug_shows_details_only_when_asked(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(b"not an image")
    assert "Traceback" not in run(str(path), "--debug").stderr.decode()


@pytest.mark.parametrize("detail, close_ups", [("standard", 3), ("detailed", 6)])
def test_second_look(model_dir, tmp_path, detail, close_ups):
    """As the app does: a brief glance, then the chosen level's number of close-ups."""
    path = tmp_path / "screen.png"
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)).save(path)
    proc = run(str(path), "--model-dir", str(model_dir), "--detail", detail, "--second-look", "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    events = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    kinds = [e["event"] for e in events if e["event"] in ("second_look", "done")]
    assert kinds == ["done"] + ["second_look", "done"] * close_ups  # the glance, then one close-up at a time
    looks = [e for e in events if e["event"] == "second_look"]
    assert all(len(e["regions"]) == 1 and e["places"] for e in looks)
    assert len({tuple(e["regions"][0]) for e in looks}) == close_ups
    dones = [e for e in events if e["event"] == "done"]
    assert dones[0]["stats"]["image_tokens"] == 256  # the glance: the overview tile alone
    # each close-up appends to the cached conversation: one new tile each, nothing read again
    assert [d["stats"]["image_encodes"] for d in dones[1:]] == [1] * close_ups


def test_a_reader_that_goes_away_ends_the_run_quietly(model_dir, photo):
    """`describe IMAGE | head -c 20`: the pipe closes early; no error message, exit 0."""
    proc = subprocess.Popen([sys.executable, "main.py", "describe", str(photo), "--model-dir", str(model_dir),
                             "--json", "--question", "And more?"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=cli_env())
    first = proc.stdout.readline()
    assert json.loads(first)["event"] == "loaded"
    proc.stdout.close()  # the reader is gone; the next write fails with a broken pipe
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and b"Something went wrong" not in err, err.decode()


def test_many_follow_ups_set_the_earliest_aside_and_say_so_once(model_dir, photo):
    questions = [arg for n in range(18) for arg in ("--question", f"Question {n}: what else is there?")]
    proc = run(str(photo), "--model-dir", str(model_dir), "--detail", "brief", *questions)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().count("\nQ: ") == 18  # every question answered
    assert proc.stderr.decode().count("no longer remembers the earliest questions") == 1


def test_an_answer_cut_short_by_a_full_memory_says_so(model_dir, photo):
    """A follow-up that leaves less than a whole answer's room is answered in the room left, and told."""
    from engine.client import DEFAULT_CONTEXT
    from engine.prompts import follow_up_max_tokens
    from engine.context_budget import MIN_ANSWER_TOKENS

    def ask(words: int) -> list[dict]:
        proc = run(str(photo), "--model-dir", str(model_dir), "--detail", "brief", "--json",
                   "--question", "word " * words)
        assert proc.returncode == 0, proc.stderr.decode()
        events = [json.loads(line) for line in proc.stdout.decode().splitlines()]
        return [event["stats"] for event in events if event["event"] == "done"]

    described, short = ask(100)
    _, longer = ask(200)
    per_word = (longer["prompt_tokens"] - short["prompt_tokens"]) / 100
    # a question that leaves room for more than MIN_ANSWER_TOKENS but less than a whole answer
    room = (MIN_ANSWER_TOKENS + follow_up_max_tokens()) // 2
    free = DEFAULT_CONTEXT - described["prompt_tokens"] - described["n_tokens"] - short["prompt_tokens"] - room
    words = 100 + int(free / per_word)
    proc = run(str(photo), "--model-dir", str(model_dir), "--detail", "brief", "--question", "word " * words)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "\nQ: " in proc.stdout.decode()
    assert "The answer stopped early: the model's memory for this image is full." in proc.stderr.decode()


def test_a_command_line_run_loads_nothing_of_the_desktop_app(tmp_path):
    """describe (as convert and bench) needs no Qt: neither the app package nor PySide6 is imported."""
    code = ("import sys, main; code = main.main(['describe', sys.argv[1]]); "
            "print(code, 'app' in sys.modules, any(m.startswith('PySide6') for m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "missing.png")], cwd=ROOT,
                          capture_output=True, timeout=120)
    assert proc.stdout.decode().split() == ["2", "False", "False"], proc.stderr.decode()
