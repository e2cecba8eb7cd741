"""Peak resident memory of a process (the model worker, the text reader, a benchmark child), and
starting a new peak for it."""

from __future__ import annotations

from pathlib import Path


def peak_rss_bytes(pid: int) -> int:
    """Peak resident memory of a process: VmHWM on Linux, peak working set on Windows."""
    status = Path(f"/proc/{pid}/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import psutil

    info = psutil.Process(pid).memory_info()
    return int(getattr(info, "peak_wset", info.rss))


def reset_peak_rss(pid: int) -> bool:
    """Start a new peak for `pid` (Linux: writing 5 to clear_refs resets VmHWM); False where that
    cannot be done, and the peak then runs on from the worker's start."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False
