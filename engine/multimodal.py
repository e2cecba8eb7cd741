"""A thin, owned wrapper over llama.cpp's mtmd: tokenize text with images, encode, evaluate.

Images go in as RGB uint8 arrays (never URLs: llama-cpp-python fetches those over the
network). Each native object is freed by the object that made it.
"""

from __future__ import annotations

import ctypes
import hashlib
from dataclasses import dataclass

import numpy as np

from engine import native_log

CHUNK_TEXT, CHUNK_IMAGE = 0, 1
FLASH_ATTN_ON = 1


class MultimodalError(RuntimeError):
    pass


@dataclass(frozen=True)
class Chunk:
    kind: int
    n_tokens: int
    tokens: tuple[int, ...]  # text chunks only


class Chunks:
    """Owns an mtmd_input_chunks list."""

    def __init__(self, mtmd, handle):
        self._m = mtmd
        self.handle = handle

    def __len__(self) -> int:
        return self._m.mtmd_input_chunks_size(self.handle)

    def raw(self, i: int):
        return self._m.mtmd_input_chunks_get(self.handle, i)

    def describe(self, i: int) -> Chunk:
        chunk = self.raw(i)
        kind = self._m.mtmd_input_chunk_get_type(chunk)
        n = self._m.mtmd_input_chunk_get_n_tokens(chunk)
        tokens: tuple[int, ...] = ()
        if kind == CHUNK_TEXT:
            count = ctypes.c_size_t()
            ptr = self._m.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(count))
            tokens = tuple(ptr[j] for j in range(count.value))
        return Chunk(kind, n, tokens)

    def image_id(self, i: int) -> str:
        """The id mtmd keeps for an image chunk: here, a hash of the image's pixels."""
        raw = self._m.mtmd_input_chunk_get_id(self.raw(i))
        return raw.decode() if raw else ""

    def n_tokens(self) -> int:
        return self._m.mtmd_helper_get_n_tokens(self.handle)

    def close(self) -> None:
        if self.handle is not None:
            self._m.mtmd_input_chunks_free(self.handle)
            self.handle = None

    def __del__(self):
        self.close()


class MultimodalContext:
    """mtmd context for one mmproj file bound to one loaded llama model."""

    def __init__(self, mmproj_path: str, llama_model, n_threads: int, *, flash_attn: bool = True,
                 image_max_tokens: int = -1, warmup: bool = True):
        native_log.install()
        from llama_cpp import mtmd_cpp

        self._m = mtmd_cpp
        params = mtmd_cpp.mtmd_context_params_default()
        params.use_gpu = False
        params.print_timings = False
        params.n_threads = n_threads
        params.warmup = warmup
        params.flash_attn_type = FLASH_ATTN_ON if flash_attn else 0
        if image_max_tokens > 0:
            params.image_max_tokens = image_max_tokens
        self.handle = mtmd_cpp.mtmd_init_from_file(str(mmproj_path).encode(), llama_model, params)
        if not self.handle:
            raise MultimodalError(f"llama.cpp could not load the vision model {mmproj_path}")
        self.marker = mtmd_cpp.mtmd_default_marker()

    def tokenize(self, text: str, images: list[np.ndarray], add_special: bool = True) -> Chunks:
        """`text` holds one `marker` per image; images are (H, W, 3) uint8 RGB arrays."""
        m = self._m
        bitmaps = []
        for image in images:
            image = np.ascontiguousarray(image, dtype=np.uint8)
            # mtmd copies the pixels into the bitmap; hand it the array's own buffer, with no
            # Python-side copies (a detailed photo's tiles are ~7 MB, and every copy adds to peak memory).
            bitmap = m.mtmd_bitmap_init(image.shape[1], image.shape[0],
                                        image.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)))
            if not bitmap:
                raise MultimodalError("could not create an image bitmap")
            digest = hashlib.sha1(memoryview(image).cast("B"))
            digest.update(repr(image.shape).encode())
            m.mtmd_bitmap_set_id(bitmap, digest.hexdigest().encode())
            bitmaps.append(bitmap)
        try:
            encoded = text.encode("utf-8")
            inp = m.mtmd_input_text()
            inp.text = encoded
            inp.text_len = len(encoded)
            inp.add_special = add_special
            inp.parse_special = True
            chunks = Chunks(m, m.mtmd_input_chunks_init())
            array = (m.mtmd_bitmap_p_ctypes * max(1, len(bitmaps)))(*bitmaps)
            status = m.mtmd_tokenize(self.handle, chunks.handle, ctypes.byref(inp), array, len(bitmaps))
            if status != 0:
                chunks.close()
                raise MultimodalError(f"mtmd could not tokenize the prompt (status {status})")
            return chunks
        finally:
            for bitmap in bitmaps:
                m.mtmd_bitmap_free(bitmap)

    def encode_image(self, chunks: Chunks, index: int, n_embd: int) -> np.ndarray:
        """Run the vision encoder on one image chunk; returns (tokens, n_embd) float32."""
        chunk = chunks.raw(index)
        if self._m.mtmd_encode_chunk(self.handle, chunk) != 0:
            raise MultimodalError("the vision encoder failed on this image")
        n = self._m.mtmd_input_chunk_get_n_tokens(chunk)
        out = self._m.mtmd_get_output_embd(self.handle)
        return np.ctypeslib.as_array(out, shape=(n * n_embd,)).reshape(n, n_embd).copy()

    def eval_text_chunk(self, llama_ctx, chunks: Chunks, index: int, n_past: int, n_batch: int,
                        logits_last: bool) -> int:
        # The helper adds to *new_n_past rather than setting it (mtmd-helper.cpp), so start at n_past.
        new_n_past = ctypes.c_int32(n_past)
        status = self._m.mtmd_helper_eval_chunk_single(self.handle, llama_ctx, chunks.raw(index), n_past, 0,
                                                       n_batch, logits_last, ctypes.byref(new_n_past))
        if status != 0:
            raise MultimodalError(f"evaluating the prompt failed (status {status}); the context may be full")
        return new_n_past.value

    def decode_image_chunk(self, llama_ctx, chunks: Chunks, index: int, embeddings: np.ndarray, n_past: int,
                           n_batch: int) -> int:
        """Feed already-encoded image embeddings (from `encode_image` or a cache) to the language model."""
        embd = np.ascontiguousarray(embeddings, dtype=np.float32)
        ptr = embd.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        new_n_past = ctypes.c_int32(n_past)
        status = self._m.mtmd_helper_decode_image_chunk(self.handle, llama_ctx, chunks.raw(index), ptr, n_past, 0,
                                                        n_batch, ctypes.byref(new_n_past),
                                                        self._m.mtmd_helper_post_decode_callback(), None)
        if status != 0:
            raise MultimodalError(f"decoding the image failed (status {status}); the context may be full")
        return new_n_past.value

    def eval_chunks(self, llama_ctx, chunks: Chunks, n_past: int, n_batch: int, logits_last: bool = True) -> int:
        """Encode images and decode everything into the KV cache; returns the new n_past."""
        new_n_past = ctypes.c_int32(n_past)
        status = self._m.mtmd_helper_eval_chunks(self.handle, llama_ctx, chunks.handle, n_past, 0, n_batch,
                                                 logits_last, ctypes.byref(new_n_past))
        if status != 0:
            raise MultimodalError(f"evaluating the prompt failed (status {status})")
        return new_n_past.value

    def close(self) -> None:
        if getattr(self, "handle", None):
            self._m.mtmd_free(self.handle)
            self.handle = None

    def __del__(self):
        self.close()
