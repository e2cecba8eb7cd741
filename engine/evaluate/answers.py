"""Each image's answer, kept in the output folder as soon as it is made, so a run resumes.

Layout of the output folder:
- `run.json`: the settings the answers were made with (model, detail level, second look, ...).
  A folder made with other settings is refused rather than mixed.
- `answers/<image_id>.json`: `{"image_id", "file_name", "caption", "seconds"}`, one per image,
  renamed into place whole: an interrupted run leaves finished answers only.
- `predictions.json`: all answers in COCO results format, which `--predictions` scores again.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.evaluate.coco import EvaluationInputError
from engine.evaluate.files import private_folder, write_private

RUN_FILE = "run.json"
ANSWERS_FOLDER = "answers"
PREDICTIONS_FILE = "predictions.json"


def _is_seconds(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


class AnswerCache:
    def __init__(self, out: Path, settings: dict):
        self.out = Path(out)
        self._folder = self.out / ANSWERS_FOLDER
        run = self.out / RUN_FILE
        try:
            earlier = json.loads(run.read_text(encoding="utf-8")) if run.is_file() else None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            earlier = None  # unreadable: the answers beside it cannot be trusted to match
            if any(self._folder.glob("*.json")):
                raise EvaluationInputError(f"{run} is damaged, so the answers in {self.out} cannot be matched to "
                                           "their settings. Choose another --out folder.") from None
        if earlier is not None and earlier != settings:
            changed = sorted(k for k in set(earlier) | set(settings) if earlier.get(k) != settings.get(k))
            raise EvaluationInputError(f"{self.out} holds answers made with other settings ({', '.join(changed)}). "
                                       "Choose another --out folder, or run with the same settings to resume.")
        private_folder(self._folder)
        if earlier is None:
            write_private(run, json.dumps(settings, indent=2, sort_keys=True))

    def _path(self, image_id: int) -> Path:
        return self._folder / f"{image_id}.json"

    def get(self, image_id: int) -> dict | None:
        """The kept answer, or None (never made, or damaged or without its time: it is made again)."""
        try:
            record = json.loads(self._path(image_id).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return None
        # The seconds are kept with the answer so a resumed run still reports each image's time.
        is_valid = (isinstance(record, dict) and record.get("image_id") == image_id
                    and isinstance(record.get("caption"), str) and _is_seconds(record.get("seconds")))
        return record if is_valid else None

    def put(self, image_id: int, file_name: str, caption: str, seconds: float) -> None:
        record = {"image_id": image_id, "file_name": file_name, "caption": caption, "seconds": round(seconds, 3)}
        write_private(self._path(image_id), json.dumps(record, ensure_ascii=False))

    def pending(self, image_ids: list[int]) -> list[int]:
        return [image_id for image_id in image_ids if self.get(image_id) is None]

    def answers(self, image_ids: list[int]) -> dict[int, dict]:
        return {image_id: record for image_id in image_ids if (record := self.get(image_id)) is not None}

    def write_predictions(self, image_ids: list[int]) -> Path:
        results = [{"image_id": i, "caption": r["caption"]} for i, r in self.answers(image_ids).items()]
        return write_private(self.out / PREDICTIONS_FILE, json.dumps(results, ensure_ascii=False, indent=1))
