"""The frozen app's llama.cpp runs on any x86-64 CPU and still uses this one's instructions.

pip builds llama.cpp with -march=native; a folder built that way on a CPU with AVX-512 stops with an
illegal instruction on a laptop without it. packaging/build.sh builds it as llama.cpp's releases
do: one CPU back end per instruction level, the best loaded at run time by engine/llama_library.py.
No CPU without AVX exists here to run it on, so portability is read off the machine code itself
(objdump), and the run-time choice is checked against the venv's natively built llama.cpp.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys

import pytest

from engine.cpu_features import llama_cpp_features
from tests.packaging.conftest import clean_environment
from tests.system_programs import require

pytestmark = pytest.mark.skipif(not (sys.platform.startswith("linux") and platform.machine() == "x86_64"),
                                reason="the per-level CPU back ends are an x86-64 build")
BASELINE = "x64"  # the back end for any x86-64 CPU (ggml/src/CMakeLists.txt, GGML_CPU_ALL_VARIANTS)
SOME_LEVELS = ("sse42", "haswell", "skylakex", "icelake", "zen4", "sapphirerapids")
WIDE_REGISTER = re.compile(r"%[yz]mm\d")  # AVX (256-bit) and AVX-512 (512-bit) registers in AT&T syntax
# What the app's own choices read from llama.cpp's report (engine/cpu_features.py, engine/weight_buffers.py).
DECIDING_FEATURES = ("AVX2", "AVX512", "AVX512_BF16", "AMX_INT8", "REPACK")


@pytest.fixture(scope="module")
def llama_cpp_folder(frozen_executable):
    return next(frozen_executable.parent.rglob("llama_cpp/lib"))


def wide_instructions(library) -> int:
    disassembly = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(library)], capture_output=True,
                                 text=True, check=True).stdout
    return len(WIDE_REGISTER.findall(disassembly))


def test_the_cpu_back_end_comes_for_every_level_and_none_is_built_for_this_machine(llama_cpp_folder):
    names = {path.name for path in llama_cpp_folder.iterdir()}
    assert f"libggml-cpu-{BASELINE}.so" in names
    assert all(f"libggml-cpu-{level}.so" in names for level in SOME_LEVELS), sorted(names)
    assert not any(name.startswith("libggml-cpu.so") for name in names), "a CPU back end built for one machine"


def test_llama_cpps_libraries_use_no_avx_outside_the_back_ends_for_cpus_that_have_it(llama_cpp_folder):
    require("objdump", install="apt-get install binutils")  # .ci/run installs it with build-essential
    libraries = [path for path in sorted(llama_cpp_folder.glob("lib*.so*"))
                 if not path.name.startswith("libggml-cpu-")]
    assert {"libllama.so", "libmtmd.so", "libggml.so", "libggml-base.so"} <= {path.name for path in libraries}
    assert {path.name: wide_instructions(path) for path in libraries} == {path.name: 0 for path in libraries}
    assert wide_instructions(llama_cpp_folder / f"libggml-cpu-{BASELINE}.so") == 0
    # The check can tell: the level back ends do use the wide registers.
    assert wide_instructions(llama_cpp_folder / "libggml-cpu-haswell.so") > 0
    assert wide_instructions(llama_cpp_folder / "libggml-cpu-skylakex.so") > 0


def test_the_frozen_llama_cpp_reports_this_cpus_instructions_as_the_native_build_does(frozen_executable, tmp_path):
    """The back end loaded at run time is this CPU's level: what the converter and the worker decide by
    (BF16 encoder, REPACK, the AMX workaround) is the same as with llama.cpp built for this very CPU."""
    done = subprocess.run([str(frozen_executable), "-m", "engine.cpu_features"], cwd=tmp_path, capture_output=True,
                          text=True, env=clean_environment(tmp_path / "home"), timeout=120)
    assert done.returncode == 0, done.stderr
    frozen = json.loads(done.stdout).get("CPU", {})
    native = llama_cpp_features().get("CPU", {})
    assert native.get("AVX2") == "1", "the venv's llama.cpp reports no AVX2 on this machine"
    assert {f: frozen.get(f) for f in DECIDING_FEATURES} == {f: native.get(f) for f in DECIDING_FEATURES}
