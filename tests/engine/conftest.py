"""Shared set-up for the engine tests: the shipped reference data, a trading-day clock,
a sequencer with funded accounts; and for the stream tests a Tansu broker for the
session, the two transports behind one face, and events to publish."""

import datetime as dt
import itertools
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from engine.commands import MoveCash, MoveHolding, OpenAccount
from engine.events import CashMoved, Event, OrderAccepted, Trade
from engine.kafka_stream import KafkaStream
from engine.memory_holds import MemoryHolds
from engine.memory_stream import MemoryStream
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind
from engine.reference import ReferenceData, load_reference_data
from engine.sequencer import Sequencer
from engine.socket_stream import SocketStream, StreamServer
from engine.stream import Consumer, Position, Stream, quarantine_topic
from tests.brokers import Tansu

SHANGHAI = ZoneInfo("Asia/Shanghai")
TRADING_DAY = dt.date(2026, 11, 24)  # a Tuesday


def at(hour: int, minute: int = 0, day: dt.date = TRADING_DAY) -> int:
    """ns timestamp of a Beijing wall-clock time."""
    moment = dt.datetime.combine(day, dt.time(hour, minute), SHANGHAI)
    return int(moment.timestamp()) * 1_000_000_000


OPEN = at(10)  # inside the morning session
ACCOUNTS = {"A1": ("M1", "G1"), "A2": ("M1", "G1"), "B1": ("M2", ""), "C1": ("M3", "")}
CASH = 100_000_000_00  # fen per account
TONNES = 1_000_000  # of each instrument per account


def open_accounts(sequencer: Sequencer, reference: ReferenceData) -> None:
    for account, (member, group) in ACCOUNTS.items():
        sequencer.apply(OpenAccount(0, account, member, AccountKind.INVESTOR, group, 0, "test"))
        sequencer.apply(
            MoveCash(0, account, CASH, CashMovementKind.DEPOSIT, f"cash-{account}", "test")
        )
        for symbol in reference.instruments:
            sequencer.apply(
                MoveHolding(
                    0,
                    account,
                    symbol,
                    TONNES,
                    HoldingMovementKind.ALLOCATE,
                    f"alloc-{account}-{symbol}",
                    "test",
                )
            )


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return load_reference_data()


@pytest.fixture
def holds() -> MemoryHolds:
    return MemoryHolds()


@pytest.fixture
def sequencer(reference: ReferenceData, holds: MemoryHolds) -> Sequencer:
    sequencer = Sequencer(reference, holds)
    open_accounts(sequencer, reference)
    return sequencer


INSTRUMENTS = ("TJEA2025", "TJEA2026", "CCER")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def tansu() -> Iterator[Tansu]:
    with Tansu() as broker:
        yield broker


def kafka_stream_for_tests(bootstrap_servers: str) -> KafkaStream:
    """Short group timeouts: a consumer joins its group in about a second, not five."""
    return KafkaStream(
        bootstrap_servers,
        request_timeout_ms=3_000,
        session_timeout_ms=2_000,
        rebalance_timeout_ms=1_000,
        first_backoff=0.05,
        max_backoff=0.5,
    )


class Transport(Protocol):
    """A stream plus the test-only ways in: raw bytes onto a topic, and what a consumer
    set aside as quarantined."""

    stream: Stream

    async def inject(self, topic: str, payload: bytes) -> None: ...

    async def quarantined(self, topic: str, count: int) -> list[tuple[bytes, str]]: ...


class MemoryTransport:
    def __init__(self) -> None:
        self.stream = self.memory = MemoryStream()

    async def inject(self, topic: str, payload: bytes) -> None:
        self.memory.append_encoded(topic, payload)

    async def quarantined(self, topic: str, count: int) -> list[tuple[bytes, str]]:
        return [(payload, reason) for t, payload, reason in self.memory.quarantined if t == topic]


class _ServedOnFirstUse(SocketStream):
    """The client of a server started in the test's own event loop, when first used."""

    def __init__(self, server: StreamServer) -> None:
        super().__init__(server.path)
        self.server = server
        self._started = False

    async def _connection(self):
        if not self._started:
            self._started = True
            await self.server.start()
        return await super()._connection()


class SocketTransport:
    """An in-process stream served on a Unix socket, read and written through it."""

    def __init__(self) -> None:
        self.memory = MemoryStream()
        path = Path(tempfile.mkdtemp(prefix="tcx-stream-")) / "stream.sock"
        self.stream = _ServedOnFirstUse(StreamServer(self.memory, path))

    async def inject(self, topic: str, payload: bytes) -> None:
        self.memory.append_encoded(topic, payload)

    async def quarantined(self, topic: str, count: int) -> list[tuple[bytes, str]]:
        found = self.memory.quarantined + self.stream.quarantined
        return [(payload, reason) for t, payload, reason in found if t == topic]


class KafkaTransport:
    def __init__(self, broker: Tansu) -> None:
        self.bootstrap_servers = broker.bootstrap_servers
        self.stream = self.kafka = kafka_stream_for_tests(broker.bootstrap_servers)

    async def inject(self, topic: str, payload: bytes) -> None:
        await self.kafka.ensure_topic(topic)
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(topic, payload, key=b"outsider")
        finally:
            await producer.stop()

    async def quarantined(self, topic: str, count: int) -> list[tuple[bytes, str]]:
        messages = await raw_messages(self.bootstrap_servers, quarantine_topic(topic), count)
        return [(m.value, dict(m.headers)["reason"].decode()) for m in messages]


async def raw_messages(bootstrap_servers: str, topic: str, count: int) -> list[ConsumerRecord]:
    """The topic's messages as a plain Kafka client sees them: at least `count`, or all
    that came in ten seconds."""
    reader = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest"
    )
    await reader.start()
    found: list[ConsumerRecord] = []
    try:
        for _ in range(50):
            for messages in (await reader.getmany(timeout_ms=200)).values():
                found += messages
            if len(found) >= count:
                break
    finally:
        await reader.stop()
    return found


@pytest.fixture(params=["memory", "socket", "kafka"])
def transport(request: pytest.FixtureRequest) -> Transport:
    if request.param == "memory":
        return MemoryTransport()
    if request.param == "socket":
        return SocketTransport()
    return KafkaTransport(request.getfixturevalue("tansu"))


@pytest.fixture
def topic() -> str:
    """A fresh topic per test: the session's broker is shared."""
    return f"test.events.{uuid.uuid4().hex[:12]}"


def make_events(first_seq: int, count: int) -> list[Event]:
    """Runs of orders and trades on rotating instruments, with cash movements (no
    instrument) in between, as the engine would emit them."""
    events: list[Event] = []
    instruments = itertools.cycle(INSTRUMENTS)
    instrument = next(instruments)
    for seq in range(first_seq, first_seq + count):
        kind = seq % 7
        if kind == 0:
            events.append(CashMoved(seq, seq * 10, "A1", 5_000, 1, f"dep-{seq}", "ops"))
            continue
        if kind == 3:
            instrument = next(instruments)
        if kind % 2:
            events.append(
                OrderAccepted(seq, seq * 10, seq, "A1", f"c{seq}", instrument, 1, 2, 0, 4_000, 5)
            )
        else:
            events.append(
                Trade(
                    seq,
                    seq * 10,
                    seq,
                    instrument,
                    4_000,
                    5,
                    1,
                    seq - 1,
                    "A1",
                    "b",
                    0,
                    seq,
                    "A2",
                    "s",
                    0,
                )
            )
    return events


async def read(consumer: Consumer, count: int, commit: bool = True) -> tuple[list[Any], Position]:
    """Reads until `count` items arrived or the consumer stays quiet; commits each batch."""
    items: list[Any] = []
    position: Position = {}
    quiet = 0
    while len(items) < count and quiet < 40:
        batch = await consumer.next_batch(timeout=0.25)
        quiet = 0 if batch.items else quiet + 1
        items.extend(batch.items)
        position |= batch.position
        if commit and batch.position:
            await consumer.commit(batch.position)
    return items, position


async def drain(consumer: Consumer, rounds: int = 4) -> list[Any]:
    """What else arrives in a few quiet rounds: to show that nothing more does."""
    extra: list[Any] = []
    for _ in range(rounds):
        extra.extend((await consumer.next_batch(timeout=0.25)).items)
    return extra


def seqs(items: Sequence[Event]) -> list[int]:
    return [item.seq for item in items]
