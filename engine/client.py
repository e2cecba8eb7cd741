"""The caller's side of the engine: no model here, only a worker process and a pipe.

The client validates model files before any worker touches them, sends each request
with its whole conversation (engine/conversation.py, kept by the caller) so a fresh worker
can rebuild it, and turns a dead or silent worker into one clear error event; the next request starts a
new worker. A new request cancels the one in flight; events of a cancelled request
are dropped, so nothing from it is ever shown or spoken.
"""

from __future__ import annotations

import itertools
import logging
import time

from engine import child_process, native_log
from engine import worker as w
from engine.conversation import Conversation
from engine.device import Device
from engine.model_files import ModelPair
from engine.protocol import Cancel, Cancelled, Chunk, ErrorKind, Event, Failed, Heartbeat, Load, Loaded, Shutdown

# Tokens of conversation the model holds. The detailed level's 13 tiles (3,328 image tokens),
# the system prompt and a 768-token answer take about 4,300 (4,500 with the benchmark's synthetic
# tokenizer, which spends more tokens per word); the rest is room for follow-ups. When that runs
# out, the oldest follow-ups are set aside, and with none left the answer gets the room that is
# left (engine/session.py). Each 512 tokens cost 41 MB of KV cache in F16 with this model; 4,608
# rather than 5,120 is what keeps the worker's peak memory under 2.0 GB (README, "Results").
DEFAULT_CONTEXT = 4608
HANG_TIMEOUT_S = 20.0  # no message, not even a heartbeat, for this long: the worker is hung
JOIN_TIMEOUT_S = 5.0
DIED_MESSAGE = "The description engine stopped unexpectedly and will restart. Please try again."
HUNG_MESSAGE = "The description engine stopped responding and was restarted. Please try again."
# The pipe to a worker that has died: its send fails with one of these.
PIPE_ERRORS = (OSError, EOFError)


class WorkerLost(Exception):
    """The worker died before it could take a request (after the liveness check, before the send).

    Not an OSError: a broken pipe to the worker must never pass for a closed stdout (engine/cli.py).
    """

    kind = ErrorKind.WORKER_DIED

    def __init__(self):
        super().__init__(DIED_MESSAGE)


def physical_cores() -> int:
    import psutil

    return max(1, psutil.cpu_count(logical=False) or psutil.cpu_count() or 1)


class EngineClient(child_process.ChildOwner):
    def __init__(self, pair: ModelPair, n_threads: int | None = None, n_ctx: int | None = None,
                 hang_timeout: float = HANG_TIMEOUT_S, language: str | None = None, device: str = Device.AUTO,
                 encoder: str = "auto"):
        self.pair = pair
        self.device = device  # engine/device.py: "auto" or "cpu"
        self.encoder = encoder  # engine/encoder/choice.py: "auto" or "llama.cpp"
        self.language = language  # the worker warms up with this language's system prompt
        self.n_threads = n_threads or physical_cores()
        self.n_ctx = n_ctx or DEFAULT_CONTEXT
        self.hang_timeout = hang_timeout
        self._ids = itertools.count(1)
        self._proc = None
        self._conn = None
        self._active: int | None = None
        self._cancelled: int | None = None  # the request a cancel was sent for
        self._last_message = 0.0
        self._has_loaded = False  # the current worker has reported its model loaded
        self._resolved: list[Event] = []  # events decided here, handed out before the worker's
        self.restarts = -1  # the first start is not a restart

    # --- worker lifetime -----------------------------------------------------------
    def start(self) -> None:
        """Start a worker and ask it to load the model (it loads in the background)."""
        self._proc, self._conn = child_process.spawn(w.worker_main, (), "visionpangu-engine")
        self._has_loaded = False
        self._last_message = time.monotonic()
        self.restarts += 1
        self._conn.send(Load(str(self.pair.model_path), str(self.pair.mmproj_path), self.pair.architecture,
                             self.pair.chat_template, self.n_threads, self.n_ctx, self.language, self.device,
                             self.encoder, is_debug=native_log.logger.isEnabledFor(logging.DEBUG)))

    def _ensure_worker(self) -> None:
        if not self.is_alive():
            self._discard_worker()
            self.start()

    def _discard_worker(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
        if self._proc is not None:
            self._proc.join(JOIN_TIMEOUT_S)
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        if self._conn is not None and self.is_alive():
            try:
                self._conn.send(Shutdown())
                self._proc.join(JOIN_TIMEOUT_S)
            except PIPE_ERRORS:
                pass
        self._discard_worker()

    # --- requests --------------------------------------------------------------------
    def describe(self, conversation: Conversation) -> int:
        return self._submit(conversation, None)

    def ask(self, conversation: Conversation, question: str) -> int:
        return self._submit(conversation, question)

    def refine(self, conversation: Conversation, regions) -> int:
        """A second, sharper look: native-resolution close-ups of `regions` (engine.regions.Region,
        with the exact text read inside each, if it was read)."""
        texts = [getattr(r, "text", "") for r in regions]
        return self._submit(conversation, None, [list(r.as_list()) if hasattr(r, "as_list") else list(r)
                                                 for r in regions], texts if any(texts) else None)

    def _submit(self, conversation: Conversation, question: str | None, regions: list | None = None,
                region_texts: list[str] | None = None) -> int:
        self._ensure_worker()
        request_id = next(self._ids)
        request = conversation.request(request_id, question, regions, region_texts)
        self._active = request_id  # the worker cancels whatever it was doing when this arrives
        try:
            self._conn.send(request)
        except PIPE_ERRORS as exc:  # it died after the liveness check: the next request starts a new one
            self._active = None
            self._discard_worker()
            raise WorkerLost() from exc
        return request_id

    def cancel(self, request_id: int | None = None) -> None:
        if self._active is None or (request_id is not None and request_id != self._active):
            return
        request_id = self._active
        if self.is_alive():
            self._cancelled = request_id  # its chunks still in the pipe are not delivered
            try:
                self._conn.send(Cancel(request_id))
            except PIPE_ERRORS:  # it died just now: next_event reports that
                pass
        if not self._has_loaded:  # it waits behind the model's (re)load: cancelled now, not once that ends
            self._active = None
            self._resolved.append(Cancelled(request_id))

    # --- events ----------------------------------------------------------------------
    def next_event(self, timeout: float) -> Event | None:
        """The next event that matters to the caller, or None after `timeout` seconds."""
        if self._resolved:
            return self._resolved.pop(0)
        deadline = time.monotonic() + timeout
        while True:
            if self._conn is None:
                return None
            remaining = deadline - time.monotonic()
            try:
                ready = self._conn.poll(max(0.0, min(remaining, 0.25)))
                message = self._conn.recv() if ready else None
            except PIPE_ERRORS:
                return self._worker_lost(ErrorKind.WORKER_DIED)
            now = time.monotonic()
            if message is None:
                if not self.is_alive():
                    return self._worker_lost(ErrorKind.WORKER_DIED)
                if now - self._last_message > self.hang_timeout:
                    return self._worker_lost(ErrorKind.WORKER_HUNG)
                if remaining <= 0:
                    return None
                continue
            self._last_message = now
            event = self._accept(message)
            if event is not None:
                return event

    def _accept(self, event: Event) -> Event | None:
        if isinstance(event, Heartbeat):
            return None
        if isinstance(event, Loaded):
            self._has_loaded = True
            return event
        request_id = event.request_id
        if request_id is None:  # the model failed to load
            return event
        if request_id != self._active:
            return None  # a replaced request: never shown, never spoken
        if isinstance(event, Chunk):
            # written before the worker saw the cancel: never shown, never spoken
            return None if request_id == self._cancelled else event
        self._active = None
        return event

    def _worker_lost(self, kind: ErrorKind) -> Event:
        request_id, self._active = self._active, None
        self._discard_worker()
        if not self._has_loaded and kind == ErrorKind.WORKER_DIED:
            # llama.cpp ends the process on some files that pass every check made before it opens
            # them (an assertion on a header value): trying again cannot help.
            return Failed(request_id, ErrorKind.MODEL, (
                f"The model in {self.pair.model_path.parent} cannot be used: llama.cpp stopped while opening it. "
                "Convert the checkpoint again, or choose another model folder."))
        return Failed(request_id, kind, HUNG_MESSAGE if kind == ErrorKind.WORKER_HUNG else DIED_MESSAGE)

    def wait_loaded(self, timeout: float = 600.0) -> Event:
        """Block until the worker reports the model loaded (or failed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self.next_event(deadline - time.monotonic())
            if isinstance(event, (Loaded, Failed)):
                return event
        return Failed(None, ErrorKind.WORKER_HUNG, "The model took too long to load.")
