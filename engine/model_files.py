"""Find the GGUF pair and check it with gguf-py before llama.cpp ever opens it.

llama.cpp aborts the whole process on some malformed files, so every check here is
pure Python: a truncated or corrupted file is reported, never loaded. Paths resolve as
command-line flag, then the VISIONPANGU_MODEL_DIR environment variable, then the
user data folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine import invocation
from engine.manifest import MANIFEST_NAME, ManifestError, read_manifest, verify
from resources import APP_FOLDER

MODEL_DIR_ENV = "VISIONPANGU_MODEL_DIR"
GGUF_MAGIC = b"GGUF"
SUPPORTED_GGUF_VERSIONS = (2, 3)
CLIP_ARCH = "clip"
# Header values llama.cpp divides by or sizes tensors with: a zero (or a negative from a damaged
# file) fails an assertion inside llama.cpp, which ends the process (ggml_abort, ggml.c).
# (key, must the header have it); "{arch}" is the language model's architecture.
TEXT_SIZES = (("{arch}.block_count", True), ("{arch}.embedding_length", True), ("{arch}.attention.head_count", True),
              ("{arch}.attention.head_count_kv", False), ("{arch}.feed_forward_length", False))
VISION_SIZES = (("clip.vision.image_size", True), ("clip.vision.patch_size", True),
                ("clip.vision.embedding_length", True), ("clip.vision.attention.head_count", True),
                ("clip.vision.block_count", True), ("clip.vision.feed_forward_length", False))


class ModelFileError(Exception):
    """One plain sentence naming the file and what to do."""


@dataclass(frozen=True)
class ModelPair:
    model_path: Path
    mmproj_path: Path
    architecture: str
    n_embd: int
    projector_type: str
    chat_template: str | None
    mmproj_type: str = ""  # its matrices' type in the converter's words ("f16", "bf16"); "" if none


def default_model_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_FOLDER, appauthor=False)) / "models"


def resolve_model_dir(flag: str | os.PathLike | None = None) -> Path:
    if flag:
        return Path(flag).expanduser()
    if os.environ.get(MODEL_DIR_ENV):
        return Path(os.environ[MODEL_DIR_ENV]).expanduser()
    return default_model_dir()


def read_gguf(path: Path):
    import gguf

    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as exc:
        raise ModelFileError(f"Cannot read {path}: {exc.strerror}.") from exc
    if len(head) < 8 or head[:4] != GGUF_MAGIC:
        raise ModelFileError(f"{path.name} is not a GGUF model file. Convert the checkpoint again or choose another file.")
    version = int.from_bytes(head[4:8], "little")
    if version not in SUPPORTED_GGUF_VERSIONS:
        raise ModelFileError(f"{path.name} uses GGUF version {version}, which this app cannot read. Convert it again.")
    try:
        reader = gguf.GGUFReader(path)
    except Exception as exc:  # gguf-py raises many types on corrupt files; all mean the same to a user
        raise ModelFileError(f"{path.name} is damaged or incomplete. Convert or copy it again.") from exc
    size = path.stat().st_size
    for tensor in reader.tensors:
        if tensor.data_offset + tensor.n_bytes > size:
            raise ModelFileError(f"{path.name} is truncated: it ends before its data does. Convert or copy it again.")
    return reader


def header_field(reader, key: str, default=None):
    field = reader.fields.get(key)
    if field is None:
        return default
    value = field.parts[field.data[0]]
    if field.types and field.types[0].name == "STRING":
        return bytes(value).decode("utf-8", errors="replace")
    return value.tolist()[0] if hasattr(value, "tolist") else value


def _check_sizes(reader, path: Path, sizes: tuple[tuple[str, bool], ...], arch: str) -> None:
    for template, is_required in sizes:
        key = template.format(arch=arch)
        value = header_field(reader, key)
        if value is None and not is_required:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            shown = "missing" if value is None else f"{value}"
            raise ModelFileError(f"{path.name} is damaged: its header value {key} is {shown}, which no usable model has. "
                                 "Convert or copy it again.")


def _check_model(path: Path):
    """The language model's (reader, architecture, embedding width); ModelFileError if unusable."""
    model = read_gguf(path)
    arch = header_field(model, "general.architecture", "")
    if arch == CLIP_ARCH:
        raise ModelFileError(f"{path.name} is a vision projector, not a language model. Check the file names.")
    n_embd = header_field(model, f"{arch}.embedding_length")
    if n_embd is None:
        raise ModelFileError(f"{path.name} has no embedding length: it is not a usable language model.")
    _check_sizes(model, path, TEXT_SIZES, arch)
    return model, arch, int(n_embd)


def _check_mmproj(path: Path):
    mmproj = read_gguf(path)
    if header_field(mmproj, "general.architecture") != CLIP_ARCH or not header_field(mmproj, "clip.has_vision_encoder", False):
        raise ModelFileError(f"{path.name} has no vision encoder: choose the mmproj file made with this model.")
    return mmproj


def _check_vision_sizes(mmproj, path: Path) -> None:
    _check_sizes(mmproj, path, VISION_SIZES, "")
    if header_field(mmproj, "clip.vision.patch_size") > header_field(mmproj, "clip.vision.image_size"):
        raise ModelFileError(f"{path.name} is damaged: its image patches are larger than its images. "
                             "Convert or copy it again.")


def matrix_type(reader) -> str:
    """The type most of the file's matrices are stored in, lower case as `convert --mmproj-type` names it."""
    types = [t.tensor_type.name.lower() for t in reader.tensors if len(t.shape) == 2]
    return max(set(types), key=types.count) if types else ""


def _only_usable(folder: Path, pattern: str, check) -> Path:
    """Without a manifest: the one file matching `pattern` that passes `check`.

    A broken stray file never hides a good one; two good ones are refused by name rather than
    one being picked by its name's order.
    """
    paths = sorted(folder.glob(pattern))
    if not paths:
        raise ModelFileError(
            f"No model found in {folder}. It needs a model-*.gguf and an mmproj-*.gguf: "
            f"convert the VisionPangu checkpoint with '{invocation.shown('convert')}', or choose another folder.")
    usable, problems = [], []
    for path in paths:
        try:
            check(path)
            usable.append(path)
        except ModelFileError as exc:
            problems.append(exc)
    if not usable:
        raise problems[0]
    if len(usable) > 1:
        raise ModelFileError(
            f"{folder} holds {len(usable)} files that could be used ({', '.join(p.name for p in usable)}) and no "
            f"{MANIFEST_NAME} saying which belong together: remove the ones you do not want, or convert again.")
    return usable[0]


def find_model_pair(folder: Path) -> ModelPair:
    """Locate and validate the pair in `folder`; raises ModelFileError with a plain message.

    With a manifest (the converter writes one), exactly the files it names are used, and their
    sizes and checksums must match it; without one, the single usable file of each kind.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFileError(
            f"The model folder {folder} does not exist. Convert the checkpoint into it, or choose another folder."
        )
    try:
        listed = read_manifest(folder)
    except ManifestError as exc:
        raise ModelFileError(str(exc)) from exc
    if listed is not None:
        model_path, mmproj_path = listed["model"].path, listed["mmproj"].path
        for path in (model_path, mmproj_path):
            if not path.is_file():
                raise ModelFileError(f"{path.name} is missing from {folder}. Convert the checkpoint again.")
    else:
        model_path = _only_usable(folder, "model-*.gguf", _check_model)
        mmproj_path = _only_usable(folder, "mmproj*.gguf", lambda path: _check_vision_sizes(_check_mmproj(path), path))
    model, arch, n_embd = _check_model(model_path)
    mmproj = _check_mmproj(mmproj_path)
    projection = header_field(mmproj, "clip.vision.projection_dim")
    if projection != n_embd:
        raise ModelFileError(
            f"{mmproj_path.name} does not belong to {model_path.name}: it produces {projection}-wide image "
            f"features but the language model expects {n_embd}. Use the pair converted together."
        )
    _check_vision_sizes(mmproj, mmproj_path)
    if listed is not None:
        try:
            verify(listed)
        except ManifestError as exc:
            raise ModelFileError(str(exc)) from exc
    return ModelPair(model_path, mmproj_path, arch, n_embd, header_field(mmproj, "clip.projector_type", ""),
                     header_field(model, "tokenizer.chat_template"), matrix_type(mmproj))
