"""The local stream: the process that owns an in-process stream (the exchange: engine and
gateway) serves it on a Unix socket to another process on the machine (the back office:
settlement, surveillance, market data, REST), with the semantics of the in-process and
Kafka transports.

Committed positions live with the served stream, per consumer name, so a back office that
is killed and started again resumes from what it committed: anything read but not
committed comes again (at least once), and events are deduplicated by seq. A consumer
that rebuilds its state from the day (`from_start`) and resumes past what the served
stream still holds gets the day regenerated from the journal first (`replay`). Payloads
travel as envelopes: one frame per batch (not per event), and the frames of one event-loop
turn in one write; a payload that does not decode is quarantined, by the reader, as on
Kafka.

Frames are a 4-byte big-endian length and a msgpack array: requests carry a request
number, answered by a frame with the same number. A topic of another vocabulary (market
data) is carried as the encoded envelopes its publisher wrote; the serving process has no
vocabulary but the engine's, so it serves such topics only as published over the socket.
"""

import asyncio
import contextlib
import itertools
import logging
import struct
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from engine.command_intake import Resume
from engine.commands import Command
from engine.envelope import COMMANDS, EVENTS, EnvelopeError, Envelopes
from engine.events import Event
from engine.memory_stream import MemoryConsumer, MemoryStream, decode_or_quarantine
from engine.stream import Batch, Deduplicator, Position, Start, T, Topic, quarantine_log

log = logging.getLogger("tcx.stream.socket")

_LENGTH = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024
CONNECT_ATTEMPTS, CONNECT_PAUSE_S = 100, 0.1  # ten seconds for the serving process to start
Replay = Callable[[int], Iterator[list[Event]]]  # the journal's events after a seq
_ENVELOPES = {"events": EVENTS, "commands": COMMANDS}


class _Encoded:
    """Another vocabulary's envelopes, passed on as they were written."""

    def decode(self, payload: bytes) -> list[bytes]:
        return [payload]


_RAW: Any = _Encoded()


def _frame(message: Sequence[Any]) -> bytes:
    payload = msgspec.msgpack.encode(message)
    return _LENGTH.pack(len(payload)) + payload


async def _read_frame(reader: asyncio.StreamReader) -> list[Any]:
    (length,) = _LENGTH.unpack(await reader.readexactly(_LENGTH.size))
    if length > MAX_FRAME:
        raise ConnectionError(f"a frame of {length} bytes: not a tcx stream peer")
    return msgspec.msgpack.decode(await reader.readexactly(length))


# ---- the serving side --------------------------------------------------------------------


class _ServedConsumer:
    """One remote consumer: the served stream's consumer of that name, after the day
    regenerated from the journal where the stream no longer holds it."""

    def __init__(
        self, consumer: MemoryConsumer, kind: str, replay: Iterator[list[Event]] | None = None
    ):
        self.consumer = consumer
        self.kind = kind
        self.replay = replay
        self.dedupe = Deduplicator() if kind == "events" else None

    async def next_payloads(self, timeout: float) -> tuple[list[bytes], int | None]:
        """Encoded items and the position to commit after them (None: nothing to commit,
        a replayed batch)."""
        if self.replay is not None:
            events = next(self.replay, None)
            if events is not None:
                fresh = self.dedupe.fresh(events)
                return ([EVENTS.encode(fresh)] if fresh else []), None
            self.replay = None
        batch = await self.consumer.next_batch(timeout)
        items = batch.items if self.dedupe is None else self.dedupe.fresh(batch.items)
        return self._encode(items), batch.position[0]

    def _encode(self, items: Sequence[Any]) -> list[bytes]:
        if not items:
            return []
        envelopes = _ENVELOPES.get(self.kind)
        if envelopes is not None:
            return [envelopes.encode(items)]
        return [item for item in items if isinstance(item, bytes)]


class StreamServer:
    """Serves `stream` on a Unix socket at `path` until closed."""

    def __init__(self, stream: MemoryStream, path: Path, replay: Replay | None = None):
        self.stream = stream
        self.path = path
        self.replay = replay
        self.quarantined = stream.quarantined
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task, asyncio.StreamWriter] = {}

    async def start(self) -> None:
        self.path.unlink(missing_ok=True)
        self._server = await asyncio.start_unix_server(self._serve, str(self.path))

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._connections.values()):
                writer.close()  # its reader sees the end and lets the consumers go
            await asyncio.gather(*self._connections, return_exceptions=True)
            self.path.unlink(missing_ok=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Requests are handled in the order they come (publishes stay in order); only a
        read waits, in a task of its own, for the next batch."""
        self._connections[asyncio.current_task()] = writer
        consumers: dict[int, _ServedConsumer] = {}
        reads: set[asyncio.Task] = set()
        outbox = _Outbox(writer)
        try:
            while True:
                operation, number, *arguments = await _read_frame(reader)
                if operation == "next":
                    cid, timeout = arguments
                    read = asyncio.create_task(self._next(consumers[cid], number, timeout, outbox))
                    reads.add(read)
                    read.add_done_callback(reads.discard)
                else:
                    await self._answer(operation, number, arguments, consumers, writer)
        except (asyncio.IncompleteReadError, OSError, msgspec.DecodeError) as gone:
            log.info("stream client gone: %r", gone)
        finally:
            for read in reads:
                read.cancel()
            for served in consumers.values():
                await served.consumer.close()
            writer.close()
            self._connections.pop(asyncio.current_task(), None)

    @staticmethod
    async def _next(
        served: "_ServedConsumer", number: int, timeout: float, outbox: "_Outbox"
    ) -> None:
        try:
            payloads, position = await served.next_payloads(timeout)
        except Exception:
            # the client would wait for ever: it loses its connection instead, and its
            # process (the back office) is started again from its committed positions
            log.exception("serving a batch failed: closing the stream client's connection")
            outbox.close()
            return
        outbox.put(_frame((number, payloads, position)))

    async def _answer(
        self,
        operation: str,
        number: int,
        arguments: list[Any],
        consumers: dict[int, "_ServedConsumer"],
        writer: asyncio.StreamWriter,
    ) -> None:
        if operation == "publish":
            self._publish(*arguments)
        elif operation == "commit":
            cid, offset = arguments
            await consumers[cid].consumer.commit({0: offset})
        elif operation == "consume":
            cid, *opening = arguments
            consumers[cid] = self._consumer(*opening)
        elif operation == "close":
            served = consumers.pop(arguments[0], None)
            if served is not None:
                await served.consumer.close()
        elif operation == "last_seq":
            writer.write(_frame((number, await self.stream.last_seq(arguments[0]))))
        elif operation == "last_item":
            chunks = self.stream.log(arguments[0]).chunks
            last = next((c for c in reversed(chunks) if isinstance(c, bytes)), None)
            writer.write(_frame((number, last)))

    def _publish(self, topic: str, kind: str, payload: bytes) -> None:
        envelopes = _ENVELOPES.get(kind)
        if envelopes is None:  # another vocabulary: kept encoded, decoded by its readers
            log_ = self.stream.log(topic)
            log_.append(payload)
            log_.trim()
            return
        try:
            items = envelopes.decode(payload)
        except EnvelopeError as error:
            quarantine_log.warning("quarantined a message on %s: %s", topic, error)
            self.stream.quarantined.append((topic, payload, str(error)))
            return
        if items:
            self.stream.log(topic).append(tuple(items))

    def _consumer(
        self, kind: str, topic: str, name: str, after_seq: int, from_start: bool, start: Start
    ) -> _ServedConsumer:
        stream = self.stream
        log_ = stream.log(topic)
        if kind == "topic":
            log_.retain = log_.retain or max(1, stream.topic_retention)
            return _ServedConsumer(MemoryConsumer(stream, topic, name, _RAW, None, start), kind)
        resumes_past_start = log_.committed.get(name, log_.base) > 0
        dedupe = Deduplicator(after_seq) if kind == "events" else None
        consumer = MemoryConsumer(stream, topic, name, _ENVELOPES[kind], dedupe)
        replay = None
        if kind == "events" and from_start and resumes_past_start and self.replay is not None:
            replay = self.replay(after_seq)
        return _ServedConsumer(consumer, kind, replay)


class _Outbox:
    """A connection's frames of one event-loop turn, written together: the batches of all
    its consumers (settlement, surveillance, ...) cost one write, not one each."""

    __slots__ = ("_frames", "_writer")

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._frames: list[bytes] = []

    def put(self, frame: bytes) -> None:
        if not self._frames:
            asyncio.get_running_loop().call_soon(self.flush)
        self._frames.append(frame)

    def flush(self) -> None:
        frames, self._frames = self._frames, []
        if frames and not self._writer.is_closing():
            self._writer.write(b"".join(frames))

    def close(self) -> None:
        self._writer.close()


# ---- the reading side --------------------------------------------------------------------


class SocketStream:
    """The Stream of a process that reads and writes another's over its Unix socket."""

    def __init__(self, path: Path):
        self.path = path
        self.quarantined: list[tuple[str, bytes, str]] = []  # topic, payload, reason
        self._numbers = itertools.count(1)
        self._answers: dict[int, asyncio.Future] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._connected: asyncio.Lock | None = None
        self._reading: asyncio.Task | None = None
        self._early: list[bytes] = []  # frames from before the connection, sent first
        self._outbox: _Outbox | None = None

    def publisher(self) -> "SocketPublisher":
        return SocketPublisher(self)

    def events_consumer(
        self, topic: str, name: str, after_seq: int = 0, from_start: bool = False
    ) -> "SocketConsumer":
        return SocketConsumer(self, "events", topic, name, EVENTS, after_seq, from_start)

    def commands_consumer(
        self, topic: str, name: str, resume: Resume | None = None
    ) -> "SocketConsumer":
        """Served from the other process's stream, which drops what was taken before."""
        return SocketConsumer(self, "commands", topic, name, COMMANDS)

    def topic_consumer(
        self, topic: Topic[T], name: str, start: Start = "committed"
    ) -> "SocketConsumer":
        return SocketConsumer(self, "topic", topic.name, name, topic.envelopes, start=start)

    async def last_seq(self, topic: str) -> int:
        return await self.ask("last_seq", topic)

    async def last_items(self, topic: Topic[T]) -> list[T]:
        payload = await self.ask("last_item", topic.name)
        if payload is None:
            return []
        with contextlib.suppress(EnvelopeError):
            items = topic.envelopes.decode(payload)
            return items[-1:]
        return []

    # ---- the connection --------------------------------------------------------------

    async def send(self, *message: Any) -> None:
        """One frame to the serving process, unanswered (written with the others of this
        event-loop turn)."""
        await self._connection()
        self._outbox.put(_frame(message))

    def send_soon(self, *message: Any) -> None:
        """One frame now if connected, else first thing once connected: a consumer is
        known to the served stream from when it is made (and holds what it has not read)."""
        if self._writer is not None:
            self._outbox.put(_frame(message))
        else:
            self._early.append(_frame(message))

    async def ask(self, operation: str, *arguments: Any) -> Any:
        """A request and its answer (what follows the request number in the reply)."""
        number = next(self._numbers)
        answer = asyncio.get_running_loop().create_future()
        self._answers[number] = answer
        try:
            await self.send(operation, number, *arguments)
            return await answer
        finally:
            self._answers.pop(number, None)

    async def drain(self) -> None:
        if self._writer is not None:
            self._outbox.flush()
            await self._writer.drain()

    async def _connection(self) -> asyncio.StreamWriter:
        if self._connected is None:
            self._connected = asyncio.Lock()
        async with self._connected:
            if self._writer is None:
                reader, writer = await self._connect()
                early, self._early = self._early, []
                writer.writelines(early)
                self._outbox = _Outbox(writer)
                self._writer = writer
                self._reading = asyncio.create_task(self._read(reader))
        return self._writer

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """The serving process may still be starting: it is waited for a while."""
        for _ in range(CONNECT_ATTEMPTS - 1):
            try:
                return await asyncio.open_unix_connection(str(self.path))
            except (FileNotFoundError, ConnectionRefusedError):
                await asyncio.sleep(CONNECT_PAUSE_S)
        return await asyncio.open_unix_connection(str(self.path))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                number, *answer = await _read_frame(reader)
                waiting = self._answers.get(number)
                if waiting is not None and not waiting.done():
                    waiting.set_result(answer[0] if len(answer) == 1 else answer)
        except (asyncio.IncompleteReadError, ConnectionError) as lost:
            failure = ConnectionError(f"the stream at {self.path} went away: {lost!r}")
            for waiting in self._answers.values():
                if not waiting.done():
                    waiting.set_exception(failure)
            self._writer = None

    async def close(self) -> None:
        if self._writer is not None:
            self._outbox.flush()  # the consumers' last commits
            self._writer.close()
            self._writer = None
        if self._reading is not None:
            self._reading.cancel()
            await asyncio.gather(self._reading, return_exceptions=True)


class SocketPublisher:
    __slots__ = ("_stream",)

    def __init__(self, stream: SocketStream) -> None:
        self._stream = stream

    async def publish(self, topic: str, items: Sequence[Event | Command]) -> None:
        if items:
            kind = "events" if isinstance(items[0], Event) else "commands"
            await self._stream.send("publish", 0, topic, kind, _ENVELOPES[kind].encode(items))

    async def publish_to(self, topic: Topic[T], items: Sequence[T]) -> None:
        if items:
            await self._stream.send(
                "publish", 0, topic.name, "topic", topic.envelopes.encode(items)
            )

    async def flush(self) -> None:
        """Once what was published is written to the socket."""
        await self._stream.drain()

    async def close(self) -> None:
        """The connection belongs to the stream."""


class SocketConsumer:
    _ids = itertools.count(1)

    def __init__(
        self,
        stream: SocketStream,
        kind: str,
        topic: str,
        name: str,
        envelopes: Envelopes,
        after_seq: int = 0,
        from_start: bool = False,
        start: Start = "committed",
    ) -> None:
        self._stream = stream
        self._topic = topic
        self._envelopes = envelopes
        self._id = next(self._ids)
        self._dedupe = Deduplicator(after_seq) if kind == "events" else None
        stream.send_soon("consume", 0, self._id, kind, topic, name, after_seq, from_start, start)

    async def next_batch(self, timeout: float) -> Batch:
        payloads, offset = await self._stream.ask("next", self._id, timeout)
        items: list[Any] = []
        quarantined = self._stream.quarantined
        for payload in payloads:
            items.extend(decode_or_quarantine(self._envelopes, self._topic, payload, quarantined))
        fresh = items if self._dedupe is None else self._dedupe.fresh(items)
        return Batch(fresh, {} if offset is None else {0: offset})

    def input_mark(self) -> None:
        return None

    async def commit(self, position: Position) -> None:
        if 0 in position:
            await self._stream.send("commit", 0, self._id, position[0])

    async def close(self) -> None:
        self._stream.send_soon("close", 0, self._id)
