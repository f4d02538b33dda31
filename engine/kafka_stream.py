"""The stream over Kafka (aiokafka), for the distributed deployment.

Only this module imports aiokafka, and nothing in the engine core imports this module,
so the embedded deployment needs neither the library nor a broker.

Wire layout: each Kafka message is one envelope (`envelope.py`) holding a run of
consecutive items with the same key (the instrument, or `ADMIN_KEY`). Cutting the
published sequence into runs, never regrouping it, keeps the topic in the publisher's
order; an events topic has one partition, so that order is the total seq order.

Broker outages: `publish` only queues, so the engine keeps journaling while the broker
is away. A sender task delivers the queue front to back, one record batch per partition
at a time, and retries the same front with backoff until the broker acknowledges it;
nothing behind it moves first, so a retry can duplicate messages (consumers drop them
by seq) but never reorder or drop them. This needs no broker-side idempotence
(InitProducerId), which some Kafka-protocol brokers lack.

Every message carries its publisher's origin id and a growing number in its headers, so
the engine's command intake recognises a resent message (engine/command_intake.py).

Event consumers use consumer groups with manual commits: `commit` is called after the
component's own processing; a failed commit is retried with the next one, and anything
read after the last successful commit is simply delivered again. Two kinds of consumer
take their partitions without a group instead: the engine's commands consumer, which
seeks to the position its journal holds (the journal, not the group, is the truth), and
`from_start` event consumers, which read the topic from its beginning. A message that is not
a readable envelope of this schema version is logged, copied to `<topic>.quarantine`
with the reason in a header, and skipped.

A `Topic` of another vocabulary travels the same way (one partition, messages keyed by
instrument, envelopes of its own version); its consumers join `name`'s group, or read
from the beginning or the end without one.
"""

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Coroutine, Iterator, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    CommitFailedError,
    IllegalStateError,
    KafkaError,
    TopicAlreadyExistsError,
)
from aiokafka.partitioner import DefaultPartitioner
from prometheus_client import Gauge

from engine.command_intake import Intake, Resume
from engine.commands import Command
from engine.envelope import COMMANDS, EVENTS, EnvelopeError, Envelopes
from engine.events import Event
from engine.stream import (
    Batch,
    Deduplicator,
    Position,
    Start,
    T,
    Topic,
    quarantine_log,
    quarantine_topic,
    routing_key,
)

log = logging.getLogger("tcx.stream.kafka")

LAG = Gauge("tcx_stream_consumer_lag", "Messages on the topic not yet read", ["consumer"])

UNREACHABLE = (KafkaError, OSError, TimeoutError)  # what a broker outage looks like here
MAX_RECORD_BATCH = 512 * 1024  # bytes per partition per send, under Kafka's 1 MiB default
ORIGIN_HEADER = "tcx-origin"  # the publisher's id, new for every publisher
NUMBER_HEADER = "tcx-number"  # the message's number from that publisher, from 1

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]  # key, value, headers


class KafkaStream:
    """Connection settings shared by the publishers and consumers of one process."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "tcx",
        items_per_message: int = 500,
        messages_per_batch: int = 200,
        request_timeout_ms: int = 30_000,
        session_timeout_ms: int = 10_000,
        rebalance_timeout_ms: int = 10_000,
        first_backoff: float = 0.1,
        max_backoff: float = 5.0,
        close_timeout: float = 5.0,
        commit_timeout: float = 5.0,
        fetch_wait_ms: int = 10,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.items_per_message = items_per_message
        self.messages_per_batch = messages_per_batch  # bounds what a consumer applies at once
        self.request_timeout_ms = request_timeout_ms
        self.session_timeout_ms = session_timeout_ms
        self.rebalance_timeout_ms = rebalance_timeout_ms
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.close_timeout = close_timeout  # seconds a closing client waits for the broker
        self.commit_timeout = commit_timeout  # seconds a commit waits before it is deferred
        # How long the broker may hold a fetch with nothing new. Apache Kafka answers as soon
        # as a record arrives, but some brokers (Tansu) hold the fetch for the whole wait, so
        # the library's 500 ms default became a quarter second on every hop.
        self.fetch_wait_ms = fetch_wait_ms
        self._existing_topics: set[str] = set()

    def publisher(self) -> "KafkaPublisher":
        return KafkaPublisher(self)

    def events_consumer(
        self, topic: str, name: str, after_seq: int = 0, from_start: bool = False
    ) -> "KafkaConsumer":
        start = "beginning" if from_start else "committed"
        return KafkaConsumer(self, topic, name, EVENTS, Deduplicator(after_seq), start=start)

    def commands_consumer(
        self, topic: str, name: str, resume: Resume | None = None
    ) -> "KafkaConsumer":
        intake = Intake(resume or Resume(None, 0))
        return KafkaConsumer(self, topic, name, COMMANDS, None, intake=intake)

    def topic_consumer(
        self, topic: Topic[T], name: str, start: Start = "committed"
    ) -> "KafkaConsumer":
        return KafkaConsumer(self, topic.name, name, topic.envelopes, None, start=start)

    async def last_seq(self, topic: str) -> int:
        """Waits for the broker (retrying with backoff) as long as it is away."""
        last_events = await self._retried_last_items(topic, EVENTS)
        return max((event.seq for event in last_events), default=0)

    async def last_items(self, topic: Topic[T]) -> list[T]:
        """Waits for the broker (retrying with backoff) as long as it is away."""
        return await self._retried_last_items(topic.name, topic.envelopes)

    async def _retried_last_items(self, topic: str, envelopes: Envelopes) -> list[Any]:
        failures = 0
        while True:
            try:
                return await self._last_items(topic, envelopes)
            except UNREACHABLE as error:
                failures += 1
                log.warning("cannot read the end of %s (%s); retrying", topic, error)
                await asyncio.sleep(self.backoff(failures))

    async def _last_items(self, topic: str, envelopes: Envelopes) -> list[Any]:
        """Reads each partition backwards from its end to the last readable envelope."""
        await self.ensure_topic(topic)
        reader = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            client_id=self.client_id,
            enable_auto_commit=False,
            request_timeout_ms=self.request_timeout_ms,
        )
        found = []
        try:
            await reader.start()
            await reader.topics()  # loads the metadata partitions_for_topic reads
            tps = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
            reader.assign(tps)
            for tp, end in (await reader.end_offsets(tps)).items():
                last = await _last_item_before(reader, tp, end, envelopes)
                if last is not None:
                    found.append(last)
        finally:
            await _stop(reader)
        return found

    def backoff(self, failures: int) -> float:
        return min(self.max_backoff, self.first_backoff * 2 ** max(0, failures - 1))

    async def started_producer(self) -> AIOKafkaProducer:
        """A connected producer that waits for every in-sync replica and never asks the
        broker for idempotence (InitProducerId): consumers deduplicate instead."""
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers,
            client_id=self.client_id,
            acks="all",
            enable_idempotence=False,
            max_batch_size=MAX_RECORD_BATCH,
            request_timeout_ms=self.request_timeout_ms,
        )
        try:
            await producer.start()
        except BaseException:
            await producer.stop()
            raise
        return producer

    async def ensure_topic(self, topic: str, partitions: int = 1) -> None:
        """Creates the topic if it is missing: one partition unless told otherwise, so an
        events topic never lands on a broker default that would split its seq order."""
        if topic in self._existing_topics:
            return
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers,
            client_id=self.client_id,
            request_timeout_ms=self.request_timeout_ms,
        )
        try:
            await admin.start()
            response = await admin.create_topics([NewTopic(topic, partitions, 1)])
        finally:
            await admin.close()
        for _, code, *_ in response.topic_errors:
            if code not in (0, TopicAlreadyExistsError.errno):
                raise KafkaError(f"cannot create topic {topic}: error code {code}")
        self._existing_topics.add(topic)


class KafkaPublisher:
    def __init__(self, stream: KafkaStream) -> None:
        self._stream = stream
        self._backlog: deque[_Message] = deque()
        self._producer: AIOKafkaProducer | None = None
        self._partitions: dict[str, list[int]] = {}
        self._unmapped_topics: set[str] = set()
        self._partitioner = DefaultPartitioner()
        self._front: _Front | None = None
        self._work = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._sender: asyncio.Task[None] | None = None
        self._origin = uuid.uuid4().hex.encode()
        self._numbered = 0  # messages numbered so far

    @property
    def backlog(self) -> int:
        """Messages published but not yet acknowledged by the broker."""
        return len(self._backlog)

    async def publish(self, topic: str, items: Sequence[Event | Command]) -> None:
        """Queues `items` as runs of one key; a run continuing the backlog's last message
        (same topic and key, not yet being sent) joins it, so small publishes share
        messages."""
        self._queue(topic, items, EVENTS)  # events and commands share one envelope version

    async def publish_to(self, topic: Topic[T], items: Sequence[T]) -> None:
        self._queue(topic.name, items, topic.envelopes)

    def _queue(self, topic: str, items: Sequence[Any], envelopes: Envelopes) -> None:
        if not items:
            return
        if topic not in self._partitions:
            self._unmapped_topics.add(topic)
        per_message = self._stream.items_per_message
        backlog = self._backlog
        for key, run in key_runs(items, per_message):
            last = backlog[-1] if len(backlog) > self._sending() else None
            if (
                last is not None
                and last.topic == topic
                and last.key == key
                and len(last.items) + len(run) <= per_message
            ):
                last.items.extend(run)
            else:
                backlog.append(_Message(topic, key, list(run), envelopes))
        self._idle.clear()
        self._work.set()
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_forever(), name="kafka-publisher")

    async def flush(self) -> None:
        """Waits for the broker to acknowledge everything queued; re-raises what stopped
        the sender if it died of anything but an outage (which it rides out)."""
        if self._sender is None:
            return
        idle = asyncio.ensure_future(self._idle.wait())
        await asyncio.wait({idle, self._sender}, return_when=asyncio.FIRST_COMPLETED)
        idle.cancel()
        if self._sender.done():
            self._sender.result()

    async def close(self) -> None:
        """Stops sending; a backlog still queued is dropped (the journal still has it)."""
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)
            self._sender = None
        if self._backlog:
            log.warning("publisher closed with %d messages undelivered", len(self._backlog))
        if self._producer is not None:
            await _bounded(self._producer.stop(), self._stream.close_timeout, "publisher")
            self._producer = None

    def _sending(self) -> int:
        return 0 if self._front is None else self._front.count

    async def _send_forever(self) -> None:
        failures = 0
        while True:
            await self._work.wait()
            try:
                await self._send_front()
                failures = 0
            except UNREACHABLE as error:
                failures += 1
                delay = self._stream.backoff(failures)
                log.warning(
                    "broker unreachable (%s: %s); %d messages queued; retrying in %.1fs",
                    type(error).__name__,
                    error,
                    len(self._backlog),
                    delay,
                )
                await asyncio.sleep(delay)
            if not self._backlog:
                self._work.clear()
                self._idle.set()

    async def _send_front(self) -> None:
        """Delivers the front of the backlog, resending only what was not acknowledged."""
        producer = await self._started_producer()
        while self._unmapped_topics:
            topic = next(iter(self._unmapped_topics))
            await self._stream.ensure_topic(topic)
            self._partitions[topic] = sorted(await producer.partitions_for(topic))
            self._unmapped_topics.discard(topic)
        if self._front is None:
            self._front = self._take_front(producer)
        unsent = self._front.unsent
        results = await asyncio.gather(
            *(_deliver(producer, tp, records) for tp, records in unsent.items()),
            return_exceptions=True,
        )
        failure = None
        for tp, result in zip(list(unsent), results, strict=True):
            if isinstance(result, BaseException):
                failure = result
            else:
                del unsent[tp]
        if failure is not None:
            raise failure
        for _ in range(self._front.count):
            self._backlog.popleft()
        self._front = None

    def _take_front(self, producer: AIOKafkaProducer) -> "_Front":
        """The longest prefix of the backlog that fits one record batch per partition."""
        front = _Front()
        builders: dict[TopicPartition, Any] = {}
        for message in self._backlog:
            partitions = self._partitions[message.topic]
            key = message.key.encode()
            partition = (
                partitions[0]
                if len(partitions) == 1
                else self._partitioner(key, partitions, partitions)
            )
            tp = TopicPartition(message.topic, partition)
            builder = builders.get(tp)
            if builder is None:
                builder = builders[tp] = producer.create_batch()
            value = message.envelopes.encode(message.items)
            headers = [
                (ORIGIN_HEADER, self._origin),
                (NUMBER_HEADER, str(self._numbered + 1).encode()),
            ]
            if builder.append(key=key, value=value, timestamp=None, headers=headers) is None:
                break
            self._numbered += 1
            front.unsent.setdefault(tp, []).append((key, value, headers))
            front.count += 1
        return front

    async def _started_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            self._producer = await self._stream.started_producer()
        return self._producer


def key_runs(items: Sequence[Any], limit: int) -> Iterator[tuple[str, Sequence[Any]]]:
    """Consecutive items with one key, at most `limit` together: the messages' contents."""
    start = 0
    while start < len(items):
        key = routing_key(items[start])
        end = start + 1
        while end < len(items) and end - start < limit and routing_key(items[end]) == key:
            end += 1
        yield key, items[start:end]
        start = end


class _Message:
    """A run of items of one key, waiting in the backlog; encoded when it is sent."""

    __slots__ = ("envelopes", "items", "key", "topic")

    def __init__(self, topic: str, key: str, items: list[Any], envelopes: Envelopes) -> None:
        self.topic = topic
        self.key = key
        self.items = items
        self.envelopes = envelopes


class _Front:
    """The encoded messages being delivered now, by partition, until all are acknowledged."""

    __slots__ = ("count", "unsent")

    def __init__(self) -> None:
        self.count = 0
        self.unsent: dict[TopicPartition, list[Record]] = {}


async def _deliver(producer: AIOKafkaProducer, tp: TopicPartition, records: list[Record]) -> None:
    batch = producer.create_batch()
    for key, value, headers in records:
        batch.append(key=key, value=value, timestamp=None, headers=headers)
    delivered = await producer.send_batch(batch, tp.topic, partition=tp.partition)
    await delivered


class KafkaConsumer:
    def __init__(
        self,
        stream: KafkaStream,
        topic: str,
        name: str,
        envelopes: Envelopes,
        dedupe: Deduplicator | None,
        *,
        start: Start = "committed",
        intake: Intake | None = None,
    ) -> None:
        self._stream = stream
        self._topic = topic
        self._name = name
        self._envelopes = envelopes
        self._dedupe = dedupe
        self._begin = start
        self._grouped = start == "committed" and intake is None  # positions kept by a group
        self._intake = intake
        self._starting: asyncio.Task[AIOKafkaConsumer] | None = None
        self._quarantine: AIOKafkaProducer | None = None
        self._uncommitted: Position = {}
        self._committing: asyncio.Future[None] | None = None  # at most one commit in flight

    async def next_batch(self, timeout: float) -> Batch:
        if self._starting is None:
            self._starting = asyncio.create_task(self._start(), name=f"kafka-{self._name}")
        if not self._starting.done():
            await asyncio.wait({self._starting}, timeout=timeout)
            if not self._starting.done():
                return Batch([], {})
        consumer = self._starting.result()
        records = await consumer.getmany(
            timeout_ms=int(timeout * 1000), max_records=self._stream.messages_per_batch
        )
        items: list[Any] = []
        position: Position = {}
        intake = self._intake
        for tp, messages in records.items():
            for message in messages:
                decoded = await self._decode(message)
                if intake is not None:
                    origin, number = _origin_of(message)
                    decoded = intake.admit(tp.partition, message.offset, origin, number, decoded)
                items.extend(decoded)
            position[tp.partition] = messages[-1].offset + 1
            unread = (consumer.highwater(tp) or 0) - position[tp.partition]
            LAG.labels(self._name).set(max(0, unread))
        fresh = items if self._dedupe is None else self._dedupe.fresh(items)
        return Batch(fresh, position)

    def input_mark(self) -> bytes | None:
        return None if self._intake is None else self._intake.mark()

    async def commit(self, position: Position) -> None:
        """Commits `position` and what earlier commits left, one commit at a time.

        Bounded: while the coordinator is away aiokafka looks for it forever, and the
        component's loop (which watches for SIGTERM) with it. A commit that outlasts the
        bound is not cancelled but left to land, and the next one waits behind it: two
        commits in flight can reach the broker out of order and move the position back.
        """
        if self._begin != "committed":
            return  # no group: the next start reads from the beginning (or end) again
        self._uncommitted.update(position)
        if self._starting is None or not self._starting.done():
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._stream.commit_timeout
        for _ in range(2):  # the commit in flight, if any, then this one
            if self._committing is None or self._committing.done():
                if not self._uncommitted:
                    return
                offsets, self._uncommitted = self._uncommitted, {}
                self._committing = asyncio.ensure_future(self._send_commit(offsets))
            try:
                await asyncio.wait_for(
                    asyncio.shield(self._committing), max(0.0, deadline - loop.time())
                )
            except TimeoutError:
                log.warning("a commit is still waiting for the broker; the next goes after it")
                return

    async def _send_commit(self, position: Position) -> None:
        offsets = {TopicPartition(self._topic, p): o for p, o in position.items()}
        try:
            await self._starting.result().commit(offsets)
        except (CommitFailedError, IllegalStateError) as error:
            log.warning("commit of %s dropped (%s): the new owner rereads", offsets, error)
        except UNREACHABLE as error:
            for partition, offset in position.items():  # unless a later one superseded it
                self._uncommitted.setdefault(partition, offset)
            log.warning("commit of %s deferred (%s); it goes with the next one", offsets, error)

    async def close(self) -> None:
        """Commits what is still uncommitted and leaves, within the stream's close_timeout:
        with the broker away, an uncommitted position only means batches read again
        (dropped by seq, or by the engine's journaled input mark)."""
        if self._starting is None:
            return
        if self._starting.done():
            await _bounded(self._commit_and_stop(), self._stream.close_timeout, self._name)
        else:
            self._starting.cancel()
            await asyncio.gather(self._starting, return_exceptions=True)
        if self._quarantine is not None:
            await self._quarantine.stop()

    async def _commit_and_stop(self) -> None:
        await self.commit({})
        if self._committing is not None and not self._committing.done():
            self._committing.cancel()  # leaving: an uncommitted position is read again
            await asyncio.gather(self._committing, return_exceptions=True)
        await _stop(self._starting.result())

    async def _start(self) -> AIOKafkaConsumer:
        """Joins the consumer group, retrying with backoff while the broker is away."""
        failures = 0
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._stream.bootstrap_servers,
                client_id=self._stream.client_id,
                group_id=self._name if self._begin == "committed" else None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                session_timeout_ms=self._stream.session_timeout_ms,
                heartbeat_interval_ms=max(100, self._stream.session_timeout_ms // 5),
                rebalance_timeout_ms=self._stream.rebalance_timeout_ms,
                fetch_max_wait_ms=self._stream.fetch_wait_ms,
                request_timeout_ms=max(
                    self._stream.request_timeout_ms, self._stream.session_timeout_ms + 1000
                ),
            )
            try:
                await self._stream.ensure_topic(self._topic)
                await consumer.start()
                if self._grouped:
                    consumer.subscribe([self._topic])
                else:
                    await self._assign(consumer)
                return consumer
            except UNREACHABLE as error:
                await _stop(consumer)
                failures += 1
                delay = self._stream.backoff(failures)
                log.warning("consumer %s cannot reach the broker (%s)", self._name, error)
                await asyncio.sleep(delay)

    async def _assign(self, consumer: AIOKafkaConsumer) -> None:
        """Takes every partition without joining the group, and seeks: to the beginning
        or the end, or to where the engine's journal says its input stands."""
        await consumer.topics()  # loads the metadata partitions_for_topic reads
        tps = [TopicPartition(self._topic, p) for p in consumer.partitions_for_topic(self._topic)]
        consumer.assign(tps)
        intake = self._intake
        for tp in tps:
            if intake is not None and tp.partition in intake.position:
                consumer.seek(tp, intake.position[tp.partition])
            elif self._begin == "beginning" or (intake is not None and intake.skip):
                # commands journaled before any mark came from the beginning
                await consumer.seek_to_beginning(tp)
            elif self._begin == "end":
                await consumer.seek_to_end(tp)
            # else: the group's committed position, or the beginning without one

    async def _decode(self, message: ConsumerRecord) -> list[Any]:
        try:
            return self._envelopes.decode(message.value)
        except EnvelopeError as error:
            where = f"{message.topic}/{message.partition}@{message.offset}"
            quarantine_log.warning("quarantined the message at %s: %s", where, error)
            await self._copy_to_quarantine(message, f"{error} (at {where}, read by {self._name})")
            return []

    async def _copy_to_quarantine(self, message: ConsumerRecord, reason: str) -> None:
        """Best effort: the log line above is the record; the copy keeps the bytes."""
        topic = quarantine_topic(self._topic)
        try:
            if self._quarantine is None:
                self._quarantine = await self._stream.started_producer()
            await self._stream.ensure_topic(topic)
            await self._quarantine.send_and_wait(
                topic, message.value, key=message.key, headers=[("reason", reason.encode())]
            )
        except UNREACHABLE as error:
            quarantine_log.error("could not copy to %s: %s", topic, error)


async def _bounded(closing: Coroutine[Any, Any, None], timeout: float, what: str) -> None:
    """Closing waits on the broker (a last commit, leaving the group, pending sends); a
    stopping service must not wait for a broker that is away."""
    try:
        await asyncio.wait_for(closing, timeout)
    except TimeoutError:
        log.warning("%s closed without the broker's answer after %.0f s", what, timeout)


def _origin_of(message: ConsumerRecord) -> tuple[str | None, int]:
    """The publisher's origin id and the message's number, (None, 0) if unstamped."""
    headers = dict(message.headers or ())
    origin = headers.get(ORIGIN_HEADER)
    number = headers.get(NUMBER_HEADER)
    if origin is None or number is None:
        return None, 0
    return origin.decode(), int(number)


async def _stop(consumer: AIOKafkaConsumer) -> None:
    """Stops a consumer without letting it cancel us: while the broker is away, aiokafka's
    stop() awaits the fetch task it has just cancelled and re-raises its CancelledError."""
    await asyncio.gather(consumer.stop(), return_exceptions=True)


async def _last_item_before(
    reader: AIOKafkaConsumer, tp: TopicPartition, end: int, envelopes: Envelopes
) -> Any:
    """The last item of the last readable envelope before `end`, None if there is none."""
    if end == 0:
        return None
    # Some brokers (Tansu) report a partition's end as its last record batch's base
    # offset + 1; the high watermark a fetch returns is right, so read once to learn it.
    await _record_at(reader, tp, end - 1)
    for offset in range(max(end, reader.highwater(tp) or 0) - 1, -1, -1):
        try:
            items = envelopes.decode(await _record_at(reader, tp, offset))
        except EnvelopeError:
            continue
        if items:
            return items[-1]
    return None


async def _record_at(reader: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> bytes:
    reader.seek(tp, offset)
    records = (await reader.getmany(tp, timeout_ms=10_000, max_records=1)).get(tp, [])
    if not records:
        raise KafkaError(f"{tp.topic}/{tp.partition}@{offset} could not be read")
    return records[0].value
