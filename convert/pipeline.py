"""Checkpoint folder -> model-<quant>.gguf + mmproj-<type>.gguf + manifest.json.

Everything is written to hidden temporary files in the output folder and renamed
only when all of it succeeded: a failed or interrupted run leaves no partial model, and
the manifest, renamed first, makes the loader refuse a folder a killed run left mixed.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from convert.config import ModelConfig, load_config, with_tensor_names
from convert.entry import Table
from convert.errors import ConversionError, full_disk_error, is_disk_full, write_error
from convert.families.internvit import vision_table
from convert.families.pangu import text_table
from convert.gguf_out import write_mmproj, write_text_model
from convert.safetensors_io import Checkpoint
from convert.temp_files import remove_left_over, temp_paths
from convert.tokenizer import load_vocab
from engine.cpu_features import MmprojChoice, choose_mmproj_type, query_features  # asks llama.cpp in a child
from engine.manifest import MANIFEST_NAME, sha256_of  # plain Python: the loader checks what this writes

TEXT_QUANTS = ("Q4_K_M", "Q4_0", "Q5_K_M", "Q8_0", "F16", "F32")
MMPROJ_AUTO = "auto"
MMPROJ_TYPES = (MMPROJ_AUTO, "bf16", "f16", "q8_0", "f32")
NAMED_TYPE_REASON = "asked for by name"
MANIFEST_FORMAT = 1
MAX_NAMES_IN_MESSAGE = 5
ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConversionResult:
    model_path: Path
    mmproj_path: Path
    manifest_path: Path
    layout: str
    mmproj_choice: MmprojChoice


def model_file_name(quant: str) -> str:
    return f"model-{quant}.gguf"


def mmproj_file_name(mmproj_type: str) -> str:
    return f"mmproj-{mmproj_type}.gguf"


def _names(names: list[str]) -> str:
    shown = ", ".join(sorted(names)[:MAX_NAMES_IN_MESSAGE])
    more = len(names) - MAX_NAMES_IN_MESSAGE
    return shown + (f" and {more} more" if more > 0 else "")


def build_tables(cfg: ModelConfig, checkpoint: Checkpoint) -> tuple[Table, Table]:
    """The text and vision tables, checked against the checkpoint's tensors and shapes."""
    present = set(checkpoint.names())
    tables = (text_table(cfg.text, cfg.names, present), vision_table(cfg, present))
    used: set[str] = set()
    missing: list[str] = []
    for table in tables:
        used.update(table.skipped)
        for entry in table.entries:
            for name, shape in zip(entry.sources, entry.source_shapes):
                used.add(name)
                if name not in present:
                    missing.append(name)
                elif tuple(checkpoint.shape(name)) != tuple(shape):
                    raise ConversionError(
                        f"Tensor {name} has shape {list(checkpoint.shape(name))}, but config.json implies "
                        f"{list(shape)}. The weights do not match the configuration."
                    )
    if missing:
        raise ConversionError(f"The checkpoint is missing tensors: {_names(sorted(set(missing)))}.")
    unknown = sorted(present - used)
    if unknown:
        raise ConversionError(
            f"Can not map tensor {unknown[0]}" + (f" (and {len(unknown) - 1} more: {_names(unknown[1:])})" if len(unknown) > 1 else "")
            + ". This is not a VisionPangu checkpoint layout the converter knows."
        )
    return tables


def _quantize_in_child(src: Path, dst: Path, quant: str) -> None:
    # The child runs from the project folder (so `-m engine` is found): relative paths must be resolved here.
    proc = subprocess.run(
        [sys.executable, "-m", "engine.quantize", str(src.resolve()), str(dst.resolve()), quant],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
    )
    if proc.returncode != 0:
        log.info("llama.cpp's quantizer said: %s", proc.stdout.strip()[-2000:])
        if is_disk_full(dst.parent):
            raise full_disk_error(dst.parent)
        if -proc.returncode == getattr(signal, "SIGKILL", None):
            # killed from outside: on Linux most often the kernel's out-of-memory killer
            raise ConversionError("The system stopped llama.cpp's quantizer, most likely because memory ran out. "
                                  "Close other programs and convert again.")
        raise ConversionError(f"llama.cpp could not quantize the language model to {quant}. "
                              "Convert again, or choose another type with --quant (for example Q8_0).")


def resolve_mmproj_type(requested: str, vision: Table, checkpoint: Checkpoint) -> MmprojChoice:
    """`auto`: the fastest exact format llama.cpp runs on this machine; a named type as it is."""
    if requested != MMPROJ_AUTO:
        return MmprojChoice(requested, NAMED_TYPE_REASON)
    is_source_bf16 = all(checkpoint.dtype(name) == "BF16"
                         for entry in vision.entries if entry.is_matrix for name in entry.sources)
    return choose_mmproj_type(query_features(), is_source_bf16)


def _check_writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise write_error(out, exc) from exc


def convert_checkpoint(src: Path, out: Path, quant: str = "Q4_K_M", mmproj_type: str = MMPROJ_AUTO,
                       progress_factory=None) -> ConversionResult:
    """Convert; `progress_factory(total, label)` returns a callable taking a step count."""
    src, out = Path(src), Path(out)
    if quant not in TEXT_QUANTS:
        raise ConversionError(f"Unknown quantization {quant}; choose one of {', '.join(TEXT_QUANTS)}.")
    if mmproj_type not in MMPROJ_TYPES:
        raise ConversionError(f"Unknown mmproj type {mmproj_type}; choose one of {', '.join(MMPROJ_TYPES)}.")
    if not src.is_dir():
        raise ConversionError(f"The checkpoint folder {src} does not exist.")
    cfg = load_config(src)
    checkpoint = Checkpoint(src)
    cfg = with_tensor_names(cfg, checkpoint.names())
    vocab = load_vocab(src, cfg.text)
    text, vision = build_tables(cfg, checkpoint)
    _check_writable(out)
    remove_left_over(out)  # a run killed before it could remove its own (Cancel, out of memory)
    choice = resolve_mmproj_type(mmproj_type, vision, checkpoint)
    log.info("vision encoder as %s: %s", choice.type, choice.reason)

    final_model = out / model_file_name(quant)
    final_mmproj = out / mmproj_file_name(choice.type)
    final_manifest = out / MANIFEST_NAME
    is_quantized = quant not in ("F16", "F32")
    temps = temp_paths(out, os.getpid(), int(time.time()))
    tmp_text, tmp_model, tmp_mmproj, tmp_manifest = temps
    total = len(text.entries) + len(vision.entries) + (1 if is_quantized else 0)
    step = progress_factory(total, f"Converting {src.name}") if progress_factory else None
    try:
        write_mmproj(tmp_mmproj, cfg, vision.entries, checkpoint, choice.type.upper(), src.name, step)
        write_text_model(tmp_text if is_quantized else tmp_model, cfg, vocab, text.entries, checkpoint,
                         "F16" if is_quantized else quant, src.name, step)
        if is_quantized:
            _quantize_in_child(tmp_text, tmp_model, quant)
            tmp_text.unlink()
            if step:
                step(1)
        manifest = {
            "format": MANIFEST_FORMAT,
            "source": {"path": str(src.resolve()), "layout": cfg.layout},
            "model": {"file": final_model.name, "type": quant, "size": tmp_model.stat().st_size,
                      "sha256": sha256_of(tmp_model)},
            "mmproj": {"file": final_mmproj.name, "type": choice.type, "requested": mmproj_type,
                       "reason": choice.reason, "size": tmp_mmproj.stat().st_size, "sha256": sha256_of(tmp_mmproj)},
        }
        tmp_manifest.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        # The manifest goes first: until the last rename, the folder's manifest names files it does
        # not match (missing, or an older file by that name), so the loader refuses a folder a
        # killed run left mixed instead of loading a new model with an old projector.
        os.replace(tmp_manifest, final_manifest)
        os.replace(tmp_model, final_model)
        os.replace(tmp_mmproj, final_mmproj)
    except OSError as exc:
        error = write_error(out, exc)  # before the temporary files go: their space tells a full disk
        _remove(temps)
        raise error from exc
    except BaseException:
        _remove(temps)
        raise
    return ConversionResult(final_model, final_mmproj, final_manifest, cfg.layout, choice)


def _remove(paths) -> None:
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
