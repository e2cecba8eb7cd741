"""Run the benchmark matrix and collect figures (printed by engine.bench.cli)."""

from __future__ import annotations

import time
from pathlib import Path

from engine import device
from engine.bench.images import make
from engine.process_memory import peak_rss_bytes, reset_peak_rss
from engine.bench.models import ensure_model
from engine.bench.timelines import flow_timelines, speech_wait_s
from engine.client import EngineClient
from engine.conversation import Conversation
from engine.model_files import find_model_pair
from engine.protocol import Loaded

GLANCE_SEED = 100  # the describe runs use seeds 0, 1, 2
BENCH_DETAIL = "standard"  # the glance + close-ups rows: the app's default level (a brief glance, 3 close-ups)
FOLLOW_UP_QUESTION = "What does the highlighted button say?"  # asked after every description
PEER_PROJECTOR, PEER_DETAIL = "f16", "brief"  # the peer baseline's floor: one tile, the glance's prompt


def level_prompt(pair, detail: str) -> str:
    """The prompt of a description at `detail`, as llama.cpp's own path reads it (with the image marker)."""
    from engine.prompts import MEDIA_MARKER, ChatFormat, detail_level, prompt_text, system_prompt

    return prompt_text(ChatFormat(pair.architecture, pair.chat_template).render([
        {"role": "system", "content": system_prompt(None)},
        {"role": "user", "content": detail_level(detail).instruction, "images": 1}]), MEDIA_MARKER)


def _second_look_row(runs: list[dict], peak: dict) -> dict:
    runs = sorted(runs, key=lambda run: run["refined_complete_s"])
    row = _medians(runs, base=runs[len(runs) // 2])
    row["speech_gap_s"] = max(run["speech_gap_s"] for run in runs)
    row["refined_complete_all_s"] = [run["refined_complete_s"] for run in runs]
    row["repeats"] = len(runs)
    row.update(peak)
    return row


def _medians(runs: list[dict], base: dict) -> dict:
    """`base` (one of `runs`) with each of its float figures replaced by the median over `runs`."""
    import statistics

    return {key: statistics.median(run[key] for run in runs) if isinstance(value, float) else value
            for key, value in base.items()}


class Bench:
    def __init__(self, n_threads: int | None, model_dir: str | None = None, peer_mmproj: Path | None = None):
        """`peer_mmproj`: the peer baseline's vision encoder (F16) on the same language model: each
        description row also times llama.cpp's own path with it on the image's one overview tile."""
        self.pair = find_model_pair(Path(model_dir) if model_dir else ensure_model())
        self.peer_mmproj = peer_mmproj
        self.client = EngineClient(self.pair, n_threads=n_threads)
        started = time.perf_counter()
        self.client.start()
        loaded = self.client.wait_loaded()
        if not isinstance(loaded, Loaded):
            raise RuntimeError(loaded.message)
        self.load = {"client_s": time.perf_counter() - started, "worker_s": loaded.load_s,
                     "peak_rss_bytes": peak_rss_bytes(self.client.pid), "device": loaded.device,
                     "encoder": loaded.encoder, "encoder_reason": loaded.encoder_reason}
        self._peaks = [self.load["peak_rss_bytes"]]  # each row's own peak, where it can be reset
        self.n_threads = self.client.n_threads
        self._reference = None

    def reference(self):
        if self._reference is None:
            from engine.bench.reference import LlamaCppReference

            placement = device.choose(self.client.device, device.supports_gpu_offload())  # as the worker's
            self._reference = LlamaCppReference(str(self.pair.model_path), str(self.pair.mmproj_path),
                                                self.n_threads, self.client.n_ctx, placement)
            if self.peer_mmproj:
                self._reference.add_projector(PEER_PROJECTOR, str(self.peer_mmproj))
        return self._reference

    def describe(self, name: str, detail: str, seed: int = 0) -> tuple[Conversation, dict]:
        from engine.flow import Request
        from engine.images import fit_tiles
        from engine.prompts import detail_level

        image = make(name, seed=seed)
        level = detail_level(detail)
        prompt = level_prompt(self.pair, detail)
        tiles = [fit_tiles(image, level.max_tiles)]
        reference = self.reference()
        # llama.cpp's path runs just before and just after the app's request, and the two are
        # averaged: a drift of the shared host's speed over the minutes a row takes then cancels
        # (to first order) instead of landing on one side. The first run reads the level's whole
        # budget; its per-token times give its total at the app's answer length.
        peer_before = self._peer_floor(reference, image)
        before = reference.run(prompt, tiles, level.max_tokens)
        conversation = Conversation(image, detail, None)
        (line,) = flow_timelines(self.client, Request(1, conversation))
        stats = line.stats
        n_tokens = stats.n_tokens
        after = reference.run(prompt, tiles, n_tokens)
        peer_after = self._peer_floor(reference, image)  # the peer too, before and after: the host's drift cancels
        peer = (peer_before + peer_after) / 2 if peer_before else None
        refs = [before, after]
        ref_floors = [ref["encode_s"] + ref["image_prefill_s"] for ref in refs]
        ref_totals = [reference.total_s_for(ref, n_tokens) for ref in refs]
        floor, ref_total = sum(ref_floors) / 2, sum(ref_totals) / 2
        own_floor = stats.encode_s + stats.image_prefill_s
        app_total = line.done - line.submitted
        first_token = line.first_chunk - line.submitted
        ttfw = (line.first_speech or line.done) - line.submitted
        app_tiles = stats.image_tokens // 256
        return conversation, {
            "image": name, "detail": detail, "tiles": app_tiles,
            "encode_per_tile_s": stats.encode_s / max(1, app_tiles),
            "reference_encode_per_tile_s": sum(ref["encode_s"] for ref in refs) / max(1, sum(ref["tiles"] for ref in refs)),
            "prefill_s": stats.prefill_s, "first_token_s": first_token,
            "decode_tok_s": n_tokens / max(stats.decode_s, 1e-9),
            "ttfw_s": ttfw, "total_s": app_total, "n_tokens": n_tokens, "floor_s": floor,
            "floor_before_s": ref_floors[0], "floor_after_s": ref_floors[1],
            # The same floor inside the app's own request (its encoder and image-prefill calls): no
            # drift of the shared host's speed between the app's run and llama.cpp's path's runs.
            "own_floor_s": own_floor, "own_floor_ratio": own_floor / floor,
            # Ratios per run, so a row of several runs reports the median of each run's own ratio
            # (as for the overhead), not a ratio of medians taken from different runs.
            "ttfw_floor_ratio": ttfw / floor, "ttfw_own_floor_ratio": ttfw / own_floor,
            "first_token_floor_ratio": first_token / floor, "total_floor_ratio": app_total / floor,
            "reference_first_token_s": sum(ref.get("first_token_s", ref["prompt_s"]) for ref in refs) / 2,
            "reference_total_s": ref_total, "reference_totals_s": ref_totals,
            "overhead": app_total / ref_total,
            # Noise-free: the share of the app's time spent outside llama.cpp's calls (tokenizer, encoder,
            # prefill, sampling, decoding), whatever speed the shared CPU ran at during this run.
            "app_code_share": (app_total - stats.native_s) / app_total,
            **({"reference_f16_floor_s": peer, "reference_f16_floors_s": [peer_before, peer_after],
                "ttfw_over_reference_f16_floor": ttfw / peer} if peer else {}),
        }

    def _peer_floor(self, reference, image) -> float | None:
        """llama.cpp's own path with the peer's F16 encoder: encoder + image prefill of the overview tile."""
        from engine.images import fit_tiles

        if not self.peer_mmproj:
            return None
        run = reference.run(level_prompt(self.pair, PEER_DETAIL), [fit_tiles(image, 1)], 1, PEER_PROJECTOR)
        return run["encode_s"] + run["image_prefill_s"]

    def second_looks_without_and_with_text(self, name: str, repeats: int, ocr) -> tuple[dict, dict]:
        """`glance_and_second_look` on `repeats` images without the text read and `repeats` others with it
        (`ocr`, a started text reader), in turns (without, with, without, ...), so the host's drift over the
        minutes they take falls on both alike: the two rows are compared (the glance's TTFW beside a read).
        Each figure is the median over its runs, except the voice's wait for the model: the longest (the
        target is that it never waits). Every image is a new one: a run on an image described before would
        take its tiles from the cache. The close-ups' figures are the median run's (by refined time);
        every run's refined time is listed."""
        is_own_peak = reset_peak_rss(self.client.pid)
        without, with_text = [], []
        for k in range(repeats):
            without.append(self.glance_and_second_look(name, GLANCE_SEED + 2 * k))
            with_text.append(self.glance_and_second_look(name, GLANCE_SEED + 2 * k + 1, ocr))
        peak = self._peak(is_own_peak)
        return _second_look_row(without, peak), _second_look_row(with_text, peak)

    def glance_and_second_look(self, name: str, seed: int = GLANCE_SEED, ocr=None) -> dict:
        """The hotkey path through the app's describe flow: the glance, the close-ups one request each, a
        follow-up; with `ocr` (a started OcrClient), the image's text is read beside the glance, as
        `describe --second-look` does, and the close-ups are grounded in it."""
        from engine.flow import description_request

        image = make(name, seed=seed)  # not an image described before: its tiles must not come from the cache
        request = description_request(1, image, BENCH_DETAIL, None, is_glance_first=True)
        glance, *looks = flow_timelines(self.client, request, ocr)
        follow_up = self.follow_up(request.conversation)
        t0 = glance.submitted
        return {
            "image": name, "regions": len(looks),
            "glance_ttfw_s": (glance.first_speech or glance.done) - t0,
            "glance_total_s": glance.done - t0,
            "glance_encodes": glance.stats.image_encodes,  # 1: its tile was encoded, not taken from the cache
            "second_look_first_token_s": looks[0].first_chunk - t0 if looks else None,
            "close_up_first_token_s": [look.first_chunk - look.submitted for look in looks],
            "refined_complete_s": (looks[-1] if looks else glance).done - t0,
            "speech_gap_s": speech_wait_s([glance, *looks]),
            **follow_up,
        }

    def describe_median(self, name: str, detail: str, repeats: int) -> dict:
        """Run `repeats` times on different images of the same kind (so no tile comes from the cache);
        each figure is the median, which keeps one noisy run on a shared 2-core machine from
        deciding a target."""
        is_own_peak = reset_peak_rss(self.client.pid)
        conversations, runs = zip(*(self.describe(name, detail, seed) for seed in range(repeats)))
        row = _medians(list(runs), base=runs[0])
        # once per row: a question after the last description, which the worker's cache still holds
        row.update(self.follow_up(conversations[-1]))
        row["repeats"] = repeats
        row.update(self._peak(is_own_peak))
        return row

    def follow_up(self, conversation: Conversation) -> dict:
        """The bench's question after a description, as the app asks it: its first token, and how many
        tokens the worker reused from its cache and read (only the question, when it continues the cache)."""
        from engine.flow import Request

        (line,) = flow_timelines(self.client, Request(2, conversation, FOLLOW_UP_QUESTION))
        return {"follow_up_first_token_s": (line.first_chunk or line.done) - line.submitted,
                "follow_up_reused_tokens": line.stats.reused_tokens, "follow_up_read_tokens": line.stats.read_tokens,
                "follow_up_answer_room": line.stats.answer_room}

    def _peak(self, is_own: bool) -> dict:
        peak = peak_rss_bytes(self.client.pid)
        self._peaks.append(peak)
        return {"peak_rss_bytes": peak, "peak_rss_is_own": is_own}  # not own: the worker's peak so far

    def close(self) -> dict:
        peak = max(self._peaks + [peak_rss_bytes(self.client.pid)])  # the worker's peak over the whole run
        self.client.close()
        if self._reference is not None:
            self._reference.close()
        return {"worker_peak_rss_bytes": peak}
