"""Per-family tensor tables: canonical GGUF name <- checkpoint name(s), with the expected shapes.

Each table yields `Entry` rows; `convert.plan` checks every checkpoint tensor is either
used by a row or deliberately skipped, and refuses anything else by name.
"""
