"""The benchmark's full-size synthetic models: one checkpoint, converted once per format and cached.

The app's own pair is what `convert` makes by default (Q4_K_M, the vision encoder in the format
`auto` picks for this CPU). The peer baseline is the same language model with an F16 mmproj: the
format of published GGUF mmproj files and of llama.cpp's own converter
(convert_hf_to_gguf.py --mmproj writes F16 unless told otherwise), so the bench can say how the
app compares with what a user of llama.cpp's own tools would run on the same machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "bench"
# The synthetic model favours whole-word tokens (convert.synthetic, speaks_words), so its random
# answers are words the app's sentence splitter cuts as it would cut real ones: time to first
# speech is measured, not estimated. Its tokenizer has learnt the app's prompts, so they take
# about as many tokens as with a real tokenizer. Folders named for these: an older cache is not reused.
CHECKPOINT_DIR, MODELS_PREFIX = "checkpoint-prompt-words", "models-prompt-words"
APP_QUANT, APP_MMPROJ = "Q4_K_M", "auto"  # convert's defaults (convert/cli.py)
REFERENCE_MMPROJ = "f16"


def ensure_checkpoint() -> Path:
    from convert.synthetic import make_checkpoint

    checkpoint = CACHE / CHECKPOINT_DIR
    if not (checkpoint / "model.safetensors.index.json").is_file():
        print("Making the full-size synthetic checkpoint (once)...", file=sys.stderr)
        make_checkpoint(checkpoint, "full", "internvl", seed=0, speaks_words=True)
    return checkpoint


def ensure_model(quant: str = APP_QUANT, mmproj_type: str = APP_MMPROJ) -> Path:
    """The full-size synthetic pair in these formats, converted once and cached."""
    from convert.cli import ProgressBars
    from convert.pipeline import convert_checkpoint

    models = CACHE / f"{MODELS_PREFIX}-{quant}-{mmproj_type}"
    if (models / "manifest.json").is_file():
        return models
    checkpoint = ensure_checkpoint()
    print(f"Converting it to {quant} + {mmproj_type} (once)...", file=sys.stderr)
    bars = ProgressBars()
    convert_checkpoint(checkpoint, models, quant, mmproj_type, bars)
    bars.close()
    return models


def reference_mmproj() -> Path:
    """The F16 vision encoder of the peer baseline (its language model is the app's)."""
    from engine.model_files import find_model_pair

    return find_model_pair(ensure_model(APP_QUANT, REFERENCE_MMPROJ)).mmproj_path
