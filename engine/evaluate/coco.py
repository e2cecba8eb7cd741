"""COCO caption files: references (`images` + `annotations`, as captions_val2014.json) and results.

Results are COCO's results format, `[{"image_id": 42, "caption": "..."}]`. Every problem is one
plain sentence (EvaluationInputError); nothing is scored from a file that is not what it claims.

An `images` entry may add `"text"`: the text known to be in that image (a rendered screen), as
one string (lines split at line breaks) or a list of lines; its word recall in the answer is
one of the figures for this app's users (engine/evaluate/figures.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

# COCO's captions_train2014.json, the largest of its caption files, is about 80 MB.
MAX_JSON_MB = 512
MAX_JSON_BYTES = MAX_JSON_MB * 1024 * 1024
SHOWN_IDS = 5
KNOWN_TEXT = "text"  # the optional field of an `images` entry holding the text known to be in it


class EvaluationInputError(ValueError):
    """A references, results or images input that cannot be used; the message says why."""


@dataclass(frozen=True)
class References:
    captions: dict[int, list[str]]  # image id -> its reference captions
    file_names: dict[int, str]  # image id -> its file in the images folder
    known_text: dict[int, list[str]]  # image id -> the lines of text known to be in it, for those that have any

    @property
    def image_ids(self) -> list[int]:
        return sorted(self.captions)


def _ids(ids) -> str:
    ids = sorted(ids)
    more = len(ids) - SHOWN_IDS
    return ", ".join(map(str, ids[:SHOWN_IDS])) + (f" and {more} more" if more > 0 else "")


def read_json(path: Path, what: str):
    """A regular file of at most MAX_JSON_BYTES, parsed; never waits on a pipe or a device."""
    path = Path(path)
    try:
        info = os.stat(path)
    except FileNotFoundError as exc:
        raise EvaluationInputError(f"The {what} file {path} does not exist.") from exc
    except OSError as exc:
        raise EvaluationInputError(f"The {what} file {path} cannot be read: {exc.strerror}.") from exc
    if not stat.S_ISREG(info.st_mode):
        raise EvaluationInputError(f"{path} is not a regular file, so it was not read as the {what}.")
    if info.st_size > MAX_JSON_BYTES:
        raise EvaluationInputError(f"The {what} file {path} is larger than {MAX_JSON_MB} MB.")
    try:
        data = path.read_bytes()
        if not data.strip():
            raise EvaluationInputError(f"The {what} file {path} is empty.")
        return json.loads(data.decode("utf-8"))
    except OSError as exc:
        raise EvaluationInputError(f"The {what} file {path} cannot be read: {exc.strerror}.") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvaluationInputError(f"The {what} file {path} is not JSON text.") from exc


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def load_references(path: Path) -> References:
    raw = read_json(path, "references")
    not_coco = (f"The references file {path} is not in COCO captions format: it needs 'images' "
                "(each with an 'id' and a 'file_name') and 'annotations' (each with an 'image_id' and a 'caption').")
    if not isinstance(raw, dict) or not isinstance(raw.get("images"), list) or not isinstance(raw.get("annotations"), list):
        raise EvaluationInputError(not_coco)
    file_names: dict[int, str] = {}
    known_text: dict[int, list[str]] = {}
    for image in raw["images"]:
        if not isinstance(image, dict) or not _is_id(image.get("id")) or not isinstance(image.get("file_name"), str):
            raise EvaluationInputError(not_coco)
        file_names[image["id"]] = image["file_name"]
        if image.get(KNOWN_TEXT) is not None:
            known_text[image["id"]] = _known_text(image, path)
    captions: dict[int, list[str]] = {image_id: [] for image_id in file_names}
    for note in raw["annotations"]:
        if not isinstance(note, dict) or not _is_id(note.get("image_id")) or not isinstance(note.get("caption"), str):
            raise EvaluationInputError(not_coco)
        if note["image_id"] not in captions:
            raise EvaluationInputError(f"The references file {path} has captions for image {note['image_id']}, "
                                       "which its 'images' list does not name.")
        captions[note["image_id"]].append(note["caption"])
    bare = [image_id for image_id, texts in captions.items() if not texts]
    if not captions:
        raise EvaluationInputError(f"The references file {path} lists no images.")
    if bare:
        raise EvaluationInputError(f"The references file {path} has no caption for image {_ids(bare)}.")
    return References(captions, file_names, known_text)


def _known_text(image: dict, path: Path) -> list[str]:
    from engine.ocr.recall import words

    text = image[KNOWN_TEXT]
    lines = text.splitlines() if isinstance(text, str) else text
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise EvaluationInputError(f"The references file {path} gives image {image['id']} a '{KNOWN_TEXT}' that is "
                                   "neither text nor a list of lines of text.")
    if not any(words(line) for line in lines):
        raise EvaluationInputError(f"The references file {path} gives image {image['id']} a '{KNOWN_TEXT}' with no "
                                   f"words in it; leave '{KNOWN_TEXT}' out of an image with no known text.")
    return lines


def load_predictions(path: Path) -> dict[int, str]:
    """COCO results: image id -> the one caption given for it."""
    raw = read_json(path, "predictions")
    if not isinstance(raw, list) or not all(
            isinstance(r, dict) and _is_id(r.get("image_id")) and isinstance(r.get("caption"), str) for r in raw):
        raise EvaluationInputError(f"The predictions file {path} is not in COCO results format: a list of "
                                   '{"image_id": number, "caption": text}.')
    if not raw:
        raise EvaluationInputError(f"The predictions file {path} holds no captions.")
    predictions: dict[int, str] = {}
    for result in raw:
        image_id = result["image_id"]
        if image_id in predictions:
            raise EvaluationInputError(f"The predictions file {path} has more than one caption for image {image_id}; "
                                       "the toolkit scores one per image.")
        if not result["caption"].strip():
            raise EvaluationInputError(f"The predictions file {path} has an empty caption for image {image_id}.")
        predictions[image_id] = result["caption"]
    return predictions


def matched(references: References, chosen: list[int], predictions: dict[int, str], path: Path) -> dict[int, str]:
    """The predictions for exactly the chosen images; any image without one, or unknown, is said."""
    unknown = set(predictions) - set(references.captions)
    if unknown:
        raise EvaluationInputError(f"The predictions file {path} has captions for image {_ids(unknown)}, "
                                   "which the references do not list.")
    missing = [image_id for image_id in chosen if image_id not in predictions]
    if missing:
        raise EvaluationInputError(f"The predictions file {path} has no caption for image {_ids(missing)}, "
                                   f"listed in the references ({len(missing)} of {len(chosen)} images missing).")
    return {image_id: predictions[image_id] for image_id in chosen}


def choose_subset(image_ids: list[int], limit: int | None, seed: int) -> list[int]:
    """`limit` images picked by `seed`, the same on every machine and Python version; all if no limit.

    Each image is ranked by a hash of the seed and its id, so a larger limit with the same seed
    keeps every image of a smaller one (a 600-image run is part of a 1000-image run).
    """
    if limit is not None and limit < 1:
        raise EvaluationInputError("--limit must be at least 1.")
    ids = sorted(set(image_ids))
    if limit is None or limit >= len(ids):
        return ids

    def rank(image_id: int) -> bytes:
        return hashlib.sha256(f"{seed}:{image_id}".encode()).digest()

    return sorted(sorted(ids, key=rank)[:limit])


def find_images(folder: Path, references: References, chosen: list[int]) -> dict[int, Path]:
    """Each chosen image's file in `folder`, by the references' `file_name`; any missing one is said."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EvaluationInputError(f"The images folder {folder} does not exist or is not a folder.")
    if not any(folder.iterdir()):
        raise EvaluationInputError(f"The images folder {folder} is empty. Put the COCO val images there "
                                   "(for example the contents of val2014.zip).")
    paths = {image_id: folder / Path(references.file_names[image_id]).name for image_id in chosen}
    missing = [image_id for image_id, path in paths.items() if not path.is_file()]
    if missing:
        first = paths[missing[0]].name
        raise EvaluationInputError(f"The images folder {folder} lacks {len(missing)} of the {len(chosen)} images "
                                   f"listed in the references, for example {first} (image {missing[0]}).")
    return paths
