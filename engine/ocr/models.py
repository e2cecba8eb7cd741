"""The OCR models: only the files shipped inside the rapidocr wheel, never a download.

rapidocr 3.10 ships PP-OCRv6 small detection and recognition models (multilingual: Chinese,
English, Japanese and about 48 languages in Latin script) and a PP-OCR v2 direction classifier
in `rapidocr/models/`. Left to its defaults it resolves a model by (version, task, language,
type) to a URL in `default_models.yaml` and downloads what is not already there
(rapidocr/inference_engine/onnxruntime/main.py, OrtInferSession.__init__; and the recognizer's
character list, rapidocr/ch_ppocr_rec/main.py, get_character_dict, when a model has none inside).
So every model is given by its packaged path (`model_path`), which rapidocr opens as it is and
never looks up, and a missing file is refused here in plain words before rapidocr sees the
config. The recognition model carries its character list in its ONNX metadata, so no dictionary
is fetched either; the OCR process also refuses every network connection (engine/ocr/offline.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DETECTION_FILE = "PP-OCRv6_det_small.onnx"
RECOGNITION_FILE = "PP-OCRv6_rec_small.onnx"
# rapidocr/config.yaml's own defaults name these (Det/Rec: PP-OCRv6, small), which the model files
# above are; the files are given by path, so the names only label them.
OCR_VERSION = "PP-OCRv6"
# The engine's own bound on an image's long side (engine.images.MAX_SIDE): rapidocr's default of
# 2000 would shrink a 2560x1440 screen's 12 px text to 9 px before detection.
MAX_SIDE_LEN = 2688
# rapidocr's own default score below which a recognised line is dropped (rapidocr/config.yaml).
TEXT_SCORE = 0.5


class OcrUnavailable(Exception):
    """Plain words: the text reader cannot run here."""


@dataclass(frozen=True)
class PackagedModels:
    folder: Path
    detection: Path
    recognition: Path


def packaged_models() -> PackagedModels:
    """The model files inside the installed rapidocr package; OcrUnavailable if any is missing."""
    try:
        import rapidocr
    except ImportError as exc:
        raise OcrUnavailable("The text reader (the rapidocr package) is not installed. "
                             "Install the app again to read text.") from exc
    folder = Path(rapidocr.__file__).resolve().parent / "models"
    models = PackagedModels(folder, folder / DETECTION_FILE, folder / RECOGNITION_FILE)
    for path in (models.detection, models.recognition):
        if not path.is_file():
            raise OcrUnavailable(f"The text reader's model file {path.name} is missing from {folder}. "
                                 "Install the app again to read text (nothing is downloaded).")
    return models


def rapidocr_params(models: PackagedModels, n_threads: int) -> dict:
    """rapidocr's settings: the packaged files by path, no direction classifier (screens and
    photos of documents are upright; it would cost a third pass), quiet logging."""
    engine = {"intra_op_num_threads": n_threads, "inter_op_num_threads": 1}
    params = {
        "Global.use_cls": False,
        "Global.log_level": "critical",
        "Global.model_root_dir": str(models.folder),
        "Global.max_side_len": MAX_SIDE_LEN,
        "Global.text_score": TEXT_SCORE,
        "Det.model_path": str(models.detection),
        "Rec.model_path": str(models.recognition),
    }
    params.update({f"EngineConfig.onnxruntime.{key}": value for key, value in engine.items()})
    return params
