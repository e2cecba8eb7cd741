"""`python main.py` subcommands, run as a user would."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_help_lists_subcommands():
    proc = run("--help")
    assert proc.returncode == 0
    for command in ("convert", "make-checkpoint"):
        assert command in proc.stdout


def test_make_checkpoint_then_convert_writes_pair_and_manifest(tmp_path):
    ckpt, out = tmp_path / "ckpt", tmp_path / "models"
    made = run("make-checkpoint", "--size", "tiny", "--layout", "llava", "--out", str(ckpt))
    assert made.returncode == 0, made.stderr
    assert {"config.json", "tokenizer.model", "tokenizer_config.json", "model.safetensors.index.json"} <= {
        p.name for p in ckpt.iterdir()}
    done = run("convert", str(ckpt), "--out", str(out), "--quant", "Q8_0", "--mmproj-type", "q8_0")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "mmproj-q8_0.gguf", "model-Q8_0.gguf"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["source"]["layout"] == "llava"
    for part in ("model", "mmproj"):
        path = out / manifest[part]["file"]
        assert manifest[part]["size"] == path.stat().st_size
        assert manifest[part]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_quant_is_q4_k_m_with_the_mmproj_type_llama_cpp_runs_fastest(checkpoints, tmp_path):
    import gguf

    from engine.cpu_features import choose_mmproj_type, llama_cpp_features

    done = run("convert", str(checkpoints["internvl"]), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    chosen = choose_mmproj_type(llama_cpp_features())  # bf16 where llama.cpp reports AVX512_BF16, else f16
    assert f"Vision encoder: {chosen.type.upper()} ({chosen.reason})." in done.stdout
    model = gguf.GGUFReader(tmp_path / "model-Q4_K_M.gguf")
    mmproj = gguf.GGUFReader(tmp_path / f"mmproj-{chosen.type}.gguf")
    types = {t.name: t.tensor_type.name for t in model.tensors}
    assert types["blk.0.ffn_gate.weight"] == "Q4_K"
    assert {t.tensor_type.name for t in mmproj.tensors if t.name.endswith("attn_q.weight")} == {chosen.type.upper()}
    arch = model.fields["general.architecture"]
    assert bytes(arch.parts[arch.data[0]]).decode() == "pangu-embedded"


def test_convert_with_relative_folders_quantizes_from_the_callers_folder(checkpoints, tmp_path):
    """The quantizer child runs in another folder, so relative paths must reach it resolved."""
    checkpoint = tmp_path / "ckpt"
    checkpoint.symlink_to(checkpoints["internvl"], target_is_directory=True)
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "convert", "ckpt", "--out", "models",
                           "--mmproj-type", "f16"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [
        "manifest.json", "mmproj-f16.gguf", "model-Q4_K_M.gguf"]
