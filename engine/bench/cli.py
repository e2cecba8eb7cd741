"""`python main.py bench [--json]`: print the latency and memory figures and the targets."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

from engine.bench.images import BENCH_IMAGES
from engine.bench.read_report import print_reads, read_targets, report_reads, second_looks_beside_a_text_reader
from engine.bench.read_rows import default_images, read_rows
from engine.prompts import DETAIL_LEVELS

DETAILS = DETAIL_LEVELS
GIB = 1024**3
# Targets on a 2-core machine (the latency issue): (label, figure key, limit, comparison)
TTFW_FLOOR_RATIO = 1.15
OVERHEAD_LIMIT = 1.03
REFINED_LIMIT_S = 42.0  # 1920x1080, glance + second look (issue 16; 60 s before)
PEER_FLOOR_RATIO = 0.85  # the 1920x1080 glance's TTFW over llama.cpp's own one-tile floor with an F16 mmproj
FOLLOW_UP_LIMIT_S = 1.0  # after every detail level (issue 16; the glance's was 1.5 s before)
PEAK_RSS_LIMIT_BYTES = 2.0e9  # the "2.0 GB", in bytes (1.86 GiB)
# The rows that decide the latency targets (the glances, and the glance + second look) run on this
# many different images and report the median: the same run repeated on this shared 2-core host
# differs by up to about 10%, and one slow moment should not decide a target.
REPEATS = 3


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure latency and memory on a full-size synthetic model (slow)")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    p.add_argument("--images", nargs="+", choices=list(BENCH_IMAGES), default=list(BENCH_IMAGES))
    p.add_argument("--details", nargs="+", choices=DETAILS, default=list(DETAILS))
    p.add_argument("--threads", type=int, help="CPU threads (default: the physical cores)")
    p.add_argument("--model-dir", help="measure this GGUF pair instead of the cached full-size synthetic model")
    p.add_argument("--peer-mmproj", help="with --model-dir: an F16 mmproj of the same language model, for the peer "
                                         "baseline (without --model-dir: the cached model's own)")
    p.add_argument("--read-only", action="store_true",
                   help="only the text reader's rows (no model: the bench's screens and the known-text screens)")
    p.add_argument("--formats", action="store_true",
                   help="instead: the language model's formats (Q4_K_M, Q4_0, Q8_0) x micro-batches (64, 128, 256), "
                        "and Q4_K_M with flash attention on and with a Q8_0 K cache, through llama.cpp's own "
                        "path: prefill and decode rates (also after a long prompt), peak memory")
    p.add_argument("--encoders", action="store_true",
                   help="instead: the vision encoder through llama.cpp's mtmd and through OpenVINO, on the same "
                        "mmproj and tile: seconds a tile, memory, and how far apart their embeddings are")
    p.add_argument("--first-sound", action="store_true",
                   help="instead: key press -> first sound in the real app on a private X server, step by step")
    p.add_argument("--presses", type=int, default=3, help="with --first-sound: how many key presses (median)")
    p.add_argument("--voice", action="store_true",
                   help="with --first-sound: speak through the machine's player instead of to WAV files")
    p.set_defaults(func=run_bench)


def llama_cpp_line(pair) -> dict:
    """The CPU features llama.cpp's build uses here and the formats of the pair under test (the
    encoder's from its GGUF, as engine.model_files reads it; the language model's and the reason
    for the encoder's from the converter's manifest, where there is one)."""
    from engine.cpu_features import CPU_BACKEND, llama_cpp_features
    from engine.manifest import MANIFEST_NAME

    features = llama_cpp_features().get(CPU_BACKEND, {})
    manifest_path = pair.model_path.parent / MANIFEST_NAME
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    return {"cpu_features": [name for name, value in features.items() if value == "1"],
            "model_type": manifest.get("model", {}).get("type", pair.model_path.name),
            "mmproj_type": pair.mmproj_type or pair.mmproj_path.name,
            "mmproj_reason": manifest.get("mmproj", {}).get("reason", "")}


def machine() -> dict:
    import psutil

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": psutil.cpu_count(logical=False), "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
            "python": platform.python_version(), "system": platform.system()}


def targets(results: dict) -> list[dict]:
    checks = []
    screen = next((r for r in results["describe"] if r["image"] == "screen-1920x1080" and r["detail"] == "brief"), None)
    if screen:
        ratio = screen["ttfw_floor_ratio"]
        checks.append({"target": f"TTFW 1920x1080 glance <= {TTFW_FLOOR_RATIO} x one-tile floor",
                       "value": round(ratio, 3), "met": ratio <= TTFW_FLOOR_RATIO})
        ratio = screen["ttfw_own_floor_ratio"]
        checks.append({"target": f"same, against the floor inside the app's own request (encoder + image "
                                 f"prefill; no host drift between two runs) <= {TTFW_FLOOR_RATIO}",
                       "value": round(ratio, 3), "met": ratio <= TTFW_FLOOR_RATIO})
    if screen and "ttfw_over_reference_f16_floor" in screen:
        ratio = screen["ttfw_over_reference_f16_floor"]
        checks.append({"target": f"TTFW 1920x1080 glance <= {PEER_FLOOR_RATIO} x llama.cpp's own one-tile floor with an "
                                 f"F16 mmproj ({screen['reference_f16_floor_s']:.2f} s; the peer baseline)",
                       "value": round(ratio, 3), "met": ratio <= PEER_FLOOR_RATIO})
    comparable = [r for r in results["describe"] if r["tiles"] > 0]  # not rows whose tiles came from the cache
    if comparable:
        # All rows' time together: one row's minute or two can drift by more than 3% on this shared host
        # (llama.cpp's own runs before and after the app's differed by up to 6%); the sum over all rows averages it out.
        overall = sum(r["total_s"] for r in comparable) / sum(r["reference_total_s"] for r in comparable)
        worst = max(comparable, key=lambda r: r["overhead"])
        checks.append({"target": f"app overhead over llama.cpp's own path <= {OVERHEAD_LIMIT} (all rows' time "
                                 f"together; worst single row {worst['overhead']:.3f}: {worst['image']} {worst['detail']})",
                       "value": round(overall, 3), "met": overall <= OVERHEAD_LIMIT})
    if results["describe"]:
        worst = max(r["app_code_share"] for r in results["describe"])
        checks.append({"target": f"same, as time spent in app code outside llama.cpp calls <= {OVERHEAD_LIMIT - 1:.0%} "
                                 "(worst row; not affected by the CPU's speed)",
                       "value": f"{worst:.2%}", "met": worst <= OVERHEAD_LIMIT - 1})
    if results["describe"]:
        slowest = max(results["describe"], key=lambda r: r["follow_up_first_token_s"])
        checks.append({"target": f"follow-up first token after every description <= {FOLLOW_UP_LIMIT_S} s (slowest: "
                                 f"{slowest['image']} {slowest['detail']}, {slowest['follow_up_read_tokens']} tokens read)",
                       "value": round(slowest["follow_up_first_token_s"], 2),
                       "met": slowest["follow_up_first_token_s"] <= FOLLOW_UP_LIMIT_S})
    for look in results["second_look"]:
        if look["image"] == "screen-1920x1080":  # the target; other screens are printed above
            checks.append({"target": f"{look['image']}: refined description within {REFINED_LIMIT_S:.0f} s "
                                     f"(median of {look.get('repeats', 1)})",
                           "value": round(look["refined_complete_s"], 1),
                           "met": look["refined_complete_s"] <= REFINED_LIMIT_S})
        checks.append({"target": f"{look['image']}: speech never waits for the model after TTFW (s waited, longest run)",
                       "value": round(look["speech_gap_s"], 1), "met": look["speech_gap_s"] == 0})
        checks.append({"target": f"{look['image']}: follow-up first token <= {FOLLOW_UP_LIMIT_S} s",
                       "value": round(look["follow_up_first_token_s"], 2),
                       "met": look["follow_up_first_token_s"] <= FOLLOW_UP_LIMIT_S})
    checks += read_targets(results)
    peak = results["memory"]["worker_peak_rss_bytes"]
    checks.append({"target": f"peak RSS of the worker <= 2.0 GB (10^9 bytes; this run: {peak / GIB:.2f} GiB)",
                   "value": round(peak / 1e9, 3), "met": peak <= PEAK_RSS_LIMIT_BYTES})
    return checks


def run_bench(args: argparse.Namespace) -> int:
    import logging

    if args.first_sound:
        from engine.bench.first_sound import run_first_sound

        return run_first_sound(args)

    from engine.bench.runner import Bench

    logging.basicConfig(level=logging.CRITICAL)
    if args.formats:
        return _formats(args)
    if args.encoders:
        return _encoders(args)
    if args.read_only:
        return report_reads({"read": read_rows(default_images(), args.threads)}, args.json)
    if args.model_dir:  # a peer only if given: the cached F16 mmproj belongs to another language model
        bench = Bench(args.threads, args.model_dir, Path(args.peer_mmproj) if args.peer_mmproj else None)
    else:
        from engine.bench.models import reference_mmproj

        bench = Bench(args.threads, peer_mmproj=reference_mmproj())
    results = {"machine": {**machine(), "threads": bench.n_threads, **llama_cpp_line(bench.pair)},
               "load": bench.load, "describe": [], "second_look": [],
               "second_look_ocr": []}
    for name in args.images:
        for detail in args.details:
            print(f"... {name} {detail}", file=sys.stderr, flush=True)
            # brief runs are short and decide the TTFW target: the median of three
            results["describe"].append(bench.describe_median(name, detail, REPEATS if detail == "brief" else 1))
        if name.startswith("screen"):
            print(f"... {name} glance + second look + follow-up, in turns without and with the text read beside "
                  "the glance", file=sys.stderr, flush=True)
            without, with_text = second_looks_beside_a_text_reader(bench, name)
            results["second_look"].append(without)
            results["second_look_ocr"].append(with_text)
    results["memory"] = bench.close()
    print("... read", file=sys.stderr, flush=True)
    results["read"] = read_rows(default_images(), args.threads)
    results["targets"] = targets(results)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_report(results)
    return 0


def _formats(args: argparse.Namespace) -> int:
    import psutil

    from engine.bench.formats import print_formats, run_formats

    threads = args.threads or psutil.cpu_count(logical=False) or 1
    rows = run_formats(threads)
    if args.json:
        print(json.dumps({"machine": {**machine(), "threads": threads}, "formats": rows}, indent=2))
    else:
        print_formats(rows)
    return 0


def _encoders(args: argparse.Namespace) -> int:
    import psutil

    from engine.bench.encoders import openvino_has_bf16, print_encoders, run_encoders
    from engine.bench.models import ensure_model
    from engine.model_files import find_model_pair

    threads = args.threads or psutil.cpu_count(logical=False) or 1
    pair = find_model_pair(Path(args.model_dir) if args.model_dir else ensure_model())
    rows = run_encoders(pair.model_path, pair.mmproj_path, threads)
    about = {**machine(), "threads": threads, **llama_cpp_line(pair), "openvino_bf16": openvino_has_bf16()}
    if args.json:
        print(json.dumps({"machine": about, "encoders": rows}, indent=2))
    else:
        print(f"{about['cpu']}, {threads} threads; llama.cpp's CPU features: {' '.join(about['cpu_features'])}; "
              f"vision encoder {about['mmproj_type']}; OpenVINO runs BF16 natively here: "
              f"{'yes' if about['openvino_bf16'] else 'no'}")
        print_encoders(rows)
    return 0


def _peak(row: dict) -> str:
    """This row's peak memory in GB (10^9 bytes, as the target); "<=" where it could not be reset (the worker's peak so far)."""
    return ("" if row["peak_rss_is_own"] else "<=") + f"{row['peak_rss_bytes'] / 1e9:.3f}"


def print_report(results: dict) -> None:
    m = results["machine"]
    print(f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; {results['machine']['threads']} threads")
    print(f"llama.cpp's CPU features: {' '.join(m['cpu_features'])}; language model {m['model_type']}, "
          f"vision encoder {m['mmproj_type']} ({m['mmproj_reason']})")
    print(f"Model load + warm-up on the {results['load']['device'].upper()}: {results['load']['worker_s']:.1f} s (worker), "
          f"{results['load']['client_s']:.1f} s to ready; "
          f"peak RSS {results['load']['peak_rss_bytes'] / 1e9:.3f} GB")
    print(f"Vision encoder run by {results['load']['encoder']}: {results['load']['encoder_reason']}")
    header = ("image", "detail", "tiles", "enc/tile", "prefill", "1st tok", "tok/s", "TTFW", "total",
              "floor", "app floor/floor", "1st tok/floor", "TTFW/floor", "total/floor", "llama.cpp", "overhead",
              "app code", "peak RSS GB", "follow-up 1st tok", "follow-up reused/read", "F16 peer floor", "TTFW/F16 peer floor")
    print(" | ".join(header))
    for r in results["describe"]:
        print(" | ".join([r["image"], r["detail"], str(r["tiles"]), f"{r['encode_per_tile_s']:.2f}", f"{r['prefill_s']:.2f}",
                          f"{r['first_token_s']:.2f}", f"{r['decode_tok_s']:.1f}", f"{r['ttfw_s']:.2f}",
                          f"{r['total_s']:.1f}", f"{r['floor_s']:.2f}", f"{r['own_floor_ratio']:.2f}",
                          f"{r['first_token_floor_ratio']:.2f}", f"{r['ttfw_floor_ratio']:.2f}",
                          f"{r['total_floor_ratio']:.2f}", f"{r['reference_total_s']:.1f}", f"{r['overhead']:.3f}",
                          f"{r['app_code_share']:.2%}", _peak(r), f"{r['follow_up_first_token_s']:.2f}",
                          f"{r['follow_up_reused_tokens']}/{r['follow_up_read_tokens']}",
                          f"{r.get('reference_f16_floor_s', float('nan')):.2f}",
                          f"{r.get('ttfw_over_reference_f16_floor', float('nan')):.2f}"]))
    for look in results["second_look"]:
        starts = ", ".join(f"{t:.1f}" for t in look["close_up_first_token_s"])
        all_runs = ", ".join(f"{t:.1f}" for t in look.get("refined_complete_all_s", [look["refined_complete_s"]]))
        print(f"{look['image']}: glance TTFW {look['glance_ttfw_s']:.1f} s, glance done {look['glance_total_s']:.1f} s; "
              f"{look['regions']} close-ups, one request each (first token {starts} s after each request); "
              f"refined done {look['refined_complete_s']:.1f} s (runs: {all_runs}); "
              f"speech waits {look['speech_gap_s']:.1f} s in all; "
              f"follow-up first token {look['follow_up_first_token_s']:.2f} s; peak RSS {_peak(look)} GB")
    print(f"Worker peak RSS: {results['memory']['worker_peak_rss_bytes'] / 1e9:.3f} GB")
    print_reads(results)
    for check in results["targets"]:
        print(f"[{'met' if check['met'] else 'MISSED'}] {check['target']}: {check['value']}")
