"""The daily bulletins in the registry database (SQLite or PostgreSQL), kept across restarts.

A `BulletinStore` like the in-memory `BulletinHistory`, which it keeps in front of the
table: reads come from memory (the history is a few rows a day), each new bulletin is
written through in its own transaction before it is published. The table's key, one row per
instrument and trading day, is what makes a replayed or restarted end-of-day add nothing:
the insert does nothing on a kept key, and the kept row decides: the same event is a replay,
another one is refused with `DuplicateBulletin`. That also holds when two processes (the
gateway and surveillance apart) add the same bulletin at once.

The store uses its connection on the caller's thread: the event loop's, where the
publisher applies events and the REST API reads. Writes are one row per instrument at a
day's close, so they do not hold the loop up.
"""

import msgspec

from surveillance.market_data.bulletin_history import BulletinHistory, DuplicateBulletin
from surveillance.market_data.messages import DailyBulletin
from surveillance.migrations import Database, migrate

_decode = msgspec.json.Decoder(DailyBulletin).decode
_encode = msgspec.json.Encoder().encode


class RegistryBulletins:
    __slots__ = ("_database", "_memory")

    def __init__(self, database: Database):
        migrate(database)
        self._database = database
        rows = database.query(
            "SELECT bulletin FROM surveillance_bulletins ORDER BY event_seq, instrument"
        )
        self._memory = BulletinHistory(_decode(row[0]) for row in rows)

    def add(self, bulletin: DailyBulletin) -> None:
        key = (bulletin.instrument, bulletin.trading_date)
        if self._memory.history(*key):
            self._memory.add(bulletin)  # a replay changes nothing; anything else is refused
            return
        with self._database.transaction():
            self._database.execute(
                "INSERT INTO surveillance_bulletins (instrument, trading_date, event_seq, "
                "bulletin) VALUES (?, ?, ?, ?) ON CONFLICT (instrument, trading_date) DO NOTHING",
                (*key, bulletin.event_seq, _encode(bulletin).decode()),
            )
            ((kept,),) = self._database.query(
                "SELECT bulletin FROM surveillance_bulletins "
                "WHERE instrument = ? AND trading_date = ?",
                key,
            )
        stored = _decode(kept)
        self._memory.add(stored)  # another process may have stored it first
        if stored.event_seq != bulletin.event_seq:
            raise DuplicateBulletin(*key)

    def latest(self, instrument: str, before_event_seq: int | None = None) -> DailyBulletin | None:
        return self._memory.latest(instrument, before_event_seq)

    def history(
        self, instrument: str | None = None, trading_date: str | None = None
    ) -> list[DailyBulletin]:
        return self._memory.history(instrument, trading_date)
