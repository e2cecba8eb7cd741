"""Starting a child process of the engine's (the model worker, the text reader): one way for both.

Spawned, never forked: the caller may hold Qt, threads or llama.cpp state that a fork would copy
half-made. The child starts deaf to Ctrl+C (engine.worker.sigint_blocked): the caller owns it.
"""

from __future__ import annotations

import multiprocessing
from typing import Callable


def spawn(target: Callable, args: tuple, name: str):
    """(the started process, the caller's end of its pipe)."""
    from engine.worker import sigint_blocked

    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=target, args=(child, *args), daemon=True, name=name)
    with sigint_blocked():
        process.start()
    child.close()
    return process, parent


class ChildOwner:
    """What every owner of one such child says of it (the model worker's client, the text reader's)."""

    _proc = None  # the started process, or None before start and after close

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def is_alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()
