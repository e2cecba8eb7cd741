"""`python -m tests.hostile.dying_worker describe ...`: main.py, with the engine worker dying after the
client's liveness check and before its request is sent.

That moment is a race no test can hit on purpose, so the worker is killed right after the real
check passes; everything else (the CLI, the client, the worker process, the pipe) is real.
"""

from __future__ import annotations

import sys

from engine.client import EngineClient

_real_ensure_worker = EngineClient._ensure_worker


def _dies_after_the_check(self) -> None:
    _real_ensure_worker(self)  # the worker is alive: no new one is started
    self._proc.kill()
    self._proc.join()  # dead, its end of the pipe closed: the send that follows fails


if __name__ == "__main__":
    import main

    EngineClient._ensure_worker = _dies_after_the_check
    sys.exit(main.main(sys.argv[1:]))
