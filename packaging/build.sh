#!/usr/bin/env bash
# Builds the one-folder app that runs without Python: dist/visionpangu-assistant/visionpangu-assistant
# (Linux and macOS; the Windows CI job runs the same steps in PowerShell).
# PyInstaller lives in its own venv (.venv-build), never in the app's: `pip install -e '.[freeze]'`.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_VENV="${VISIONPANGU_BUILD_VENV:-.venv-build}"
ICON="build/icon/visionpangu-assistant.png"

[ -x "$BUILD_VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$BUILD_VENV"
# llama.cpp for any CPU, not only this one (the app venv's pip build is for this one), installed first
# so that the freeze extra finds llama-cpp-python in place.
bash packaging/portable_llama_cpp.sh "$BUILD_VENV/bin/python"
"$BUILD_VENV/bin/pip" install -q -e '.[freeze]'
mkdir -p "$(dirname "$ICON")"
PYTHONPATH="$PWD" "$BUILD_VENV/bin/python" packaging/make_icon.py "$ICON"
rm -rf dist/visionpangu-assistant
VISIONPANGU_ICON="$ICON" "$BUILD_VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/visionpangu-assistant.spec
du -sh dist/visionpangu-assistant
