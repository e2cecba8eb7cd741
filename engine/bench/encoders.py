"""`bench --encoders`: the vision encoder as llama.cpp's mtmd runs it, against OpenVINO's (engine/encoder).

Each encoder runs in a fresh child process (`python -m engine.bench.encoders`), one after the
other, on the same mmproj file and the same picture: the glance's, the 1920x1080 screen scaled to
one tile as the app scales it (448x252), which mtmd stretches to its 448x448 overview and
OpenVINO gets as engine/encoder/tiles.py cuts it: one warm-up encode, then ROUNDS timed ones. Memory is the child's own:
resident memory after the encoder is ready and at its peak (VmHWM), each less what the process
held before loading it (Python, numpy, llama.cpp's library and, for mtmd, the language model's
vocabulary, which mtmd checks the projector against). The embeddings of both are compared
(max abs difference over max |mtmd|, cosine): the same model, so they must agree to the BF16
rounding of the two implementations.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MODULE = "engine.bench.encoders"
ROOT = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT_S = 600
ROUNDS = 3
MTMD, OPENVINO = "mtmd", "openvino"
ENCODERS = (MTMD, OPENVINO)


def _resident_bytes() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _encode_mtmd(model_path: str, mmproj_path: str, n_threads: int, tile: np.ndarray):
    from engine import llama_library
    from engine.llama_settings import ENCODER_FLASH_ATTENTION
    from engine.multimodal import CHUNK_IMAGE, MultimodalContext
    from engine.prompts import IMAGE, TEXT, Piece

    llama_cpp = llama_library.load()
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True  # the projector's size is checked against the language model's; no weights needed
    model = llama_cpp.llama_model_load_from_file(model_path.encode(), params)
    n_embd = _text_n_embd(model_path)  # a vocabulary-only model reports 0
    before = _resident_bytes()
    started = time.perf_counter()
    mtmd = MultimodalContext(mmproj_path, model, n_threads, flash_attn=ENCODER_FLASH_ATTENTION)
    chunks = mtmd.tokenize([Piece(TEXT, "look: "), Piece(IMAGE)], [tile], add_special=False)
    index = next(i for i in range(len(chunks)) if chunks.describe(i).kind == CHUNK_IMAGE)
    return before, started, lambda _picture: mtmd.encode_image(chunks, index, n_embd)  # the picture tokenized above


def _text_n_embd(model_path: str) -> int:
    from engine import model_files

    reader = model_files.read_gguf(Path(model_path))
    return int(model_files.header_field(reader, f"{model_files.header_field(reader, 'general.architecture')}.embedding_length"))


def _encode_openvino(mmproj_path: str, n_threads: int):
    from engine.encoder.openvino_encoder import OpenVinoEncoder
    from engine.encoder.tiles import tiles

    before = _resident_bytes()
    started = time.perf_counter()
    encoder = OpenVinoEncoder(mmproj_path, n_threads)
    shape = encoder.shape

    def encode(picture: np.ndarray) -> np.ndarray:  # the glance is one tile, its overview (the cut: 2-7 ms)
        (tile,) = tiles(picture, shape.image_size, 1, 1)
        return encoder.encode(tile)

    return before, started, encode


def _child(name: str, model_path: str, mmproj_path: str, n_threads: str, out: str) -> None:
    from engine.bench.images import make
    from engine.images import fit_tiles
    from engine.process_memory import peak_rss_bytes

    glance = np.ascontiguousarray(fit_tiles(make("screen-1920x1080", seed=0), 1))
    if name == MTMD:
        before, started, encode = _encode_mtmd(model_path, mmproj_path, int(n_threads), glance)
    else:
        before, started, encode = _encode_openvino(mmproj_path, int(n_threads))
    embeddings = encode(glance)  # the first encode also pays first-use costs (mtmd's warm-up, OpenVINO's repack)
    load_s = time.perf_counter() - started
    ready = _resident_bytes()
    times = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        embeddings = encode(glance)
        times.append(time.perf_counter() - t0)
    np.save(out, embeddings)
    print(json.dumps({"encoder": name, "load_s": load_s, "encode_s": times, "ready_bytes": ready - before,
                      "peak_bytes": peak_rss_bytes(os.getpid()) - before}))


def openvino_has_bf16() -> bool:
    from engine.encoder.openvino_encoder import available, cpu_has_bf16

    return available() and cpu_has_bf16()


def run_encoders(model_path: Path, mmproj_path: Path, n_threads: int) -> list[dict]:
    from engine.encoder.openvino_encoder import available

    rows = []
    with tempfile.TemporaryDirectory(prefix="visionpangu-bench-") as folder:
        for name in ENCODERS:
            if name == OPENVINO and not available():
                print("... openvino is not installed: mtmd only", file=sys.stderr, flush=True)
                continue
            print(f"... the vision encoder through {name}", file=sys.stderr, flush=True)
            out = Path(folder) / f"{name}.npy"
            proc = subprocess.run([sys.executable, "-m", MODULE, name, str(model_path), str(mmproj_path),
                                   str(n_threads), str(out)],
                                  cwd=ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
            if proc.returncode != 0:
                raise RuntimeError(f"the {name} encoder failed: {proc.stderr.strip()[-500:]}")
            rows.append({**json.loads(proc.stdout.strip().splitlines()[-1]), "embeddings": np.load(out)})
    reference = rows[0]["embeddings"]
    for row in rows:
        got = row.pop("embeddings").astype(np.float64).ravel()
        want = reference.astype(np.float64).ravel()
        row["max_rel_diff_to_mtmd"] = float(np.abs(got - want).max() / np.abs(want).max())
        row["cosine_to_mtmd"] = float(got @ want / (np.linalg.norm(got) * np.linalg.norm(want)))
    return rows


def print_encoders(rows: list[dict]) -> None:
    print("encoder | load + first encode s | s/tile (each round) | resident GB when ready | peak GB | "
          "max diff / max |mtmd| | cosine to mtmd")
    for r in rows:
        print(f"{r['encoder']} | {r['load_s']:.2f} | {', '.join(f'{t:.2f}' for t in r['encode_s'])} | "
              f"{r['ready_bytes'] / 1e9:.3f} | {r['peak_bytes'] / 1e9:.3f} | {r['max_rel_diff_to_mtmd']:.2e} | "
              f"{r['cosine_to_mtmd']:.6f}")
    if len(rows) == 2:
        mtmd, openvino = (min(r["encode_s"]) for r in rows)
        print(f"OpenVINO encodes a tile in {openvino / mtmd:.2f} x mtmd's time (fastest rounds)")


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.CRITICAL)
    _child(*sys.argv[1:])
