"""A gap in the event seqs stops settlement loudly: nothing past it is booked, the error
is logged and /health says so, and a stop still ends the service cleanly."""

import asyncio
import logging

import pytest
from settlement_builders import EventLog

from engine.memory_stream import MemoryStream
from engine.reference import ReferenceData
from engine.stream import EVENTS_TOPIC
from settlement.ledger import Ledger
from settlement.settlement_service import SettlementService

BOUND = 200  # rounds of 50 ms: a hang fails the test instead of the run


def test_settlement_stalls_at_a_gap_and_says_so(
    database_url: str, reference: ReferenceData, caplog: pytest.LogCaptureFixture
) -> None:
    log = EventLog()
    before = [log.open("A1"), log.cash("A1", 1_000_00), log.holding("A1", 50)]
    log.cash("A1", 5_00)  # seq 4, which the stream lost
    after = [log.cash("A1", 7_00), log.cash("A1", 9_00)]
    stream = MemoryStream()
    service = SettlementService(lambda: Ledger.open(database_url, reference), stream)

    async def scenario() -> None:
        publisher = stream.publisher()
        stop = asyncio.Event()
        running = asyncio.create_task(service.run(stop))
        await publisher.publish(EVENTS_TOPIC, before)
        for _ in range(BOUND):
            if service.last_seq == 3:
                break
            await asyncio.sleep(0.05)
        await publisher.publish(EVENTS_TOPIC, after)
        for _ in range(BOUND):
            if service.stalled:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(running, BOUND * 0.05)

    with caplog.at_level(logging.ERROR, logger="tcx.settlement"):
        asyncio.run(scenario())
    assert service.stalled
    assert service.last_seq == 3
    stalls = [r for r in caplog.records if "stalled at a gap" in r.getMessage()]
    assert stalls and "seq 5 where 4 was due" in stalls[0].error
    ledger = Ledger.open(database_url, reference)
    try:
        assert ledger.last_seq() == 3
        assert ledger.balance("A1", "CNY", "cash") == 1_000_00
    finally:
        ledger.close()
