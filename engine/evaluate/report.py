"""The scores as JSON and as a Markdown table, beside the VisionPangu paper's figure, and a second
table of the figures for this app's users (engine/evaluate/figures.py).

The toolkit's scores are on a 0-1 scale; papers print them x100, so both are given. The paper's
detailed-captioning table (600 COCO val images) gives BLEU 28.59; only that figure is recorded
here, and its BLEU order is not, so it stands beside BLEU-1..4 rather than in one row.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

from engine.evaluate.figures import NOT_MEASURED, Figures
from engine.evaluate.files import private_folder, write_private
from engine.evaluate.scoring import BLEU, METRICS, Scores

SCORES_JSON = "scores.json"
SCORES_MARKDOWN = "scores.md"
PAPER_SCALE = 100
PAPER = {"metric": "BLEU", "value": 28.59, "images": 600, "set": "a COCO val subset, detailed captioning"}
LABELS = {"Bleu_1": "BLEU-1", "Bleu_2": "BLEU-2", "Bleu_3": "BLEU-3", "Bleu_4": "BLEU-4",
          "METEOR": "METEOR", "ROUGE_L": "ROUGE-L", "CIDEr": "CIDEr"}


def _toolkit_version() -> str:
    try:
        return f"pycocoevalcap {metadata.version('pycocoevalcap')}"
    except metadata.PackageNotFoundError:
        return "pycocoevalcap"


def summary(scores: Scores, figures: Figures, selection: dict, run: dict | None = None) -> dict:
    """Everything a reader needs to compare runs; per-image scores stay in the JSON file only.

    `run`: how the answers were made, for --images (detail level, second look, model files).
    """
    return {
        **({"run": run} if run else {}),
        "toolkit": _toolkit_version(),
        "images": len(figures.per_image),
        "selection": selection,
        "scores": {m: scores.corpus[m] for m in METRICS},
        "scores_x100": {m: round(scores.corpus[m] * PAPER_SCALE, 2) for m in METRICS},
        "paper": PAPER,
        "for_users": figures.summary,
    }


def _mean_median(figure) -> str:
    if figure == NOT_MEASURED:
        return f"{NOT_MEASURED} (answers given with --predictions)"
    return f"{figure['mean']:g} / {figure['median']:g}"


def _users_table(figures: dict) -> list[str]:
    lines = [
        "| for this app's users | this run |",
        "| --- | ---: |",
        f"| words per answer, mean / median | {_mean_median(figures['answer_words'])} |",
        f"| seconds per image, mean / median | {_mean_median(figures['seconds_per_image'])} |",
    ]
    if "known_text" in figures:
        known = figures["known_text"]
        images = f"{known['images']} image{'' if known['images'] == 1 else 's'}"
        lines.append(f"| word recall of the text known to be in the image, mean over {images} "
                     f"| {known['word_recall_mean']:.4f} |")
    uniform = figures.get("uniform_images")
    if uniform == NOT_MEASURED:
        lines.append(f"| black, blank or one-colour images whose answer says so | {NOT_MEASURED} (no --images) |")
    elif uniform is not None:
        lines.append(f"| black, blank or one-colour images whose answer says so | {uniform['said_so']} of "
                     f"{uniform['images']} ({uniform['share'] * PAPER_SCALE:.0f}%) |")
    return lines + [""]


def markdown(report: dict) -> str:
    selection = report["selection"]
    chosen = ("all images" if selection.get("limit") is None
              else f"{selection['limit']} images picked with seed {selection['seed']}")
    run = report.get("run")
    made = ("" if run is None else
            f"Answers made by {run['model']} with {run['mmproj']} at the {run['detail']} level"
            f"{' with the second look' if run['second_look'] else ''}. ")
    lines = [
        f"{made}Scored by the COCO caption toolkit ({report['toolkit']}) on {report['images']} images ({chosen}).",
        "",
        "| metric | toolkit (0-1) | x100 |",
        "| --- | ---: | ---: |",
    ]
    for metric in METRICS:
        lines.append(f"| {LABELS[metric]} | {report['scores'][metric]:.4f} | {report['scores_x100'][metric]:.2f} |")
    paper = report["paper"]
    measured = " / ".join(f"{report['scores_x100'][m]:.2f}" for m in BLEU)
    lines += [
        "",
        "| beside the paper | paper (x100) | this run, BLEU-1 / 2 / 3 / 4 (x100) |",
        "| --- | ---: | ---: |",
        f"| {paper['metric']}, {paper['images']} images, {paper['set']} | {paper['value']:.2f} | {measured} |",
        "",
        *_users_table(report["for_users"]),
    ]
    return "\n".join(lines)


def write(out: Path, report: dict, scores: Scores, figures: Figures) -> tuple[Path, Path]:
    private_folder(out)
    full = {**report, "per_image": {str(i): {**s, **figures.per_image[i]} for i, s in sorted(scores.per_image.items())}}
    json_path = write_private(Path(out) / SCORES_JSON, json.dumps(full, indent=2))
    md_path = write_private(Path(out) / SCORES_MARKDOWN, markdown(report))
    return json_path, md_path
