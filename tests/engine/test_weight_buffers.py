"""Where the language model's weights go: llama.cpp's choice, without the AMX buffer whose kernels crash."""

from __future__ import annotations

import re
import subprocess
import sys

from engine.cpu_features import has_amx, llama_cpp_features, parse_system_info
from engine.weight_buffers import LLAMA_CPP_CHOICE, TensorInfo, gguf_tensors, plan

# llama_print_system_info() as llama.cpp printed it on an Intel Xeon with AMX (2026-12-02) and on a Zen 4 EPYC.
AMX_XEON = parse_system_info(
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX_VNNI = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 | "
    "AVX512_VBMI = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | AMX_INT8 = 1 | LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | ")
ZEN4 = parse_system_info("CPU : AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AVX512_BF16 = 1 | REPACK = 1 | ")
TENSORS = [TensorInfo("token_embd.weight", "Q4_K", (1536, 153376)),  # read row by row: never repacked
           TensorInfo("blk.0.attn_q.weight", "Q4_K", (1536, 1536)),
           TensorInfo("blk.0.attn_v.weight", "Q6_K", (1536, 768)),  # no x86 REPACK kernel for Q6_K
           TensorInfo("blk.0.ffn_up.weight", "Q4_0", (1536, 6144)),
           TensorInfo("blk.0.odd.weight", "Q4_K", (256, 12)),  # 12 rows: not a multiple of 8
           TensorInfo("blk.0.attn_norm.weight", "F32", (1536,))]


def test_llama_cpps_own_choice_stands_without_amx():
    assert not has_amx(ZEN4)
    assert plan(ZEN4, TENSORS, is_on_gpu=False) == LLAMA_CPP_CHOICE
    assert plan({}, TENSORS, is_on_gpu=False) == LLAMA_CPP_CHOICE


def test_with_amx_the_matrices_repack_takes_are_named_and_the_rest_stay_plain():
    buffers = plan(AMX_XEON, TENSORS, is_on_gpu=False)
    assert not buffers.use_extra_bufts
    assert buffers.repack_names == ("blk.0.attn_q.weight", "blk.0.ffn_up.weight")
    assert "AMX" in buffers.reason


def test_with_amx_and_a_gpu_nothing_is_repacked():
    buffers = plan(AMX_XEON, TENSORS, is_on_gpu=True)
    assert not buffers.use_extra_bufts and buffers.repack_names == ()


def test_the_tensor_list_is_read_from_the_gguf_header(conversions):
    pair = conversions.get("internvl", "Q4_K_M", "f16")
    tensors = {t.name: t for t in gguf_tensors(pair.model_path)}
    assert tensors["blk.0.attn_q.weight"].type == "Q4_K"
    assert tensors["token_embd.weight"].shape[0] == tensors["blk.0.attn_q.weight"].shape[0]  # the row length


def test_the_header_is_stepped_over_as_gguf_py_reads_it(conversions):
    """The worker's own walk over the header (every key-value type the converter writes, the vocabulary's
    string arrays among them) finds the tensors gguf-py's GGUFReader finds, in order."""
    import gguf

    pair = conversions.get("internvl", "Q4_K_M", "f16")
    for path in (pair.model_path, pair.mmproj_path):
        reader = gguf.GGUFReader(path)
        kinds = {field.types[0] for field in reader.fields.values() if field.types}
        assert {gguf.GGUFValueType.STRING, gguf.GGUFValueType.ARRAY} <= kinds
        want = [TensorInfo(t.name, t.tensor_type.name, tuple(int(n) for n in t.shape)) for t in reader.tensors]
        assert gguf_tensors(path) == want and len(want) > 10


LOAD_AND_DECODE = """
import logging
import sys
logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)  # llama.cpp's load log, through engine.native_log
from engine import llama_library
llama_cpp = llama_library.load()
from engine.weight_buffers import open_llama, plan_for
print("REPACK_NAMES", len(plan_for(sys.argv[1], False).repack_names), flush=True)
llm = open_llama(sys.argv[1], n_ctx=256, n_batch=64, n_ubatch=64, verbose=True)
tokens = (llama_cpp.llama_token * 16)(*range(100, 116))
assert llama_cpp.llama_decode(llm.ctx, llama_cpp.llama_batch_get_one(tokens, 16)) == 0
print("DECODED", flush=True)
"""


def test_the_model_loads_and_decodes_in_the_buffers_planned(conversions):
    """The real llama.cpp on the tiny Q4_K_M model in a child process (a crash there fails only the child).
    On a CPU with AMX this is the crash being avoided: llama.cpp's load log must name no AMX buffer, and
    llama.cpp's REPACK buffer must hold exactly the matrices named; elsewhere llama.cpp chooses, as before."""
    pair = conversions.get("internvl", "Q4_K_M", "f16")
    proc = subprocess.run([sys.executable, "-c", LOAD_AND_DECODE, str(pair.model_path)], capture_output=True,
                          text=True, timeout=120)
    assert "DECODED" in proc.stdout, (proc.returncode, proc.stderr[-3000:])
    assert "AMX model buffer" not in proc.stderr
    features = llama_cpp_features().get("CPU", {})
    if features.get("AVX2") == "1" and features.get("REPACK") == "1":  # llama.cpp repacks Q4_K on x86 with AVX2
        assert "CPU_REPACK model buffer" in proc.stderr
    if has_amx(llama_cpp_features()):
        named = int(re.search(r"REPACK_NAMES (\d+)", proc.stdout).group(1))
        moved = re.search(r"\(and (\d+) others\) cannot be used with preferred buffer type CPU, using CPU_REPACK",
                          proc.stderr)
        assert named > 0 and moved and int(moved.group(1)) + 1 == named
