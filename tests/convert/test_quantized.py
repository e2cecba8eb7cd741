"""Quantized outputs stay within a stated tolerance of the F32 conversion on the tiny model.

The figures print with `pytest -s`. Q4_K_M really uses k-quants here: the tiny
model's rows are 256 wide (a k-quant super-block).
"""

from __future__ import annotations

import numpy as np
import pytest

from convert.reference import ReferenceModel
from tests.convert.numerics import compare
from tests.convert.test_equality import PROMPT, load_llama, mtmd_embeddings, test_image

# quant -> (max relative abs error, min cosine) of all logits against the source model
# (measured on the tiny model: F16 1.8e-4 / 0.9999999, Q8_0 6.9e-3 / 0.99987,
#  Q5_K_M 2.4e-2 / 0.998, Q4_K_M 4.8e-2 / 0.994, Q4_0 6.0e-2 / 0.990; random Gaussian weights quantize
#  worse than trained ones, so these bounds are loose for a real checkpoint)
TEXT_TOLERANCE = {
    "F16": (1e-3, 0.99999),
    "Q8_0": (2e-2, 0.9995),
    "Q5_K_M": (6e-2, 0.995),
    "Q4_K_M": (1.2e-1, 0.985),
    "Q4_0": (1.5e-1, 0.975),
}
# measured: f16 5.7e-4 / 0.9999998, bf16 2.8e-3 / 0.9999959, q8_0 1.5e-2 / 0.99990.
# BF16 stores the bf16 checkpoint's weights exactly (tests/convert/test_bf16.py), but ggml multiplies
# BF16 weights by activations rounded to bf16 (the CPU back end's vec_dot_type for BF16, ggml-cpu.c
# type_traits_cpu), whose 8-bit significand is 4x coarser than f16's 11 bits (unit roundoff 2^-9
# against 2^-11): so about 4x f16's error, and bounds with the same margin as f16's.
MMPROJ_TOLERANCE = {"f16": (2e-3, 0.99999), "bf16": (8e-3, 0.99998), "q8_0": (4e-2, 0.9995)}


@pytest.mark.parametrize("quant", list(TEXT_TOLERANCE))
def test_text_model_quantization_tolerance(quant, checkpoints, conversions):
    result = conversions.get("internvl", quant, "f16")
    assert result.model_path.name == f"model-{quant}.gguf"
    llm = load_llama(result.model_path)
    ids = llm.tokenize(PROMPT.encode(), add_bos=True, special=True)
    llm.eval(ids)
    got = np.array(llm.scores[: len(ids)])
    ref = ReferenceModel(checkpoints["internvl"])
    want = ref.logits(ref.embed_tokens(ids))
    rel, cos = compare(f"{quant} logits", got, want)
    max_rel, min_cos = TEXT_TOLERANCE[quant]
    assert rel < max_rel and cos > min_cos


def test_q4_k_m_is_really_smaller(conversions):
    f16 = conversions.get("internvl", "F16", "f16").model_path.stat().st_size
    q4 = conversions.get("internvl", "Q4_K_M", "f16").model_path.stat().st_size
    print(f"tiny language model: F16 {f16} bytes, Q4_K_M {q4} bytes")
    assert q4 < 0.5 * f16


@pytest.mark.parametrize("mmproj", list(MMPROJ_TOLERANCE))
def test_mmproj_quantization_tolerance(mmproj, checkpoints, conversions):
    result = conversions.get("internvl", "F32", mmproj)
    llm = load_llama(result.model_path)
    image = test_image()
    got = mtmd_embeddings(result, llm, image)
    want = ReferenceModel(checkpoints["internvl"]).image_embeddings(image)
    rel, cos = compare(f"mmproj {mmproj} image embeddings", got, want)
    max_rel, min_cos = MMPROJ_TOLERANCE[mmproj]
    assert rel < max_rel and cos > min_cos
