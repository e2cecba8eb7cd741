"""The benchmark runs end to end and reports every figure (on the tiny model: the figures
themselves are meaningless here; the full-size run is `python main.py bench`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_reports_all_figures(conversions):
    model_dir = conversions.get("internvl", "Q4_K_M", "f16").model_path.parent
    proc = subprocess.run([sys.executable, "main.py", "bench", "--model-dir", str(model_dir), "--json",
                           "--images", "screen-1920x1080", "photo-640x480", "--details", "brief", "standard"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert results["machine"]["cores"] >= 1 and results["load"]["worker_s"] > 0
    rows = {(r["image"], r["detail"]): r for r in results["describe"]}
    assert set(rows) == {(i, d) for i in ("screen-1920x1080", "photo-640x480") for d in ("brief", "standard")}
    for row in rows.values():
        for key in ("encode_per_tile_s", "prefill_s", "first_token_s", "decode_tok_s", "ttfw_s", "total_s",
                    "floor_s", "reference_total_s", "overhead"):
            assert row[key] > 0, key
    assert rows[("screen-1920x1080", "brief")]["tiles"] == 1
    assert rows[("screen-1920x1080", "brief")]["repeats"] == 3  # medians of three short runs
    assert rows[("screen-1920x1080", "standard")]["repeats"] == 1
    assert rows[("photo-640x480", "standard")]["tiles"] == 5  # 2x2 grid and the overview
    look = results["second_look"][0]
    assert look["regions"] == 3 and look["refined_complete_s"] > look["glance_total_s"]
    assert results["memory"]["worker_peak_rss_bytes"] > 0
    assert {c["target"].split(" ")[0] for c in results["targets"]} >= {"TTFW", "app", "peak"}
