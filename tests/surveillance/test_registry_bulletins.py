"""The daily bulletins in the registry database, on SQLite and PostgreSQL: kept across a
restart, one per instrument and day however often the day is replayed, and the same when
two processes store them at once."""

import pytest

from engine.commands import EndOfDay, NewOrder
from engine.events import Event
from engine.orders import OrderType, Side, TimeInForce
from settlement.database import Database, open_database
from surveillance.market_data import DailyBulletin, DuplicateBulletin, MarketDataPublisher
from surveillance.market_data.registry_bulletins import RegistryBulletins
from tests.surveillance.test_market_data_engine import REFERENCE, Market, at


class RecordingMarket(Market):
    """The real sequencer, every event of it kept from the first."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        super().__init__(REFERENCE)

    def apply(self, command) -> list:
        events = super().apply(command)
        self.events += events
        return events


def two_days() -> list[Event]:
    """Every event of two trading days through the real sequencer: one trade in TJEA25
    each day (10 t at 50.10, then at 50.30), none elsewhere, an end-of-day after each."""
    market = RecordingMarket()
    for day, price in ((24, 5010), (25, 5030)):
        date = f"2026-11-{day}"
        for number, (account, side) in enumerate((("A1", Side.BUY), ("B1", Side.SELL))):
            market.apply(
                NewOrder(
                    at(10, 0), account, f"{day}-{number}", "TJEA25", side,
                    OrderType.LIMIT, TimeInForce.DAY, price, 10,
                )
            )  # fmt: skip
        market.apply(EndOfDay(at(15, 30), date))
    return market.events


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return two_days()


def bulletins_of(messages) -> list[DailyBulletin]:
    return [m for m in messages if isinstance(m, DailyBulletin)]


def rows(database: Database) -> list[tuple]:
    return database.query(
        "SELECT instrument, trading_date, event_seq FROM surveillance_bulletins "
        "ORDER BY event_seq, instrument"
    )


def test_an_end_of_day_keeps_one_bulletin_per_instrument_and_a_restart_keeps_them(
    database: Database, database_url: str, events: list[Event]
) -> None:
    published = bulletins_of(
        MarketDataPublisher(REFERENCE, RegistryBulletins(database)).apply_all(events)
    )
    assert sorted((b.trading_date, b.instrument) for b in published) == [
        (date, symbol)
        for date in ("2026-11-24", "2026-11-25")
        for symbol in sorted(REFERENCE.instruments)
    ]
    assert len(rows(database)) == len(published)

    restarted = open_database(database_url)  # another connection: a new process
    try:
        store = RegistryBulletins(restarted)
        assert store.history() == published
        (last_tjea,) = (
            b for b in published[-len(REFERENCE.instruments) :] if b.instrument == "TJEA25"
        )
        assert store.latest("TJEA25") == last_tjea and last_tjea.trading_date == "2026-11-25"
        # the restarted publisher replays the days: the same bulletins, nothing added
        replayed = bulletins_of(MarketDataPublisher(REFERENCE, store).apply_all(events))
        assert replayed == published
        assert len(rows(restarted)) == len(published)
        assert store.history("TJEA25", "2026-11-25")[0].close == "50.30"
    finally:
        restarted.close()


def test_a_publisher_restarted_mid_history_continues_from_the_kept_bulletins(
    database: Database, events: list[Event]
) -> None:
    first_day_end = max(
        b.event_seq
        for b in bulletins_of(
            MarketDataPublisher(REFERENCE, RegistryBulletins(database)).apply_all(events)
        )
        if b.trading_date == "2026-11-24"
    )
    later = MarketDataPublisher(
        REFERENCE, RegistryBulletins(database), next_event_seq=first_day_end + 1
    )
    second_day = bulletins_of(later.apply_all(e for e in events if e.seq > first_day_end))
    tjea = next(b for b in second_day if b.instrument == "TJEA25")
    assert (tjea.previous_close, tjea.change, tjea.cumulative_volume) == ("50.10", "0.20", 20)


def test_a_different_bulletin_for_a_kept_day_is_refused_and_changes_nothing(
    database: Database, events: list[Event]
) -> None:
    store = RegistryBulletins(database)
    kept = bulletins_of(MarketDataPublisher(REFERENCE, store).apply_all(events))[0]
    other = DailyBulletin(**{**_fields(kept), "event_seq": kept.event_seq + 1, "close": "1.00"})
    with pytest.raises(DuplicateBulletin, match=f"{kept.instrument} on {kept.trading_date}"):
        store.add(other)
    assert store.history(kept.instrument, kept.trading_date) == [kept]
    (row,) = database.query(
        "SELECT event_seq FROM surveillance_bulletins WHERE instrument = ? AND trading_date = ?",
        (kept.instrument, kept.trading_date),
    )
    assert row == (kept.event_seq,)


def test_two_processes_storing_the_same_day_keep_one_row(
    database: Database, database_url: str, events: list[Event]
) -> None:
    """The gateway and surveillance processes each publish market data, so each stores
    the bulletins; whichever comes second finds the row and takes it as a replay."""
    connections = [open_database(database_url) for _ in range(2)]
    try:
        gateway, surveillance, late = (RegistryBulletins(c) for c in (database, *connections))
        from_gateway = bulletins_of(MarketDataPublisher(REFERENCE, gateway).apply_all(events))
        from_surveillance = bulletins_of(
            MarketDataPublisher(REFERENCE, surveillance).apply_all(events)
        )
        assert from_surveillance == from_gateway
        assert len(rows(database)) == len(from_gateway)
        # `late` opened before any was stored: only the row can tell it this one differs
        first = from_gateway[0]
        with pytest.raises(DuplicateBulletin):
            late.add(DailyBulletin(**{**_fields(first), "event_seq": 10**9}))
        assert late.history(first.instrument, first.trading_date) == [first]
    finally:
        for connection in connections:
            connection.close()


def _fields(bulletin: DailyBulletin) -> dict:
    return {name: getattr(bulletin, name) for name in bulletin.__struct_fields__}
