"""The one-line hint for an F16 vision encoder where llama.cpp runs BF16 natively: the real child process.

Whether this machine's llama.cpp reports AVX512_BF16 (and AMX, where BF16 is no faster) is read from
llama.cpp itself, so the test expects the hint exactly where re-converting would make reading faster.
"""

from __future__ import annotations

from app.model.reconvert_hint import ReconvertHint
from engine.cpu_features import llama_cpp_features, would_reconverting_be_faster
from engine.model_files import find_model_pair

TIMEOUT_MS = 60000


def _hints(qtbot, pair) -> list[str]:
    checker = ReconvertHint()
    hints: list[str] = []
    checker.hint.connect(hints.append)
    checker.check(pair)
    if checker._process is not None:  # the query runs only for an F16 encoder
        with qtbot.waitSignal(checker._process.finished, timeout=TIMEOUT_MS):
            pass
    qtbot.wait(10)  # the finished handler runs after the signal's other receivers
    checker.check(pair)  # once per folder and session
    assert checker._process is None
    return hints


def test_an_f16_pair_gets_one_plain_hint_exactly_where_bf16_is_faster(qtbot, conversions):
    pair = find_model_pair(conversions.get("internvl", "Q4_K_M", "f16").model_path.parent)
    hints = _hints(qtbot, pair)
    if would_reconverting_be_faster("f16", llama_cpp_features()):
        assert len(hints) == 1
        assert "F16" in hints[0] and "converting the checkpoint again" in hints[0] and "works as it is" in hints[0]
    else:
        assert hints == []


def test_a_bf16_pair_gets_no_hint(qtbot, conversions):
    pair = find_model_pair(conversions.get("internvl", "Q4_K_M", "bf16").model_path.parent)
    assert _hints(qtbot, pair) == []
