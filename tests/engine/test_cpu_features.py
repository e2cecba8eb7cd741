"""llama.cpp's own feature report, read as the converter and the app read it, and the choice it drives."""

from __future__ import annotations

import pytest

from engine.cpu_features import (MMPROJ_BF16, MMPROJ_F16, choose_mmproj_type, llama_cpp_features,
                                 parse_system_info, query_features, would_reconverting_be_faster)

# llama_print_system_info() lines as llama.cpp prints them (llama.cpp src/llama.cpp: "NAME : KEY = VALUE | "
# for each back end with features): this machine's build (Zen 4) and, because no such machine is here,
# a Zen 3 build's (AVX2 without AVX-512) and a CUDA build's on an AVX2 CPU.
ZEN4 = ("CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 | "
        "AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | ")
ZEN3 = "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | LLAMAFILE = 1 | REPACK = 1 | "
# An Intel Xeon with AMX, as llama.cpp printed it here on 2026-12-02.
AMX_XEON = ("CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX_VNNI = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | "
            "AVX512 = 1 | AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 | "
            "OPENMP = 1 | REPACK = 1 | ")
CUDA = ("CUDA : ARCHS = 750,860 | USE_GRAPHS = 1 | PEER_MAX_BATCH_SIZE = 128 | "
        "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | OPENMP = 1 | ")


def test_parse_reads_every_back_end():
    assert parse_system_info(ZEN4)["CPU"]["AVX512_BF16"] == "1"
    assert parse_system_info(CUDA) == {
        "CUDA": {"ARCHS": "750,860", "USE_GRAPHS": "1", "PEER_MAX_BATCH_SIZE": "128"},
        "CPU": {"SSE3": "1", "AVX": "1", "AVX2": "1", "F16C": "1", "FMA": "1", "OPENMP": "1"}}
    assert parse_system_info("") == {}
    assert parse_system_info("nothing | here = | x") == {}


@pytest.mark.parametrize("line, expected", [(ZEN4, MMPROJ_BF16), (ZEN3, MMPROJ_F16), (CUDA, MMPROJ_F16)])
def test_bf16_only_where_llama_cpp_runs_it_natively(line, expected):
    choice = choose_mmproj_type(parse_system_info(line))
    assert choice.type == expected
    assert "AVX512_BF16" in choice.reason


def test_f16_when_the_report_is_unreadable_or_the_source_is_not_bf16():
    assert choose_mmproj_type(None).type == MMPROJ_F16
    assert "could not be read" in choose_mmproj_type(None).reason
    not_bf16 = choose_mmproj_type(parse_system_info(ZEN4), is_source_bf16=False)
    assert not_bf16.type == MMPROJ_F16 and "not bf16" in not_bf16.reason


def test_the_child_reports_what_llama_cpp_reports_in_process():
    assert query_features() == llama_cpp_features()
    assert "CPU" in llama_cpp_features()


def test_reconverting_is_faster_only_for_f16_on_native_bf16():
    zen4, zen3 = parse_system_info(ZEN4), parse_system_info(ZEN3)
    assert would_reconverting_be_faster("f16", zen4)
    assert not would_reconverting_be_faster("bf16", zen4)
    assert not would_reconverting_be_faster("q8_0", zen4)  # a smaller file was chosen on purpose
    assert not would_reconverting_be_faster("f16", zen3)
    assert not would_reconverting_be_faster("f16", None)


def test_on_an_intel_cpu_with_amx_bf16_is_chosen_for_exactness_and_no_speed_is_promised():
    features = parse_system_info(AMX_XEON)
    choice = choose_mmproj_type(features)
    assert choice.type == MMPROJ_BF16 and "as fast as F16" in choice.reason and "30%" not in choice.reason
    assert not would_reconverting_be_faster("f16", features)
