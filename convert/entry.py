"""One row of a conversion table: how a GGUF tensor is made from checkpoint tensors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


def take_first(*arrays: np.ndarray) -> np.ndarray:
    return arrays[0]


@dataclass(frozen=True)
class Entry:
    target: str
    sources: tuple[str, ...]
    source_shapes: tuple[tuple[int, ...], ...]
    out_shape: tuple[int, ...]
    build: Callable[..., np.ndarray] = take_first
    # Large 2-D weights may be stored at the requested precision; norms, biases,
    # embeddings of positions and the like always stay F32.
    is_matrix: bool = False


@dataclass
class Table:
    """The rows of one model part, plus checkpoint tensors it knowingly leaves out."""

    entries: list[Entry]
    skipped: list[str]
