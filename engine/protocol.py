"""The messages between the client (engine/client.py) and the worker process (engine/worker.py).

Both sides read and write messages only as defined here: requests go down the pipe,
events come back, each a dataclass pickled whole. An event's `kind` names it for callers that
only route (the command line's --json output, tests); its fields are read by name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import ClassVar

from engine.device import RAN_ON_CPU, Device


class StopReason(StrEnum):
    """Why an answer ended."""

    END = "end"  # the model ended its answer
    LIMIT = "limit"  # the answer's token budget ran out
    CANCELLED = "cancelled"  # a cancel, or a new request, arrived
    UNIFORM = "uniform"  # (command line) a blank image, answered without the model


class ErrorKind(StrEnum):
    MODEL = "model"  # the model files cannot be used: trying again cannot help
    ENGINE = "engine"  # this request failed
    WORKER_DIED = "worker_died"  # the worker process ended; the next request starts a new one
    WORKER_HUNG = "worker_hung"  # the worker sent nothing, not even a heartbeat, for too long


class EventKind(StrEnum):
    LOADED = "loaded"
    CHUNK = "chunk"
    DONE = "done"
    CANCELLED = "cancelled"
    ERROR = "error"
    HEARTBEAT = "heartbeat"


# --- requests (client -> worker) -----------------------------------------------------------------
@dataclass(frozen=True)
class Load:
    model_path: str
    mmproj_path: str
    architecture: str
    chat_template: str | None
    n_threads: int
    n_ctx: int
    language: str | None = None  # the worker warms up with this language's system prompt
    device: str = Device.AUTO  # engine/device.py: the GPU where llama.cpp has one, or the CPU only
    encoder: str = "auto"  # engine/encoder/choice.py: "auto" (OpenVINO where it is the faster one) or "llama.cpp"
    is_debug: bool = False  # llama.cpp's own logs and crash dumps reach stderr only then


@dataclass
class Describe:
    """Describe (no question, no regions), answer `question`, or take a closer look at `regions`.

    Whole: the image and every earlier turn travel with each request, so a fresh worker can
    rebuild any conversation. `pixels` is handed over once (the session lets it go early).
    """

    id: int
    conversation: str
    pixels: bytes | None
    shape: tuple[int, ...]
    detail: str
    language: str | None
    instruction: str | None = None
    history: list[dict] = field(default_factory=list)
    question: str | None = None
    regions: list[list[int]] | None = None
    region_texts: list[str] | None = None  # the exact text read inside each region (engine/ocr), if read

    @property
    def is_follow_up(self) -> bool:
        return bool(self.question or self.regions)


@dataclass(frozen=True)
class Cancel:
    id: int | None  # None: whatever runs


@dataclass(frozen=True)
class Shutdown:
    pass


# --- events (worker -> client) -------------------------------------------------------------------
@dataclass
class Stats:
    """What one request cost and what the session did to fit it; times in seconds."""

    tokenize_s: float = 0.0
    encode_s: float = 0.0
    prefill_s: float = 0.0
    image_prefill_s: float = 0.0  # of prefill_s, the image tiles' share
    first_token_s: float | None = None
    decode_s: float = 0.0
    total_s: float = 0.0
    native_s: float = 0.0  # of total_s, the time inside llama.cpp's calls
    prompt_tokens: int = 0  # the prompt's tokens from where this request began (a cached system prompt counted)
    prefix_cached_tokens: int = 0  # the system prompt, already in the cache
    # What the cache already held and this request built on, not read again (the system prompt, or
    # the whole conversation a follow-up continues), and what this request read (evaluated) itself.
    reused_tokens: int = 0
    read_tokens: int = 0
    image_tokens: int = 0  # of tiles encoded (not taken from the encoded-tile cache)
    image_encodes: int = 0
    encoder_cache_hits: int = 0
    n_tokens: int = 0  # generated
    set_aside_turns: int = 0  # earlier follow-ups the model no longer holds, to make room
    answer_room: int = 0  # when not 0: the answer was given only this many tokens (the context is full)
    image_size: tuple[int, int] | None = None  # the overview as scaled for the detail level (rebuilds only)
    device: str = ""  # which ran the model: "gpu" or "cpu" (engine/device.py)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Loaded:
    kind: ClassVar[EventKind] = EventKind.LOADED
    load_s: float
    n_threads: int
    device: str = RAN_ON_CPU  # which runs the model: "gpu" or "cpu"
    device_reason: str = ""  # why, in plain words
    has_gpu_failed: bool = False  # the CPU runs it because the GPU could not load it (the user is told)
    encoder: str = "llama.cpp"  # which runs the vision encoder: "llama.cpp" or "openvino" (engine/encoder/choice.py)
    encoder_reason: str = ""  # why, in plain words
    request_id: None = None


@dataclass(frozen=True)
class Chunk:
    kind: ClassVar[EventKind] = EventKind.CHUNK
    request_id: int
    text: str


@dataclass(frozen=True)
class Done:
    kind: ClassVar[EventKind] = EventKind.DONE
    request_id: int
    text: str
    stop_reason: StopReason
    stats: Stats
    user_turn: dict | None = None  # the follow-up's turn as the worker read it (question or close-ups)


@dataclass(frozen=True)
class Cancelled:
    kind: ClassVar[EventKind] = EventKind.CANCELLED
    request_id: int | None
    chunks_after_cancel: int = 0  # written once the worker had the cancel ("within a token or two")


@dataclass(frozen=True)
class Failed:
    kind: ClassVar[EventKind] = EventKind.ERROR
    request_id: int | None  # None: no request (the model failed to load)
    error: ErrorKind
    message: str  # plain words, for the user
    detail: str = ""  # a traceback, for logs only


@dataclass(frozen=True)
class Heartbeat:
    kind: ClassVar[EventKind] = EventKind.HEARTBEAT
    request_id: None = None


Request = Load | Describe | Cancel | Shutdown
Event = Loaded | Chunk | Done | Cancelled | Failed | Heartbeat
