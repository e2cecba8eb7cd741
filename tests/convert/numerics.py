"""Comparison figures shared by the equality tests."""

from __future__ import annotations

import numpy as np


def compare(label: str, got: np.ndarray, want: np.ndarray) -> tuple[float, float]:
    """Print and return (max abs error relative to the reference's range, cosine similarity)."""
    got = np.asarray(got, dtype=np.float64).ravel()
    want = np.asarray(want, dtype=np.float64).ravel()
    rel = float(np.abs(got - want).max() / np.abs(want).max())
    cos = float(got @ want / (np.linalg.norm(got) * np.linalg.norm(want)))
    print(f"{label}: max abs error / max |ref| = {rel:.2e}, cosine = {cos:.8f}")
    return rel, cos
