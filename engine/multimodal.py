"""A thin, owned wrapper over llama.cpp's mtmd: tokenize text with images, encode, evaluate.

Images go in as RGB uint8 arrays (never URLs: llama-cpp-python fetches those over the
network). Each native object is freed by the object that made it.
"""

from __future__ import annotations

import ctypes
import hashlib
from dataclasses import dataclass

import numpy as np

from engine import llama_library
from engine.prompts import IMAGE, TEMPLATE, Piece

CHUNK_TEXT, CHUNK_IMAGE = 0, 1
FLASH_ATTN_ON = 1
# llama_token_attr (llama.h): the tokens llama.cpp matches in text only when asked to parse
# specials (user-defined tokens are matched either way; llama-vocab.cpp, tokenizer_st_partition).
TOKEN_ATTR_UNKNOWN, TOKEN_ATTR_CONTROL = 1 << 0, 1 << 3
PARSED_ONLY_AS_SPECIAL = TOKEN_ATTR_UNKNOWN | TOKEN_ATTR_CONTROL


class MultimodalError(RuntimeError):
    pass


def image_id(image: np.ndarray) -> str:
    """The id an image's chunks carry (`Chunks.image_id`): a hash of its pixels and shape."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    digest = hashlib.sha1(memoryview(image).cast("B"))
    digest.update(repr(image.shape).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Chunk:
    kind: int
    n_tokens: int
    tokens: tuple[int, ...]  # text chunks only


class Chunks:
    """Owns an mtmd_input_chunks list, or after `drop_pixels` its chunks one by one."""

    def __init__(self, mtmd, handle):
        self._m = mtmd
        self.handle = handle
        self._owned: list | None = None  # the chunks as copies and placeholders, once the list is freed

    def __len__(self) -> int:
        return len(self._owned) if self._owned is not None else self._m.mtmd_input_chunks_size(self.handle)

    def raw(self, i: int):
        return self._owned[i] if self._owned is not None else self._m.mtmd_input_chunks_get(self.handle, i)

    def drop_pixels(self) -> None:
        """Keep each image chunk as mtmd's placeholder (mtmd_input_chunk_get_placeholder: its tokens,
        positions and id, not its preprocessed tiles) and each text chunk as a copy, and free the list.

        For an encoder outside mtmd, which never reads mtmd's tiles: they are float32, 2.4 MB a
        448x448 tile (31 MB for a detailed 13-tile image), and would otherwise be held until the
        whole prompt is read. Decoding embeddings into the language model needs only the metadata
        (mtmd_helper_decode_image_chunk); `MultimodalContext.encode_image` cannot run on these.
        """
        if self._owned is not None or self.handle is None:
            return
        m, owned = self._m, []
        try:
            for i in range(m.mtmd_input_chunks_size(self.handle)):
                chunk = m.mtmd_input_chunks_get(self.handle, i)
                is_image = m.mtmd_input_chunk_get_type(chunk) != CHUNK_TEXT
                copy = m.mtmd_input_chunk_get_placeholder(chunk) if is_image else m.mtmd_input_chunk_copy(chunk)
                if not copy:
                    raise MultimodalError("mtmd could not keep the prompt's chunks")
                owned.append(copy)
        except BaseException:
            for chunk in owned:
                m.mtmd_input_chunk_free(chunk)
            raise
        m.mtmd_input_chunks_free(self.handle)
        self.handle, self._owned = None, owned

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
        if self._owned is not None:
            return sum(self._m.mtmd_input_chunk_get_n_tokens(chunk) for chunk in self._owned)
        return self._m.mtmd_helper_get_n_tokens(self.handle)

    def close(self) -> None:
        if self.handle is not None:
            self._m.mtmd_input_chunks_free(self.handle)
            self.handle = None
        for chunk in self._owned or ():
            self._m.mtmd_input_chunk_free(chunk)
        self._owned = None

    def __del__(self):
        self.close()


class MultimodalContext:
    """mtmd context for one mmproj file bound to one loaded llama model."""

    def __init__(self, mmproj_path: str, llama_model, n_threads: int, *, flash_attn: bool = True,
                 image_max_tokens: int = -1, warmup: bool = True, use_gpu: bool = False):
        llama_library.load()
        from llama_cpp import mtmd_cpp

        self._m = mtmd_cpp
        params = mtmd_cpp.mtmd_context_params_default()
        params.use_gpu = use_gpu  # the vision encoder on llama.cpp's GPU back end (engine/device.py)
        params.print_timings = False
        params.n_threads = n_threads
        params.warmup = warmup
        params.flash_attn_type = FLASH_ATTN_ON if flash_attn else 0
        if image_max_tokens > 0:
            params.image_max_tokens = image_max_tokens
        self.is_on_gpu = bool(params.use_gpu)  # asked for; mtmd stays on the CPU where the build has no GPU
        self.handle = mtmd_cpp.mtmd_init_from_file(str(mmproj_path).encode(), llama_model, params)
        if not self.handle:
            raise MultimodalError(f"llama.cpp could not load the vision model {mmproj_path}")
        self.marker = mtmd_cpp.mtmd_default_marker()
        import llama_cpp

        self._vocab = llama_cpp.llama_model_get_vocab(llama_model)
        self._splits: dict[str, tuple[tuple[bool, str], ...]] = {}

    def tokenize(self, pieces: list[Piece], images: list[np.ndarray], add_special: bool = True) -> Chunks:
        """One image (H, W, 3) uint8 RGB array per IMAGE piece, in order.

        mtmd_tokenize would parse the whole prompt for its media marker and for special tokens,
        so a question holding "<__media__>" or "[unused9]" would break or steer the prompt. Each
        piece goes in as its own part instead (mtmd_tokenize_from_parts, mtmd.h): special tokens
        are read only in TEMPLATE pieces, and nothing is read as a media marker.
        """
        if sum(p.kind == IMAGE for p in pieces) != len(images):
            raise MultimodalError("the prompt and its images do not match")
        m = self._m
        bitmaps = [self._bitmap(image) for image in images]
        texts: list = []  # mtmd reads the parts during the call: keep them alive until then
        parts = []

        def add_text(text: str, parse_special: bool) -> None:
            if text:
                encoded = text.encode("utf-8")
                texts.append((encoded, m.mtmd_input_text(encoded, len(encoded), False, parse_special)))
                parts.append(m.mtmd_input_part(ctypes.pointer(texts[-1][1]), None))

        try:
            pending_image = iter(bitmaps)
            for is_special, text in self._runs(pieces):
                if text is None:
                    parts.append(m.mtmd_input_part(None, next(pending_image)))
                else:
                    add_text(text, is_special)
            chunks = Chunks(m, m.mtmd_input_chunks_init())
            array = (ctypes.POINTER(m.mtmd_input_part) * max(1, len(parts)))(*(ctypes.pointer(p) for p in parts))
            status = m.mtmd_tokenize_from_parts(self.handle, chunks.handle, array, len(parts), add_special)
            if status != 0:
                chunks.close()
                raise MultimodalError(f"mtmd could not tokenize the prompt (status {status})")
            return chunks
        finally:
            for bitmap in bitmaps:
                m.mtmd_bitmap_free(bitmap)

    def _runs(self, pieces: list[Piece]):
        """(is_special, text) parts in order, (False, None) for an image.

        Plain text between two special tokens is one part, whether the template or a message
        wrote it: llama.cpp tokenizes each stretch between specials on its own (llama-vocab.cpp,
        tokenize), so the ids are the ones the whole prompt would get if nobody wrote a special.
        """
        run = ""
        for piece in pieces:
            if piece.kind == IMAGE:
                yield False, run
                run = ""
                yield False, None
                continue
            splits = self._template_splits(piece.text) if piece.kind == TEMPLATE else ((False, piece.text),)
            for is_special, text in splits:
                if is_special:
                    yield False, run
                    run = ""
                    yield True, text
                else:
                    run += text
        yield False, run

    def _template_splits(self, text: str) -> tuple[tuple[bool, str], ...]:
        """The chat format's text cut at its special tokens, as llama.cpp itself finds them."""
        cached = self._splits.get(text)
        if cached is not None:
            return cached
        import llama_cpp

        encoded = text.encode("utf-8")
        ids = (llama_cpp.llama_token * (len(encoded) + 1))()
        n = llama_cpp.llama_tokenize(self._vocab, encoded, len(encoded), ids, len(ids), False, True)
        splits: list[tuple[bool, str]] = []
        position = 0
        for token in ids[:max(0, n)]:
            if not llama_cpp.llama_vocab_get_attr(self._vocab, token) & PARSED_ONLY_AS_SPECIAL:
                continue
            special = llama_cpp.llama_vocab_get_text(self._vocab, token).decode("utf-8")
            found = text.find(special, position)
            if found < 0:
                raise MultimodalError("the chat template's special tokens cannot be located")
            splits += [(False, text[position:found]), (True, special)]
            position = found + len(special)
        splits.append((False, text[position:]))
        result = tuple((is_special, part) for is_special, part in splits if part)
        self._splits[text] = result
        return result

    def _bitmap(self, image: np.ndarray):
        m = self._m
        image = np.ascontiguousarray(image, dtype=np.uint8)
        # mtmd copies the pixels into the bitmap; hand it the array's own buffer, with no
        # Python-side copies (a detailed photo's tiles are ~7 MB, and every copy adds to peak memory).
        bitmap = m.mtmd_bitmap_init(image.shape[1], image.shape[0], image.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)))
        if not bitmap:
            raise MultimodalError("could not create an image bitmap")
        m.mtmd_bitmap_set_id(bitmap, image_id(image).encode())
        return bitmap

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
        if chunks.handle is None:
            raise MultimodalError("the prompt's chunks were closed or their pixels dropped")
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
