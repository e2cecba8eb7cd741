"""What llama.cpp's CPU back end reports it can use, and the vision encoder's number format that follows.

llama.cpp's own report decides, not /proc/cpuinfo: its kernels are picked from the features
its build detected (`llama_print_system_info()`, which joins every back end's
`ggml_backend_get_features`, ggml-cpu.cpp: "CPU : SSE3 = 1 | ... | AVX512_BF16 = 1 | ").
The report is read in a child process (`python -m engine.cpu_features` prints it as JSON), so
the converter and the app, which never load llama.cpp themselves, can ask too.

Why BF16 only with AVX512_BF16: the checkpoint is bf16, so a BF16 mmproj stores its matrices
exactly (F16 rounds them and can overflow), and where the CPU has native bf16 dot products
(ggml-cpu's `_mm512_dpbf16_ps` path) a 448x448 tile encodes about 30% faster than with F16
(measured on a Zen 4 EPYC: 3.6-4.1 s against 5.3 s). Without it ggml converts bf16 in software and
BF16 runs at about half of F16's speed (llama.cpp issue tracker, Zen 3), so F16 stays there.
On an Intel Xeon with AMX (llama.cpp reports AMX_INT8 too) BF16 encoded as fast as F16, not faster
(2026-12-02: 4.84-4.95 s a tile against 4.71-4.98 s, Q8_0 4.99-5.12 s, three interleaved rounds):
BF16 is still chosen there for its exact weights, but re-converting an F16 pair is not suggested.
The CPU back end's report decides even where the model runs on a GPU (engine/device.py): the file is
made once, for whichever device runs it later.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MODULE = "engine.cpu_features"  # run as a child: `python -m engine.cpu_features`
CPU_BACKEND = "CPU"
NATIVE_BF16_FEATURE = "AVX512_BF16"
AMX_FEATURE = "AMX_INT8"  # Intel's matrix extension (Sapphire Rapids and later)
MMPROJ_BF16, MMPROJ_F16 = "bf16", "f16"
QUERY_TIMEOUT_S = 60
ROOT = Path(__file__).resolve().parent.parent

Features = dict[str, dict[str, str]]  # back end -> feature -> value, as llama.cpp prints them


@dataclass(frozen=True)
class MmprojChoice:
    type: str
    reason: str


def parse_system_info(text: str) -> Features:
    """`"CPU : SSE3 = 1 | AVX = 1 | "` -> {"CPU": {"SSE3": "1", "AVX": "1"}}; unknown text is skipped."""
    features: Features = {}
    backend = None
    for part in text.split("|"):
        if " : " in part:  # a new back end's section starts inside this part
            name, part = part.split(" : ", 1)
            backend = name.strip()
            features.setdefault(backend, {})
        key, is_pair, value = part.partition("=")
        if backend is not None and is_pair and key.strip():
            features[backend][key.strip()] = value.strip()
    return features


def llama_cpp_features() -> Features:
    """The features of the llama.cpp this Python environment loads (imports llama_cpp)."""
    from engine import llama_library

    return parse_system_info(llama_library.load().llama_print_system_info().decode("utf-8", errors="replace"))


def query_command() -> list[str]:
    """The child process that prints llama_cpp_features() as JSON (run with ROOT as its folder)."""
    return [sys.executable, "-m", MODULE]


def features_from_json(text: str) -> Features | None:
    try:
        features = json.loads(text)
    except ValueError:
        return None
    return features if isinstance(features, dict) else None


def query_features() -> Features | None:
    """llama_cpp_features() from a child process; None when it could not run (the caller says so)."""
    try:
        proc = subprocess.run(query_command(), cwd=ROOT, capture_output=True, text=True, timeout=QUERY_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return features_from_json(proc.stdout) if proc.returncode == 0 else None


def _reports(features: Features | None, feature: str) -> bool:
    return bool(features) and features.get(CPU_BACKEND, {}).get(feature) == "1"


def has_native_bf16(features: Features) -> bool:
    return _reports(features, NATIVE_BF16_FEATURE)


def has_amx(features: Features | None) -> bool:
    return _reports(features, AMX_FEATURE)


def choose_mmproj_type(features: Features | None, is_source_bf16: bool = True) -> MmprojChoice:
    """The fastest exact format for the vision encoder's matrices on this machine, with the reason."""
    if features is None:
        return MmprojChoice(MMPROJ_F16, "llama.cpp's CPU features could not be read; F16 is fast on every CPU")
    if not has_native_bf16(features):
        return MmprojChoice(MMPROJ_F16, f"llama.cpp reports no {NATIVE_BF16_FEATURE} on this CPU, "
                                        "where BF16 runs at about half of F16's speed")
    if not is_source_bf16:
        return MmprojChoice(MMPROJ_F16, "the checkpoint's vision weights are not bf16, so BF16 would round them")
    if has_amx(features):
        return MmprojChoice(MMPROJ_BF16, f"llama.cpp reports {NATIVE_BF16_FEATURE} on this CPU: BF16 keeps the "
                                         "bf16 weights exact and encodes as fast as F16 on Intel CPUs with AMX")
    return MmprojChoice(MMPROJ_BF16, f"llama.cpp reports {NATIVE_BF16_FEATURE} on this CPU: BF16 keeps the "
                                     "bf16 weights exact and encodes about 30% faster than F16")


def would_reconverting_be_faster(mmproj_type: str, features: Features | None) -> bool:
    """True for an F16 vision encoder where llama.cpp runs BF16 natively (the checkpoint is bf16) and faster
    than F16: not on Intel CPUs with AMX, where the two encoded at the same speed."""
    return mmproj_type == MMPROJ_F16 and choose_mmproj_type(features).type == MMPROJ_BF16 and not has_amx(features)


def main() -> int:
    print(json.dumps(llama_cpp_features()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
