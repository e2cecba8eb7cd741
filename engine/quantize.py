"""Quantize a language-model GGUF with llama.cpp's own quantizer.

Run as a child process (`python -m engine.quantize SRC DST TYPE`) by the converter, so
llama.cpp's aborts on bad input cannot kill the caller, and Ctrl+C stops it cleanly.
"""

from __future__ import annotations

import sys

FTYPES = {"Q4_K_M": 15, "Q4_0": 2, "Q5_K_M": 17, "Q8_0": 7, "F16": 1, "F32": 0}  # llama_ftype values


def quantize(src: str, dst: str, type_name: str, threads: int = 0) -> None:
    from engine import llama_library

    llama_cpp = llama_library.load()
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = FTYPES[type_name]
    params.nthread = threads
    status = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), params)
    if status != 0:
        raise RuntimeError(f"llama.cpp could not quantize {src} (status {status})")


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[2] not in FTYPES:
        print(f"usage: python -m engine.quantize SRC DST {{{'|'.join(FTYPES)}}}", file=sys.stderr)
        return 2
    try:
        quantize(*argv)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
