"""OpenVINO's InternViT (engine/encoder) equals the source model, read from the converter's own mmproj.

The ground truth is `convert.reference` (numpy, float64, from the public model definitions). With
F32 or F16 weights the graph computes what the source model computes (the same erf GELU, float32
sums) to about 1e-6 of the embeddings' range, closer than mtmd, which uses the tanh GELU
(tests/convert/test_equality.py allows 2e-3). With BF16 weights the products run in BF16, as ggml's
CPU back end runs a BF16 mmproj, and get the same tolerance as mtmd's BF16 path
(tests/convert/test_quantized.py). The tiny model's tiles are 448x448, which mtmd does not resample.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import gguf
import numpy as np
import pytest

from convert.reference import ReferenceModel
from engine.encoder.internvit_graph import read_shape
from engine.encoder.openvino_encoder import OpenVinoEncoder
from tests.convert.numerics import compare
from tests.convert.test_equality import load_llama, mtmd_embeddings, test_image
from tests.convert.test_quantized import MMPROJ_TOLERANCE

pytest.importorskip("openvino", reason="OpenVINO is a dependency on x86-64 only (pyproject.toml)")
THREADS = 2
# F32/F16 weights with float32 arithmetic: measured 8.8e-7 / 7.6e-7 of the range, cosine 1.0 to 8 digits.
EXACT_MAX_REL_ERROR = 1e-5
EXACT_MIN_COSINE = 0.9999999


@pytest.fixture(scope="module")
def reference_embeddings(checkpoints):
    return ReferenceModel(checkpoints["internvl"]).image_embeddings(test_image())


@pytest.mark.parametrize("mmproj", ["f32", "f16"])
def test_float_weights_give_the_source_models_embeddings(mmproj, conversions, reference_embeddings):
    encoder = OpenVinoEncoder(conversions.get("internvl", "F32", mmproj).mmproj_path, THREADS)
    got = encoder.encode(test_image())
    assert got.shape == reference_embeddings.shape == (256, 256)
    rel, cos = compare(f"openvino, {mmproj} mmproj", got, reference_embeddings)
    assert rel < EXACT_MAX_REL_ERROR and cos > EXACT_MIN_COSINE


def test_bf16_weights_are_as_close_to_the_source_as_mtmds_bf16_path(conversions, reference_embeddings):
    result = conversions.get("internvl", "F32", "bf16")
    got = OpenVinoEncoder(result.mmproj_path, THREADS).encode(test_image())
    rel, cos = compare("openvino, bf16 mmproj", got, reference_embeddings)
    max_rel, min_cos = MMPROJ_TOLERANCE["bf16"]
    assert rel < max_rel and cos > min_cos
    # and it is the BF16 product, not float32 arithmetic on widened weights: those would be ~1e-6 off
    assert rel > 10 * EXACT_MAX_REL_ERROR
    mtmd = mtmd_embeddings(result, load_llama(result.model_path), test_image())
    rel_mtmd, _ = compare("mtmd, bf16 mmproj", mtmd, reference_embeddings)
    assert rel < 3 * rel_mtmd  # the same order as llama.cpp's own BF16 encoder (measured 4.3e-3 against 2.8e-3)


def test_every_tile_is_encoded_on_its_own(conversions):
    encoder = OpenVinoEncoder(conversions.get("internvl", "F32", "f32").mmproj_path, THREADS)
    first, second = test_image(seed=3), test_image(seed=4)
    a, b, a_again = encoder.encode(first), encoder.encode(second), encoder.encode(first)
    assert np.array_equal(a, a_again)  # no state carried from one tile to the next
    assert not np.allclose(a, b)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process's memory (/proc/self/smaps)")
def test_the_files_pages_are_handed_back_and_encoding_still_reads_the_same_weights(conversions):
    path = conversions.get("internvl", "F32", "bf16").mmproj_path
    encoder = OpenVinoEncoder(path, THREADS)
    assert encoder.released
    assert _resident_kb(path) == 0  # OpenVINO encodes from its own packed copy, not from the file
    before = encoder.encode(test_image())
    fresh = OpenVinoEncoder(path, THREADS)
    assert np.array_equal(before, fresh.encode(test_image()))


def _resident_kb(path) -> int:
    """Resident kB of the mappings of `path` in this process (/proc/self/smaps)."""
    total, inside = 0, False
    with open("/proc/self/smaps", encoding="utf-8") as smaps:
        for line in smaps:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5:  # a mapping's header line: address range ... path
                inside = len(fields) >= 6 and fields[5] == str(path)
            elif inside and fields[0] == "Rss:":
                total += int(fields[1])
    return total


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sends itself SIGINT (POSIX)")
def test_encoders_made_and_dropped_in_any_order_leave_signals_working(conversions):
    """OpenVINO's CPU plugin installs a signal stack per instance and puts back the one it found when
    destroyed: with an instance per encoder, two dropped out of order left a freed stack installed and the
    next Ctrl+C was a segmentation fault. In a child, so that the failure is a return code, not this run."""
    script = textwrap.dedent(f"""
        import os, signal, sys, time
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        import numpy as np
        from engine.encoder.openvino_encoder import OpenVinoEncoder
        first = OpenVinoEncoder({str(conversions.get("internvl", "F32", "bf16").mmproj_path)!r}, 1)
        second = OpenVinoEncoder({str(conversions.get("internvl", "F32", "f32").mmproj_path)!r}, 1)
        second.encode(np.zeros((448, 448, 3), np.uint8))
        del first  # made first, dropped first
        del second
        seen = []
        signal.signal(signal.SIGINT, lambda *_: seen.append(True))
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        print("handled" if seen else "not handled")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "handled"), done.stderr[-2000:]


def test_on_windows_the_files_pages_leave_the_working_set_through_virtualunlock(monkeypatch):
    """A stand-in for kernel32 (no Windows here): VirtualUnlock gets the mapping's address and size, and
    its "not locked" answer, what it gives for pages never locked, counts as done."""
    import ctypes

    from engine.encoder import openvino_encoder

    calls, answers = [], iter([(1, 0), (0, openvino_encoder.ERROR_NOT_LOCKED), (0, 5)])

    class Kernel32:
        class VirtualUnlock:  # a function object with argtypes/restype, as ctypes gives
            argtypes = restype = None

            def __new__(cls, address, size):
                calls.append((address.value, size.value))
                result, error = next(answers)
                monkeypatch.setattr(ctypes, "get_last_error", lambda: error, raising=False)  # Windows only
                return result

    monkeypatch.setattr(ctypes, "WinDLL", lambda name, use_last_error=False: Kernel32, raising=False)
    mapped = np.zeros(4096, dtype=np.uint8)
    assert openvino_encoder._trim_from_working_set(mapped)
    assert openvino_encoder._trim_from_working_set(mapped)  # ERROR_NOT_LOCKED: trimmed all the same
    assert not openvino_encoder._trim_from_working_set(mapped)  # any other error: not released
    assert calls == [(mapped.ctypes.data, 4096)] * 3


def test_the_shape_is_read_from_the_file(conversions):
    shape = read_shape(gguf.GGUFReader(conversions.get("internvl", "F32", "bf16").mmproj_path))
    assert (shape.image_size, shape.patch_size, shape.scale_factor, shape.n_tokens) == (448, 14, 2, 256)


def test_a_llava_projector_is_refused_by_name(conversions):
    with pytest.raises(ValueError, match="InternVL"):
        OpenVinoEncoder(conversions.get("llava", "F32", "f32").mmproj_path, THREADS)


def test_a_tensor_the_graph_would_not_read_is_refused_by_name(conversions, tmp_path):
    """Another ViT (a pre-norm, q/k norms) would be computed wrongly without it: refused, not ignored."""
    source = gguf.GGUFReader(conversions.get("internvl", "F32", "f32").mmproj_path)
    writer = gguf.GGUFWriter(tmp_path / "mmproj-extra.gguf", arch="clip")
    for key, field in source.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        writer.add_key_value(key, field.contents(), field.types[0],
                             field.types[-1] if field.types[0] == gguf.GGUFValueType.ARRAY else None)
    for tensor in source.tensors:
        writer.add_tensor(tensor.name, np.asarray(tensor.data).reshape(tuple(reversed(tensor.shape.tolist()))))
    writer.add_tensor("v.pre_ln.weight", np.ones(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ValueError, match="v.pre_ln.weight"):
        OpenVinoEncoder(tmp_path / "mmproj-extra.gguf", THREADS)


def test_a_tile_of_another_size_is_refused_in_plain_words(conversions):
    encoder = OpenVinoEncoder(conversions.get("internvl", "F32", "f32").mmproj_path, THREADS)
    with pytest.raises(ValueError, match="448x448 uint8 RGB"):
        encoder.encode(np.zeros((224, 448, 3), dtype=np.uint8))
