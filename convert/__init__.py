"""Turn a VisionPangu Hugging Face checkpoint into the GGUF pair llama.cpp runs.

This package imports neither Qt nor llama_cpp: quantization by llama.cpp runs in a
child process (`engine.quantize`), so a crash there cannot take the converter down.
"""
