"""The PySide6 desktop app (no llama_cpp imports here: the engine runs in its worker process)."""

from app.platform.pyside_workarounds import keep_true_and_false_alive

keep_true_and_false_alive()
