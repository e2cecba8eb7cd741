"""Vision encoders: which one encodes a tile, and OpenVINO's InternViT beside mtmd's."""
