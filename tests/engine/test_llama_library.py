"""engine/llama_library.py: the copy of ggml libllama uses, and back ends loaded before the first call.

The run-time loading of a GGML_BACKEND_DL build is tested on the frozen app, which is built that
way (tests/packaging/test_portable_llama_cpp.py); the venv's llama.cpp is pip's native build.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine import llama_library


def make_folder(folder: Path, names: list[str]) -> Path:
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(b"")
    return folder


@pytest.mark.parametrize("names, wanted", [
    (["libggml.so", "libggml.so.0", "libggml.so.0.25.3", "libggml-base.so.0"], "libggml.so.0"),
    (["libggml.dylib", "libggml.0.dylib", "libggml.0.25.3.dylib"], "libggml.0.dylib"),
    (["ggml.dll", "ggml-base.dll", "llama.dll"], "ggml.dll"),
    (["libggml.so"], "libggml.so"),
])
def test_the_file_chosen_is_the_name_libllama_asks_for(tmp_path, monkeypatch, names, wanted):
    folder = make_folder(tmp_path / "lib", names)
    monkeypatch.setattr(llama_library, "package_folder", lambda: folder)
    assert llama_library.library_file("ggml").name == wanted


def test_ggml_base_is_not_taken_for_ggml(tmp_path, monkeypatch):
    folder = make_folder(tmp_path / "lib", ["libggml-base.so", "libggml-base.so.0"])
    monkeypatch.setattr(llama_library, "package_folder", lambda: folder)
    with pytest.raises(StopIteration):
        llama_library.library_file("ggml")


def mapped_ggml_files() -> set[str]:
    lines = Path("/proc/self/maps").read_text().splitlines()
    return {line.split()[-1] for line in lines if "/llama_cpp/lib/libggml" in line}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process's mappings (/proc/self/maps)")
def test_the_library_opened_is_the_copy_libllama_already_maps():
    """A wheel holds libggml.so, libggml.so.0 and libggml.so.0.25.3 as three files; opening another
    copy than libllama's would map a second ggml with a back-end registry of its own."""
    llama_library.load()
    before = mapped_ggml_files()
    assert any(path.endswith("libggml.so.0") for path in before), before
    llama_library.library("ggml")
    llama_library.library("ggml-base")
    assert mapped_ggml_files() == before


def test_a_native_build_has_its_cpu_back_end_before_anything_is_loaded():
    llama_cpp = llama_library.load()
    assert llama_library.load_backends() >= 1
    assert b"CPU" in llama_cpp.llama_print_system_info()


def test_the_back_ends_are_looked_for_beside_the_libraries_then_in_pips_bin_folder():
    lib, pip_bin = llama_library.backend_folders()
    assert lib == llama_library.package_folder() and (lib / next(lib.glob("*llama.*")).name).is_file()
    assert pip_bin == lib.parent.parent / "bin"
