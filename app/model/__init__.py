"""The model folder: finding it, converting a checkpoint into it, and the tip to convert again."""
