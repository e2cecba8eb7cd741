"""The text reader never uses the network: only the packaged model files, and no connection at all
from the OCR process (each check in a process of its own: an audit hook cannot be removed)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.ocr.models import OcrUnavailable, packaged_models, rapidocr_params

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "resources" / "samples" / "save-dialog.png"


def run_python(code: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_the_config_names_only_packaged_files():
    models = packaged_models()
    params = rapidocr_params(models, 1)
    package = models.folder.parent
    for key in ("Det.model_path", "Rec.model_path", "Global.model_root_dir"):
        assert Path(params[key]).resolve().is_relative_to(package), key
    assert Path(params["Det.model_path"]).is_file() and Path(params["Rec.model_path"]).is_file()


def test_a_missing_model_file_is_refused_in_plain_words(tmp_path, monkeypatch):
    import rapidocr

    (tmp_path / "models").mkdir()
    monkeypatch.setattr(rapidocr, "__file__", str(tmp_path / "__init__.py"))  # an install without its models
    with pytest.raises(OcrUnavailable, match="missing .*nothing is downloaded"):
        packaged_models()


def test_the_guard_refuses_real_connections_and_lookups():
    result = run_python("""
        import socket
        from engine.ocr.offline import NetworkForbidden, forbid_network
        server = socket.create_server(("127.0.0.1", 0))
        forbid_network()
        refused = []
        for attempt in (lambda: socket.create_connection(server.getsockname(), timeout=2),
                        lambda: socket.getaddrinfo("localhost", 80),
                        lambda: __import__("urllib.request").request.urlopen("http://127.0.0.1:9/")):
            try:
                attempt()
            except NetworkForbidden:
                refused.append(True)
        a, b = socket.socketpair()  # local sockets (multiprocessing's pipes) still work
        a.sendall(b"x"); assert b.recv(1) == b"x"
        print(len(refused))
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3"


def test_rapidocr_left_to_its_defaults_would_download_and_the_guard_stops_it(tmp_path):
    """What the guard is for: rapidocr without model paths fetches its model by URL."""
    result = run_python(f"""
        from engine.ocr.offline import NetworkForbidden, forbid_network
        forbid_network()
        from rapidocr import RapidOCR
        ocr = RapidOCR(params={{"Global.model_root_dir": {str(tmp_path)!r}, "Global.log_level": "critical"}})
        try:
            ocr._load_det_model()
        except BaseException as exc:
            chain = [exc]
            while chain[-1].__cause__ or chain[-1].__context__:
                chain.append(chain[-1].__cause__ or chain[-1].__context__)
            print("refused" if any(isinstance(e, NetworkForbidden) for e in chain) else repr(exc))
        else:
            print("loaded")
    """)
    assert result.stdout.strip().endswith("refused"), result.stdout + result.stderr
    assert not any(tmp_path.glob("*.onnx"))


def test_a_real_read_in_the_ocr_process_needs_no_network():
    """The OCR process as the app and `read` start it (the guard on): a real read succeeds."""
    from engine.images import load_image
    from engine.ocr.messages import LineRead, ReadDone, Ready
    from engine.ocr.process import OcrClient

    client = OcrClient(n_threads=1)
    try:
        client.start()
        assert isinstance(client.wait_ready(), Ready)
        client.read(load_image(str(SAMPLE)))
        texts = []
        while not isinstance(event := client.next_event(60), ReadDone):
            assert isinstance(event, LineRead), event
            texts.append(event.line.text)
    finally:
        client.close()
    assert "Save changes?" in texts and "Cancel" in texts
