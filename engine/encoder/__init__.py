"""The vision encoder outside mtmd: InternViT on OpenVINO, where it is the faster one (choice.py).

`internvit_graph.py` builds the graph from the mmproj GGUF, `openvino_encoder.py` runs it,
`tiles.py` cuts an image as mtmd does, `shell_mmproj.py` gives mtmd the file it tokenizes with,
and `choice.py` decides, for the worker's session, which encoder runs.
"""
