"""The GUI's link to the engine: one thread owns the EngineClient and turns events into signals.

`EngineClient.next_event` blocks, so the client lives on its own QThread and nothing
else ever touches it (one owner per resource): the GUI queues commands, the thread sends
copies back as Qt signals (the only way data crosses to the GUI thread). Every request carries a ticket chosen by the GUI, so
an event still in the Qt queue from a replaced request is recognised and dropped.
A worker that dies or hangs after loading is restarted at once, so the next request
finds the model ready; one that dies while loading is reported, not restarted in a loop.
"""

from __future__ import annotations

import queue
import time

from PySide6.QtCore import QThread, Signal

from engine.client import EngineClient, WorkerLost
from engine.conversation import Conversation
from engine.device import Device
from engine.model_files import ModelPair
from engine.protocol import Cancelled, Chunk, Done, ErrorKind, Event, Failed, Loaded
from engine.timeline import HANDED_OVER, timeline

POLL_S = 0.02  # how often the thread looks at its command queue while waiting for events (Stop waits on it)
CLOSE_WAIT_MS = 15000
LOST_KINDS = (ErrorKind.WORKER_DIED, ErrorKind.WORKER_HUNG)


class EngineBridge(QThread):
    loading = Signal()
    loaded = Signal(object)  # engine.protocol.Loaded
    load_failed = Signal(str)  # a plain message: the model cannot be used
    chunk = Signal(int, str)  # ticket, text
    done = Signal(int, object)  # ticket, engine.protocol.Done
    cancelled = Signal(int)
    failed = Signal(int, str, str)  # ticket (0: no request), kind, plain message

    def __init__(self, pair: ModelPair, n_threads: int | None = None, hang_timeout: float | None = None,
                 parent=None, device: str = Device.AUTO):
        super().__init__(parent)
        self.setObjectName("engine-bridge")
        self._commands: queue.Queue = queue.Queue()
        self._pair = pair
        self._n_threads = n_threads or None
        self.device = device  # engine/device.py's setting: "auto" or "cpu"
        self._hang_timeout = hang_timeout
        self._client: EngineClient | None = None
        self._tickets: dict[int, int] = {}  # engine request id -> GUI ticket
        self._has_loaded = False
        self._closing = False
        self.worker_pid: int | None = None  # for diagnostics and tests; written by the thread
        # (GUI thread) requests the worker has not finished or cancelled yet; connected first, so a
        # second look's next close-up, sent when its predecessor is done, counts again.
        self._open_tickets: set[int] = set()
        for finished in (self.done, self.cancelled, self.failed):
            finished.connect(self._on_finished)

    # --- GUI side ----------------------------------------------------------------------
    @property
    def is_busy(self) -> bool:
        """True until the worker has confirmed the end of every request sent (done, cancelled, failed)."""
        return bool(self._open_tickets)

    def _on_finished(self, ticket: int, *_rest) -> None:
        self._open_tickets.discard(ticket)

    def describe(self, ticket: int, conversation: Conversation) -> None:
        """The engine thread gets a snapshot: the caller's conversation is only ever changed by the caller."""
        self._send(("describe", ticket, conversation.snapshot(), None))

    def ask(self, ticket: int, conversation: Conversation, question: str) -> None:
        self._send(("describe", ticket, conversation.snapshot(), question))

    def refine(self, ticket: int, conversation: Conversation, regions: list) -> None:
        """The second, sharper look: native-resolution close-ups of `regions` (engine.regions.Region)."""
        self._send(("refine", ticket, conversation.snapshot(), regions))

    def _send(self, command: tuple) -> None:
        self._open_tickets.add(command[1])
        self._commands.put(command)

    def cancel(self) -> None:
        self._commands.put(("cancel",))

    def close(self) -> None:
        """Stop the worker process and the thread; blocks until both are gone."""
        if self.isRunning():
            self._commands.put(("close",))
            self.wait(CLOSE_WAIT_MS)

    # --- engine thread ---------------------------------------------------------------------
    def run(self) -> None:
        kwargs = {"hang_timeout": self._hang_timeout} if self._hang_timeout else {}
        self._client = EngineClient(self._pair, n_threads=self._n_threads, device=self.device, **kwargs)
        self._start_worker()
        try:
            while not self._closing:
                while not self._commands.empty() and not self._closing:
                    self._handle(self._commands.get_nowait())
                if self._closing:
                    break
                started = time.monotonic()
                event = self._client.next_event(POLL_S)
                if event is not None:
                    self._dispatch(event)
                elif time.monotonic() - started < POLL_S / 2:  # no worker to listen to: just wait
                    try:
                        self._handle(self._commands.get(timeout=POLL_S))
                    except queue.Empty:
                        pass
        finally:
            self._client.close()
            self.worker_pid = None

    def _start_worker(self) -> None:
        self._has_loaded = False
        self.loading.emit()
        self._client.start()
        self.worker_pid = self._client.pid

    def _handle(self, command: tuple) -> None:
        kind = command[0]
        if kind == "close":
            self._closing = True
        elif kind == "cancel":
            self._client.cancel()
        elif kind == "describe":
            _, ticket, conversation, question = command
            self._submit(ticket, conversation, question)
        elif kind == "refine":
            _, ticket, conversation, regions = command
            self._submit(ticket, conversation, None, regions)

    def _submit(self, ticket: int, conversation: Conversation, question: str | None, regions=None) -> None:
        for attempt in range(2):
            try:
                if regions:
                    request_id = self._client.refine(conversation, regions)
                elif question is None:
                    request_id = self._client.describe(conversation)
                else:
                    request_id = self._client.ask(conversation, question)
            except WorkerLost:  # the worker died between the liveness check and the send
                if attempt == 0:
                    continue
                self.failed.emit(ticket, ErrorKind.WORKER_DIED,
                                 "The description engine could not be started. Please try again.")
                return
            self._tickets = {request_id: ticket}
            self.worker_pid = self._client.pid
            timeline.mark(HANDED_OVER)
            return

    def _dispatch(self, event: Event) -> None:
        ticket = self._tickets.get(event.request_id, 0) if event.request_id is not None else 0
        if isinstance(event, Loaded):
            self._has_loaded = True
            self.loaded.emit(event)
        elif isinstance(event, Chunk):
            self.chunk.emit(ticket, event.text)
        elif isinstance(event, Done):
            self.done.emit(ticket, event)
        elif isinstance(event, Cancelled):
            self.cancelled.emit(ticket)
        elif isinstance(event, Failed):
            self._on_error(ticket, event)

    def _on_error(self, ticket: int, event: Failed) -> None:
        kind, message = event.error, event.message
        if kind in LOST_KINDS:
            if not self._has_loaded:  # it died while loading: restarting would only crash again
                self.load_failed.emit("The model crashed while loading. The model files may be damaged or "
                                      "not made for this app: convert the checkpoint again.")
                return
            self.failed.emit(ticket, kind, message)
            self._start_worker()
        elif event.request_id is None and kind == ErrorKind.MODEL:
            self.load_failed.emit(message)
        else:
            self.failed.emit(ticket, kind, message)
