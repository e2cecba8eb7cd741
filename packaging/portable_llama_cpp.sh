#!/usr/bin/env bash
# Installs llama-cpp-python with llama.cpp built for any CPU into the venv whose Python is $1
# (packaging/build.sh; the Windows and macOS workflow).
#
# pip's own build (the app venv's) is -march=native: a folder frozen from it stops with an illegal
# instruction on a CPU without the build machine's instructions. This is built the way llama.cpp's
# releases are: on x86-64, one CPU back end per instruction level (x64, sse42, ... haswell, skylakex,
# zen4, sapphirerapids), of which engine/llama_library.py loads the best at run time; Apple
# silicon builds for the M1, which every later chip runs. The wheel is kept in build/wheels (the
# build takes about 7 minutes on 2 cores) and reinstalled from there. On Windows, MSVC (pip's
# default there) builds no AVX512_BF16 or AMX back end (ggml/src/CMakeLists.txt); llama.cpp's
# releases build Windows with clang (cmake/x64-windows-llvm.cmake), which this does not do yet.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="$1"

PIN="$(grep -o 'llama-cpp-python==[0-9.]*' pyproject.toml)"
if [ "$(uname -s)" = Darwin ]; then
    FLAGS="-DGGML_NATIVE=OFF"
else
    FLAGS="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON"
fi
WHEELS="build/wheels/${PIN#*==}-$(echo "$FLAGS" | cksum | cut -d' ' -f1)"
if ! ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    rm -rf "$WHEELS"
    CMAKE_ARGS="$FLAGS" "$PYTHON" -m pip wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python "$PIN" -w "$WHEELS"
fi
"$PYTHON" -m pip install -q --force-reinstall --no-deps "$WHEELS"/llama_cpp_python-*.whl
