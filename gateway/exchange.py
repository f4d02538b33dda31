"""The composition root: builds the exchange's parts from Settings and wires them.

Everything is written against the stream interface, so the same parts run in one process
(`tcx up`: the in-process stream, SQLite) or one per process over Kafka and PostgreSQL
(`tcx engine`, `tcx settlement`, ...). Only this module knows which.
"""

import asyncio
import logging
from collections.abc import Sequence

from engine.commands import Command
from engine.durable_sequencer import DurableSequencer, GroupCommit
from engine.engine_service import EngineService
from engine.event_replay import events_after
from engine.memory_stream import MemoryStream
from engine.reference import ReferenceData, load_reference_data
from engine.sequencer import Sequencer
from engine.stream import COMMANDS_TOPIC, Stream
from gateway.settings import Settings
from settlement.holds import SettlementHolds
from settlement.ledger import Ledger
from settlement.settlement_service import SettlementService

log = logging.getLogger("tcx.exchange")


def open_stream(settings: Settings) -> Stream:
    if settings.stream == "kafka":
        from engine.kafka_stream import KafkaStream  # only the distributed mode needs aiokafka

        return KafkaStream(settings.kafka_bootstrap)
    return MemoryStream()


class Exchange:
    """The parts of one process. `components` names which of engine, settlement run here."""

    def __init__(
        self,
        settings: Settings,
        components: Sequence[str] = ("engine", "settlement"),
        stream: Stream | None = None,
    ):
        self.settings = settings
        self.reference: ReferenceData = load_reference_data(settings.reference_data)
        self.stream = stream if stream is not None else open_stream(settings)
        self.components = tuple(components)
        self.journal_dir = settings.data_dir / "journal"
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine: EngineService | None = None
        self.settlement: SettlementService | None = None
        if "engine" in self.components:
            policy = GroupCommit(
                max_commands=settings.journal_batch_size,
                max_wait_ns=int(settings.journal_batch_interval_ms * 1e6),
                snapshot_every=settings.snapshot_every,
            )
            self.sequencer = self.fresh_sequencer()
            durable = DurableSequencer(self.journal_dir, self.sequencer, policy)
            self.engine = EngineService(durable, self.stream)
        if "settlement" in self.components:
            self.settlement = SettlementService(
                lambda: Ledger.open(settings.registry, self.reference), self.stream
            )
        self._publisher = self.stream.publisher()

    def fresh_sequencer(self) -> Sequencer:
        return Sequencer(self.reference, SettlementHolds(self.reference))

    async def submit(self, commands: Sequence[Command]) -> None:
        """Hands commands to the engine (through the commands topic)."""
        await self._publisher.publish(COMMANDS_TOPIC, commands)

    async def run(self, stop: asyncio.Event) -> None:
        """Runs every component of this process until `stop` is set."""
        tasks = []
        if self.engine is not None:
            await self._catch_up_consumers()
            tasks.append(asyncio.create_task(self.engine.run(stop), name="engine"))
        if self.settlement is not None:
            tasks.append(asyncio.create_task(self.settlement.run(stop), name="settlement"))
        try:
            await asyncio.gather(*tasks)
        finally:
            stop.set()
            await self._publisher.close()

    async def _catch_up_consumers(self) -> None:
        """The in-process stream starts empty: republish from the journal what the
        consumers of this process have not applied yet."""
        if not isinstance(self.stream, MemoryStream) or self.settlement is None:
            return
        ledger = Ledger.open(self.settings.registry, self.reference)
        try:
            applied = ledger.last_seq()
        finally:
            ledger.close()
        if applied < self.sequencer.next_seq - 1:
            await self.engine.republish(
                events_after(self.journal_dir, self.fresh_sequencer, applied)
            )
