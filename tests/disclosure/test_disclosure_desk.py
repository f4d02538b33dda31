"""The desk publishes a day when its last DayClosed arrives, only once settlement has
booked it, in closing order, and a replayed close publishes nothing again."""

import asyncio

from engine.reference import load_reference_data
from gateway.disclosure.desk import DisclosureDesk
from settlement.ledger import Ledger
from surveillance.market_data.bulletin import daily_bulletin
from surveillance.market_data.registry_bulletins import RegistryBulletins
from tests.settlement.settlement_builders import EventLog

REFERENCE = load_reference_data()


def test_a_close_publishes_after_settlement_books_it_and_a_replay_adds_nothing(tmp_path):
    url = str(tmp_path / "registry.db")
    log = EventLog()
    opening = [log.open("E1"), log.holding("E1", 1_000)]
    closes = [log.close("2026-11-27", symbol) for symbol in REFERENCE.instruments]

    async def run() -> tuple[list, list, list]:
        desk = DisclosureDesk(url, REFERENCE)
        desk.on_events(opening + closes[:-1])
        assert not desk._tasks  # not every instrument has closed yet
        desk.on_events(closes[-1:])
        await asyncio.sleep(0.3)
        early = await desk(lambda source: source.publications.periods("daily-bulletin"))
        ledger = Ledger.open(url, REFERENCE)  # settlement books the day, bulletins follow
        ledger.book(opening + closes)
        bulletins = RegistryBulletins(ledger.database)
        for closed in closes:
            bulletins.add(daily_bulletin(closed, closed.seq, 0, 0, 0))
        ledger.close()
        await desk.wait_idle()
        published = await desk(lambda source: source.publications.periods("weekly-holdings"))
        desk.on_events(closes)  # the gateway reads the stream again after a restart
        await desk.wait_idle()
        again = await desk(
            lambda source: source.publications.versions("weekly-holdings", "2026-11-27")
        )
        await desk.close()
        return early, published, again

    early, published, again = asyncio.run(run())
    assert early == []
    assert [(p.period, p.version, p.published_ts) for p in published] == [
        ("2026-11-27", 1, closes[-1].ts)
    ]
    assert len(again) == 1
