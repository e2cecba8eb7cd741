"""Where the model runs: the decision, and the real CPU path with it.

This machine's llama.cpp is a CPU-only build and it has no GPU, so the GPU side of the decision
is tested with llama.cpp's capability mocked (`supports_gpu_offload` returning True): the mock
stands for a CUDA, Vulkan or Metal build, which cannot exist here. Everything else is real: the
worker on the tiny model, describing on the CPU, and a session loaded with the GPU settings on
a build that has no GPU, which llama.cpp then runs on the CPU.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import llama_cpp
import pytest

from engine import device
from engine.client import EngineClient
from engine.conversation import Conversation
from engine.device import ALL_LAYERS, RAN_ON_CPU, RAN_ON_GPU, Device
from tests.engine.test_worker import collect, pair, photo  # noqa: F401 (pair: a fixture)

ROOT = Path(__file__).resolve().parents[2]


def test_auto_with_a_gpu_build_puts_the_language_model_and_the_encoder_on_the_gpu():
    placement = device.choose(Device.AUTO, is_offload_supported=True)  # mocked: a GPU build
    assert placement.ran_on == RAN_ON_GPU and placement.n_gpu_layers == ALL_LAYERS and placement.is_encoder_on_gpu


def test_cpu_only_keeps_both_on_the_cpu_even_with_a_gpu_build():
    placement = device.choose(Device.CPU, is_offload_supported=True)  # mocked: a GPU build
    assert placement.ran_on == RAN_ON_CPU and placement.n_gpu_layers == 0 and not placement.is_encoder_on_gpu
    assert "CPU only" in placement.reason


def test_auto_without_a_gpu_build_runs_on_the_cpu_and_says_why():
    placement = device.choose(Device.AUTO, is_offload_supported=False)
    assert placement.ran_on == RAN_ON_CPU and placement.n_gpu_layers == 0 and not placement.is_encoder_on_gpu
    assert "without a GPU back end" in placement.reason


def test_the_capability_is_llama_cpps_own_report():
    assert device.supports_gpu_offload() is bool(llama_cpp.llama_supports_gpu_offload())


def test_a_session_takes_the_gpu_settings_when_the_build_offers_a_gpu(pair, monkeypatch):  # noqa: F811
    """Mocked capability; llama.cpp here has no GPU device, so it runs the same settings on the CPU."""
    from engine.protocol import Load
    from engine.session import Session

    monkeypatch.setattr(device, "supports_gpu_offload", lambda: True)  # mocked: no GPU build here
    session = Session(Load(str(pair.model_path), str(pair.mmproj_path), pair.architecture, pair.chat_template,
                           2, 1024))
    try:
        assert session.placement.ran_on == RAN_ON_GPU
        # what llama.cpp was given: every layer (llama-cpp-python passes -1 on as INT32_MAX, "all")
        n_layers = llama_cpp.llama_model_n_layer(session.llm.model)
        assert session.llm.model_params.n_gpu_layers >= n_layers > 0
        assert session.mtmd.is_on_gpu
    finally:
        session.close()


@pytest.mark.parametrize("setting", list(Device))
def test_the_worker_reports_which_device_ran(pair, setting):  # noqa: F811
    expected = device.choose(setting, device.supports_gpu_offload())  # the real build's answer (here: no GPU)
    client = EngineClient(pair, n_threads=2, device=setting)
    client.start()
    try:
        loaded = client.wait_loaded(120)
        assert (loaded.device, loaded.device_reason) == (expected.ran_on, expected.reason)
        assert not loaded.has_gpu_failed
        done = collect(client, client.describe(Conversation(photo(50), "brief", None)))[-1]
        assert done.kind == "done" and done.stats.device == expected.ran_on
    finally:
        client.close()


def test_describe_json_says_which_device_ran(pair):  # noqa: F811
    proc = subprocess.run([sys.executable, "main.py", "describe", "-", "--model-dir", str(pair.model_path.parent),
                           "--detail", "brief", "--device", "cpu", "--json"], cwd=ROOT, capture_output=True,
                          timeout=300, input=_png())
    assert proc.returncode == 0, proc.stderr.decode()
    events = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    loaded = next(e for e in events if e["event"] == "loaded")
    assert loaded["device"] == RAN_ON_CPU and "CPU only" in loaded["device_reason"]
    assert next(e for e in events if e["event"] == "done")["stats"]["device"] == RAN_ON_CPU


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(photo(51)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_failed_gpu_load_falls_back_to_the_cpu_and_says_why(pair, monkeypatch):  # noqa: F811
    """A GPU build whose GPU cannot hold the pair: mocked (no GPU here), as llama.cpp's failure to load
    (an exception from Llama()); the CPU load after it is the real one, on the tiny model."""
    from engine import session as session_module
    from engine import worker
    from engine.protocol import Load

    monkeypatch.setattr(device, "supports_gpu_offload", lambda: True)  # mocked: a GPU build
    real_session = session_module.Session
    attempts = []

    def session_on_a_full_gpu(load, has_gpu_failed=False):
        attempts.append(has_gpu_failed)
        if not has_gpu_failed:  # mocked: what llama-cpp-python raises when the model cannot be loaded
            raise ValueError("Failed to load model from file")
        return real_session(load, has_gpu_failed)

    monkeypatch.setattr(session_module, "Session", session_on_a_full_gpu)
    session = worker._new_session(Load(str(pair.model_path), str(pair.mmproj_path), pair.architecture,
                                       pair.chat_template, 2, 1024))
    try:
        assert attempts == [False, True]
        assert session.placement == device.CPU_AFTER_GPU_FAILED and session.placement.ran_on == RAN_ON_CPU
        assert session.llm.model_params.n_gpu_layers == 0 and not session.mtmd.is_on_gpu
        assert "GPU could not load" in session.placement.reason and session.placement.has_gpu_failed
    finally:
        session.close()


def test_a_failed_cpu_load_is_not_tried_again(pair, monkeypatch):  # noqa: F811
    from engine import session as session_module
    from engine import worker
    from engine.protocol import Load

    attempts = []

    def failing(load, has_gpu_failed=False):
        attempts.append(has_gpu_failed)
        raise ValueError("Failed to load model from file")

    monkeypatch.setattr(session_module, "Session", failing)
    with pytest.raises(ValueError):
        worker._new_session(Load(str(pair.model_path), str(pair.mmproj_path), pair.architecture, pair.chat_template,
                                 2, 1024, device=Device.CPU))
    assert attempts == [False]
