"""Where daily bulletins are kept, and their exports.

`BulletinStore` is what the publisher needs from a store; `BulletinHistory` keeps them in
memory (the registry database will implement the same protocol later). A publisher that
starts at event N continues each instrument's previous close and totals since listing
from its latest bulletin made before N; one that replays events already published finds
their bulletins kept, and adding one again is a no-op (the stream may be replayed, the
history must not double).
"""

import csv
import io
from collections.abc import Iterable
from typing import Protocol

import msgspec

from surveillance.market_data.messages import DailyBulletin


class BulletinStore(Protocol):
    def add(self, bulletin: DailyBulletin) -> None:
        """Keeps `bulletin`. One made from the same event as a kept one is a replay and
        changes nothing; another for the same instrument and date is refused."""
        ...

    def latest(self, instrument: str, before_event_seq: int | None = None) -> DailyBulletin | None:
        """The instrument's last bulletin, or its last one made from an event before
        `before_event_seq`."""
        ...

    def history(
        self, instrument: str | None = None, trading_date: str | None = None
    ) -> list[DailyBulletin]:
        """Bulletins in the order they were published, optionally filtered."""
        ...


class DuplicateBulletin(ValueError):
    def __init__(self, instrument: str, trading_date: str):
        super().__init__(f"a different bulletin for {instrument} on {trading_date} is already kept")


class BulletinHistory:
    __slots__ = ("_bulletins", "_by_instrument", "_kept")

    def __init__(self, bulletins: Iterable[DailyBulletin] = ()):
        self._bulletins: list[DailyBulletin] = []
        self._by_instrument: dict[str, list[DailyBulletin]] = {}
        self._kept: dict[tuple[str, str], DailyBulletin] = {}
        for bulletin in bulletins:
            self.add(bulletin)

    def add(self, bulletin: DailyBulletin) -> None:
        key = (bulletin.instrument, bulletin.trading_date)
        kept = self._kept.get(key)
        if kept is not None:
            if kept.event_seq == bulletin.event_seq:
                return
            raise DuplicateBulletin(*key)
        self._kept[key] = bulletin
        self._bulletins.append(bulletin)
        self._by_instrument.setdefault(bulletin.instrument, []).append(bulletin)

    def latest(self, instrument: str, before_event_seq: int | None = None) -> DailyBulletin | None:
        for bulletin in reversed(self._by_instrument.get(instrument, ())):
            if before_event_seq is None or bulletin.event_seq < before_event_seq:
                return bulletin
        return None

    def history(
        self, instrument: str | None = None, trading_date: str | None = None
    ) -> list[DailyBulletin]:
        return [
            bulletin
            for bulletin in self._bulletins
            if (instrument is None or bulletin.instrument == instrument)
            and (trading_date is None or bulletin.trading_date == trading_date)
        ]


CSV_COLUMNS = DailyBulletin.__struct_fields__


def bulletins_to_json(bulletins: Iterable[DailyBulletin]) -> bytes:
    return msgspec.json.encode(list(bulletins))


def bulletins_from_json(data: bytes) -> list[DailyBulletin]:
    return msgspec.json.decode(data, type=list[DailyBulletin])


def bulletins_to_csv(bulletins: Iterable[DailyBulletin]) -> str:
    """One row per bulletin, a header row first; absent prices are empty cells."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for bulletin in bulletins:
        values = msgspec.structs.astuple(bulletin)
        writer.writerow("" if value is None else value for value in values)
    return out.getvalue()
