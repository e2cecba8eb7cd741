"""PyInstaller runtime hook: the frozen executable runs `-m engine.quantize ...` as `python -m` would.

convert/pipeline.py starts llama.cpp's quantizer as `[sys.executable, "-m", "engine.quantize", ...]`
so that an abort inside llama.cpp ends only that child. In a frozen app sys.executable is this
program, not a Python interpreter, so without this hook the child would start the app's own
argument parser and fail. Only the modules listed here can be started this way.
Runtime hooks run before the entry script (PyInstaller manual, "Changing Runtime Behavior").
"""

import sys

CHILD_MODULES = ("engine.quantize", "engine.cpu_features")  # each must be in the spec's hiddenimports too

if len(sys.argv) >= 3 and sys.argv[1] == "-m" and sys.argv[2] in CHILD_MODULES:
    import runpy

    module_name = sys.argv[2]
    sys.argv = [sys.argv[0], *sys.argv[3:]]
    runpy.run_module(module_name, run_name="__main__", alter_sys=True)
    sys.exit(0)  # the module's own `raise SystemExit(...)` normally ends the process first
