"""Smoke test of the frozen app (dist/visionpangu-assistant/) in a clean environment: no venv, no Python.

Every command runs the built executable as a user would, with only HOME, PATH=/usr/bin:/bin and
what each test names (DISPLAY, XDG_RUNTIME_DIR, the app's instance name, speech to files): the
command line, llama.cpp's quantizer child, the spawned engine worker, the window on Xvfb taking a
second launch's --describe-file, and its own voice through the system's espeak-ng.
"""

from __future__ import annotations

import json
import platform
import subprocess
import uuid
from pathlib import Path

import psutil
import pytest

from app.launch.instance import forward
from app.launch.instance_address import INSTANCE_ENV, socket_path
from tests.app.conftest import require_xvfb, start_xvfb, stop_xvfb
from tests.app.e2e.desktop import wait_for
from tests.packaging.conftest import ROOT, clean_environment
from tests.system_programs import require

SAMPLE_IMAGE = ROOT / "resources" / "samples" / "save-dialog.png"
EXIT_DONE, EXIT_BAD_INPUT = 0, 2  # `describe`'s documented exit codes (README, "Commands")
STOP_WAIT_S = 10


@pytest.fixture(scope="module")
def frozen_model(frozen_executable, tmp_path_factory) -> Path:
    """A tiny model made and converted by the frozen app itself (its answers are words, so they can be heard)."""
    base = tmp_path_factory.mktemp("frozen-model")
    env = clean_environment(base / "home")
    for args in (["make-checkpoint", "--size", "tiny", "--speaks-words", "--out", "checkpoint"],
                 ["convert", "checkpoint", "--out", "model"]):  # default Q4_K_M: the quantizer child runs too
        done = subprocess.run([str(frozen_executable), *args], cwd=base, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"{args[0]}: {done.stderr}"
    model = base / "model"
    # The vision encoder's type is `auto`: chosen by the frozen llama.cpp's own CPU report (its child runs too).
    names = sorted(p.name for p in model.iterdir())
    assert names[0] == "manifest.json" and names[2] == "model-Q4_K_M.gguf"
    assert names[1] in ("mmproj-bf16.gguf", "mmproj-f16.gguf")
    manifest = json.loads((model / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["mmproj"]["requested"] == "auto" and manifest["mmproj"]["reason"]
    return model


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="OpenVINO is a dependency on x86-64 only (pyproject.toml)")
def test_the_frozen_worker_runs_openvinos_encoder_from_the_bundled_libraries(run_frozen, frozen_model):
    """OpenVINO's core finds its CPU plugin in the bundle, by path: `--encoder openvino` runs it (not the
    fallback to llama.cpp's, which a missing plugin would give), and the description is made with it."""
    done = run_frozen("describe", str(SAMPLE_IMAGE), "--model-dir", str(frozen_model), "--detail", "brief", "--json",
                      "--encoder", "openvino")
    assert done.returncode == EXIT_DONE, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert (events[0]["event"], events[0]["encoder"]) == ("loaded", "openvino"), events[0]
    assert "".join(event["text"] for event in events if event["event"] == "chunk").strip()


def assert_plain(done: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in done.stderr + done.stdout, done.stderr


def test_help_lists_the_commands(run_frozen):
    done = run_frozen("--help")
    assert done.returncode == 0, done.stderr
    assert_plain(done)
    for command in ("describe", "convert", "make-checkpoint", "--describe-file"):
        assert command in done.stdout
    assert done.stdout.startswith("usage: visionpangu-assistant "), "the executable's own name, not main.py"


def test_describe_answers_a_good_image_in_the_spawned_worker_and_refuses_a_bad_one(run_frozen, frozen_model,
                                                                                    tmp_path):
    done = run_frozen("describe", str(SAMPLE_IMAGE), "--model-dir", str(frozen_model), "--detail", "brief", "--json")
    assert done.returncode == EXIT_DONE, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    kinds = [event["event"] for event in events]
    assert kinds[0] == "loaded" and kinds[-1] == "done", kinds  # the engine worker started and answered
    assert "".join(event["text"] for event in events if event["event"] == "chunk").strip()

    broken = tmp_path / "broken.png"
    broken.write_text("not an image", encoding="utf-8")
    done = run_frozen("describe", str(broken), "--model-dir", str(frozen_model))
    assert done.returncode == EXIT_BAD_INPUT, done.stderr
    assert_plain(done)
    assert done.stderr.strip() and not done.stdout.strip()


def test_read_gives_the_sample_dialogs_real_text_with_the_shipped_ocr_models(run_frozen):
    """The text reader's process, onnxruntime and rapidocr's packaged models inside the frozen app."""
    done = run_frozen("read", str(SAMPLE_IMAGE), "--json")
    assert done.returncode == EXIT_DONE, done.stderr
    assert_plain(done)
    events = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    text = " ".join(event["text"] for event in events if event["event"] == "line")
    assert "Save changes" in text, text
    assert events[-1]["event"] == "done" and events[-1]["n_lines"] >= 3


@pytest.fixture
def xvfb_display():
    require_xvfb()
    process, display = start_xvfb()
    yield display
    stop_xvfb(process)


def test_the_window_answers_a_forwarded_describe_file_and_speaks_it(frozen_executable, frozen_model, xvfb_display,
                                                                    tmp_path):
    from tests.app.speech.helpers import read_wav
    from tests.app.speech.test_real_speech import assert_is_speech

    require("espeak-ng", install="apt-get install espeak-ng")
    runtime, config, said = tmp_path / "runtime", tmp_path / "config", tmp_path / "said"
    runtime.mkdir(mode=0o700)
    config.mkdir()
    (config / "settings.ini").write_text("[describe]\ndetail=brief\n[speech]\noutput=voice\n", encoding="utf-8")
    instance = f"visionpangu-frozen-{uuid.uuid4().hex[:12]}"
    env = clean_environment(tmp_path / "home", DISPLAY=xvfb_display, XDG_RUNTIME_DIR=str(runtime),
                            VISIONPANGU_CONFIG_DIR=str(config), VISIONPANGU_SPEECH=f"file:{said}",
                            **{INSTANCE_ENV: instance})
    socket = socket_path(instance, str(runtime))  # where the app puts it (a deep runtime folder: /tmp)

    def status() -> dict | None:
        return forward({"command": "status"}, str(socket))

    with open(tmp_path / "app.log", "wb") as log:
        app = subprocess.Popen([str(frozen_executable), "--model-dir", str(frozen_model)], cwd=tmp_path, env=env,
                               stdout=log, stderr=log)
    try:
        wait_for(lambda: (status() or {}).get("model") == "ready", "the frozen app's model to load")
        workers = psutil.Process(app.pid).children(recursive=True)
        assert any(Path(worker.exe()) == frozen_executable and "--multiprocessing-fork" in worker.cmdline()
                   for worker in workers), "the engine worker is the frozen program, spawned"
        second = subprocess.run([str(frozen_executable), "--describe-file", str(SAMPLE_IMAGE)], cwd=tmp_path,
                                env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second.stderr
        done = wait_for(lambda: (s := status()) and s["history"] == 1 and s["phase"] == "idle" and s,
                        "the forwarded description")
        assert done["description"].strip() and done["status"] == "Ready."
        spoken = wait_for(lambda: sorted(said.glob("*.wav")) if said.is_dir() else [], "the spoken description")
        samples, rate = read_wav(spoken[0])
        assert_is_speech(samples, rate)
    finally:
        app.terminate()
        try:
            app.wait(STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            app.kill()
            app.wait(STOP_WAIT_S)
    print((tmp_path / "app.log").read_text(errors="replace")[-2000:])
