"""Native calls (ctypes declarations) and workarounds for PySide6 itself."""
