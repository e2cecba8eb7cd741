"""The benchmark runs end to end and reports every figure (on the tiny model: the figures
themselves are meaningless here; the full-size run is `python main.py bench`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_reports_all_figures(conversions, capsys):
    model_dir = conversions.get("internvl", "Q4_K_M", "bf16").model_path.parent
    peer = conversions.get("internvl", "Q4_K_M", "f16").mmproj_path  # the same language model, F16 encoder
    proc = subprocess.run([sys.executable, "main.py", "bench", "--model-dir", str(model_dir), "--json",
                           "--peer-mmproj", str(peer),
                           "--images", "screen-1920x1080", "photo-640x480", "--details", "brief", "standard"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert results["machine"]["cores"] >= 1 and results["load"]["worker_s"] > 0
    # the machine line: what llama.cpp's CPU back end uses here, and the formats under test
    features = results["machine"]["cpu_features"]
    assert features and all(name.isupper() or "_" in name for name in features), features
    assert results["machine"]["model_type"] == "Q4_K_M" and results["machine"]["mmproj_type"] == "bf16"
    # which vision encoder the worker ran, and why (engine/encoder/choice.py decides by this machine)
    assert results["load"]["encoder"] in ("llama.cpp", "openvino") and results["load"]["encoder_reason"]
    rows = {(r["image"], r["detail"]): r for r in results["describe"]}
    assert set(rows) == {(i, d) for i in ("screen-1920x1080", "photo-640x480") for d in ("brief", "standard")}
    for row in rows.values():
        for key in ("encode_per_tile_s", "prefill_s", "first_token_s", "decode_tok_s", "ttfw_s", "total_s",
                    "floor_s", "reference_total_s", "overhead"):
            assert row[key] > 0, key
        # the app's own floor: its encoder and image prefill, a part of its time to first token
        assert 0 < row["own_floor_s"] < row["first_token_s"]
        assert row["ttfw_own_floor_ratio"] > 1 and row["ttfw_floor_ratio"] > 0
        # every time the user waits, as a multiple of the floor: first token, first speech, the whole answer
        assert 0 < row["first_token_floor_ratio"] <= row["ttfw_floor_ratio"] <= row["total_floor_ratio"]
        if row["repeats"] == 1:
            assert row["ttfw_floor_ratio"] == row["ttfw_s"] / row["floor_s"]
            # llama.cpp's path ran before and after the app's request; the floor and total are their mean
            assert row["floor_s"] == (row["floor_before_s"] + row["floor_after_s"]) / 2
            assert row["overhead"] == row["total_s"] / (sum(row["reference_totals_s"]) / 2)
        assert row["floor_before_s"] > 0 and row["floor_after_s"] > 0 and row["reference_encode_per_tile_s"] > 0
        assert len(row["reference_totals_s"]) == 2 and row["own_floor_ratio"] > 0
        assert 0 < row["app_code_share"] < 1
        # the peer baseline: llama.cpp's own path with the F16 encoder on the overview tile, in the same run
        assert row["reference_f16_floor_s"] > 0
        if row["repeats"] == 1:
            assert row["ttfw_over_reference_f16_floor"] == row["ttfw_s"] / row["reference_f16_floor_s"]
            # it too ran before and after the app's request, and the floor is their mean
            assert row["reference_f16_floor_s"] == sum(row["reference_f16_floors_s"]) / 2
        assert len(row["reference_f16_floors_s"]) == 2 and min(row["reference_f16_floors_s"]) > 0
        assert 0 < row["peak_rss_bytes"] <= results["memory"]["worker_peak_rss_bytes"] and row["peak_rss_is_own"]
        # a follow-up after every level continues the cache: the description is reused, only the question read
        assert 0 < row["follow_up_first_token_s"] < row["first_token_s"]
        assert row["follow_up_reused_tokens"] > row["tiles"] * 256 and 0 < row["follow_up_read_tokens"] < 40
    assert rows[("screen-1920x1080", "brief")]["tiles"] == 1
    assert rows[("screen-1920x1080", "brief")]["repeats"] == 3  # medians of three short runs
    assert rows[("screen-1920x1080", "standard")]["repeats"] == 1
    assert rows[("photo-640x480", "standard")]["tiles"] == 5  # 2x2 grid and the overview
    look = results["second_look"][0]
    assert look["regions"] == 3 and look["refined_complete_s"] > look["glance_total_s"]
    assert look["follow_up_first_token_s"] > 0 and 0 < look["follow_up_read_tokens"] < 40
    assert len(look["close_up_first_token_s"]) == 3 and look["speech_gap_s"] >= 0
    # three runs on different screens; the refined time is their median
    assert look["repeats"] == 3 and len(look["refined_complete_all_s"]) == 3
    assert look["refined_complete_s"] == sorted(look["refined_complete_all_s"])[1]
    assert results["memory"]["worker_peak_rss_bytes"] > 0
    # the same with the text read beside the glance, and the text reader's own rows
    (with_ocr,) = results["second_look_ocr"]
    assert with_ocr["regions"] >= 1 and with_ocr["glance_ttfw_s"] > 0
    # both glances encoded their tile: the runs with the reader are on other screens than those without
    assert with_ocr["glance_encodes"] == look["glance_encodes"] == 1
    reads = {row["image"]: row for row in results["read"]}
    assert reads["screen-1920x1080"]["n_lines"] > 10 and reads["screen-1920x1080"]["recall"] is None
    busy = reads["text-1920x1080-12px"]
    assert 0 < busy["first_line_s"] < busy["total_s"] and busy["recall"] >= 0.98 and busy["peak_rss_bytes"] > 0
    targets = " / ".join(c["target"] for c in results["targets"])
    assert "glance TTFW with the text read" in targets and "busy 1920x1080" in targets and "first line" in targets
    assert {c["target"].split(" ")[0] for c in results["targets"]} >= {"TTFW", "app", "peak"}
    assert "llama.cpp's own one-tile floor with an F16 mmproj" in targets
    from engine.bench.cli import print_report

    print_report(results)
    report = capsys.readouterr().out
    assert "3 close-ups, one request each" in report and ("[met]" in report or "[MISSED]" in report)
    assert "follow-up first token after every description" in report
    assert "llama.cpp's CPU features:" in report and "vision encoder bf16" in report


def _line(done: float, pieces: list[tuple[float, str]], n_tokens: int):
    from engine.bench.timelines import PassTimes
    from engine.protocol import Stats

    return PassTimes(submitted=0.0, first_chunk=pieces[0][0], first_speech=pieces[0][0], done=done,
                     stats=Stats(n_tokens=n_tokens), pieces=pieces)


def test_speech_wait_counts_only_silence_after_the_voice_started():
    from engine.bench.timelines import SPEECH_WORDS_PER_S, WORDS_PER_TOKEN, speech_wait_s

    def speech_s(n_tokens):
        return n_tokens * WORDS_PER_TOKEN / SPEECH_WORDS_PER_S

    # 40 tokens (9 s of speech), in two pieces of 10 and 30 words: 2.25 s and 6.75 s
    glance = _line(10.0, [(8.5, "one " * 10), (10.0, "two " * 30)], 40)
    assert speech_wait_s([glance]) == 0.0  # the second piece is ready before the first is spoken
    assert abs(speech_wait_s([_line(12.0, [(8.5, "one " * 10), (12.0, "two " * 30)], 40)]) - (12.0 - 10.75)) < 1e-9
    # a close-up whose first piece is ready long after the glance was spoken
    late = _line(30.0, [(25.0, "three " * 12)], 20)
    assert abs(speech_wait_s([glance, late]) - (25.0 - (8.5 + speech_s(40)))) < 1e-9
    # ... and one that is ready in time
    early = _line(12.0, [(11.0, "four " * 12)], 20)
    assert speech_wait_s([glance, early]) == 0.0
    # Chinese: two characters are a word when sharing an answer's speech among its pieces
    cjk = _line(20.0, [(8.5, "屏幕" * 10), (20.0, "word " * 10)], 40)
    assert abs(speech_wait_s([cjk]) - (20.0 - (8.5 + speech_s(40) / 2))) < 1e-9


def test_a_rows_peak_memory_starts_from_the_reset():
    import os

    from engine.process_memory import peak_rss_bytes, reset_peak_rss

    block = bytearray(200 * 1024 * 1024)
    block[::4096] = b"\x01" * len(block[::4096])  # touch every page, so it is resident
    del block
    before = peak_rss_bytes(os.getpid())
    assert reset_peak_rss(os.getpid())
    assert peak_rss_bytes(os.getpid()) < before - 150 * 1024 * 1024


def test_overhead_target_takes_all_rows_time_together_and_names_the_worst_row():
    from engine.bench.cli import OVERHEAD_LIMIT, targets

    def row(detail, tiles, total, reference):
        return {"image": "photo-640x480", "detail": detail, "tiles": tiles, "total_s": total,
                "reference_total_s": reference, "overhead": total / reference, "app_code_share": 0.01,
                "follow_up_first_token_s": 0.3, "follow_up_read_tokens": 20}

    def overhead_check(rows):
        results = {"describe": rows, "second_look": [], "memory": {"worker_peak_rss_bytes": 1}}
        return next(c for c in targets(results) if c["target"].startswith("app overhead"))

    # one 60 s row 6% slower, on 300 s in all: 1.01 together; the row whose tiles came from the cache
    # (far below 1) counts for nothing either way
    rows = [row("brief", 1, 10.0, 11.0), row("standard", 7, 63.6, 60.0), row("detailed", 13, 230.0, 229.0),
            row("cached", 0, 10.0, 60.0)]
    check = overhead_check(rows)
    assert check["met"] and check["value"] == round(303.6 / 300.0, 3)
    assert "worst single row 1.060: photo-640x480 standard" in check["target"]
    rows[2]["total_s"] = 229.0 * OVERHEAD_LIMIT  # now the rows together are over the limit
    assert not overhead_check(rows)["met"]


def test_follow_up_target_takes_the_slowest_follow_up_of_every_level():
    from engine.bench.cli import FOLLOW_UP_LIMIT_S, targets

    def row(detail, first_token_s, read):
        return {"image": "photo-4032x3024", "detail": detail, "tiles": 1, "total_s": 1.0, "reference_total_s": 1.0,
                "overhead": 1.0, "app_code_share": 0.01, "follow_up_first_token_s": first_token_s,
                "follow_up_read_tokens": read}

    def follow_up_check(rows):
        results = {"describe": rows, "second_look": [], "memory": {"worker_peak_rss_bytes": 1}}
        return next(c for c in targets(results) if c["target"].startswith("follow-up first token after every"))

    rows = [row("brief", 0.3, 20), row("standard", 0.4, 20), row("detailed", 0.5, 20)]
    assert follow_up_check(rows)["met"]
    rows[2] = row("detailed", 42.3, 4295)  # the tester's case: everything read again
    check = follow_up_check(rows)
    assert not check["met"] and check["value"] == 42.3 and FOLLOW_UP_LIMIT_S < 42.3
    assert "photo-4032x3024 detailed, 4295 tokens read" in check["target"]


def test_peer_target_is_the_1920x1080_glance_over_the_f16_floor():
    from engine.bench.cli import PEER_FLOOR_RATIO, targets

    def peer_check(ttfw_s, peer_s):
        row = {"image": "screen-1920x1080", "detail": "brief", "tiles": 1, "total_s": 9.0, "reference_total_s": 9.0,
               "overhead": 1.0, "app_code_share": 0.01, "follow_up_first_token_s": 0.3, "follow_up_read_tokens": 20,
               "ttfw_floor_ratio": 1.0, "ttfw_own_floor_ratio": 1.0, "ttfw_s": ttfw_s,
               "reference_f16_floor_s": peer_s, "ttfw_over_reference_f16_floor": ttfw_s / peer_s}
        results = {"describe": [row], "second_look": [], "memory": {"worker_peak_rss_bytes": 1}}
        return next(c for c in targets(results) if "F16 mmproj" in c["target"])

    assert peer_check(6.5, 8.1)["met"] and peer_check(6.5, 8.1)["value"] == round(6.5 / 8.1, 3)
    assert not peer_check(8.2, 8.1)["met"]  # an app as fast as llama.cpp's F16 path is not enough
    assert PEER_FLOOR_RATIO == 0.85 and "8.10 s" in peer_check(6.5, 8.1)["target"]


def test_formats_sweep_measures_prefill_decode_and_memory_on_the_tiny_model(conversions):
    from engine.bench.formats import measure_in_child

    result = conversions.get("internvl", "Q4_K_M", "f16")
    # the app's settings; the language model's flash attention on; a Q8_0 K cache
    configs = ((64, False, "f16"), (256, True, "f16"), (64, False, "q8_0"))
    rows = [measure_in_child(result.model_path.parent, 2, 1024, *config) for config in configs]
    for (n_ubatch, flash_attn, k_cache), row in zip(configs, rows):
        assert row["micro_batch"] == n_ubatch and row["flash_attn"] is flash_attn and row["k_cache"] == k_cache
        assert row["long_prefill_tokens"] == 1024 - 64 - 32  # room left for the decode after it
        assert row["image_prefill_tok_s"] > 0 and row["long_prefill_tok_s"] > 0 and row["decode_tok_s"] > 0
        assert row["long_decode_tok_s"] > 0
        assert 0 < row["encode_s"] < row["first_token_s"] and row["model_bytes"] == result.model_path.stat().st_size
        # the child's own peak: more than the model file it read in, less than anything a leak would make
        assert result.model_path.stat().st_size < row["peak_rss_bytes"] < 2e9


def test_encoders_compares_mtmd_and_openvino_on_one_tile_in_the_same_run(conversions):
    model_dir = conversions.get("internvl", "Q4_K_M", "bf16").model_path.parent
    proc = subprocess.run([sys.executable, "main.py", "bench", "--encoders", "--model-dir", str(model_dir), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    assert results["machine"]["mmproj_type"] == "bf16" and isinstance(results["machine"]["cpu_features"], list)
    assert isinstance(results["machine"]["openvino_bf16"], bool)
    mtmd, openvino = results["encoders"]
    assert (mtmd["encoder"], openvino["encoder"]) == ("mtmd", "openvino")
    for row in (mtmd, openvino):
        assert len(row["encode_s"]) == 3 and all(t > 0 for t in row["encode_s"]) and row["load_s"] > 0
        assert 0 < row["ready_bytes"] <= row["peak_bytes"] < 1e9  # the tiny encoder: well under a GB
    assert mtmd["max_rel_diff_to_mtmd"] == 0 and mtmd["cosine_to_mtmd"] == 1
    # the same model from the same file: apart only by the two BF16 paths' rounding (tests/engine/test_openvino_encoder.py)
    assert 0 < openvino["max_rel_diff_to_mtmd"] < 2e-2 and openvino["cosine_to_mtmd"] > 0.9999


def test_the_second_looks_with_and_without_the_text_read_take_turns():
    """The two sets of runs are compared (the glance's TTFW beside a read), so they alternate: the host's
    drift over the minutes they take falls on both alike. Each run on a new screen (no tile from the cache)."""
    import os
    import types

    from engine.bench.runner import GLANCE_SEED, Bench

    bench = object.__new__(Bench)  # only the sequencing is under test: each run's figures are stood in for
    bench.client, bench._peaks = types.SimpleNamespace(pid=os.getpid()), []
    calls = []

    def run(name, seed, ocr=None):
        calls.append((seed, ocr))
        return {"refined_complete_s": float(seed), "speech_gap_s": 0.1 * (seed - GLANCE_SEED), "glance_ttfw_s": 1.0}

    bench.glance_and_second_look = run
    without, with_text = bench.second_looks_without_and_with_text("screen-1920x1080", 3, ocr="reader")
    assert calls == [(GLANCE_SEED + k, None if k % 2 == 0 else "reader") for k in range(6)]
    assert without["refined_complete_all_s"] == [GLANCE_SEED + k for k in (0.0, 2.0, 4.0)]
    assert with_text["refined_complete_s"] == GLANCE_SEED + 3.0 and with_text["repeats"] == 3
    assert with_text["speech_gap_s"] == max(0.1 * k for k in (1, 3, 5))  # the longest wait, not the median
    assert without["peak_rss_bytes"] == with_text["peak_rss_bytes"] > 0
