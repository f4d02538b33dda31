"""Where daily bulletins are kept, and their exports.

`BulletinStore` is what the publisher needs from a store; `BulletinHistory` keeps them in
memory (the registry database will implement the same protocol later). On start the
publisher reads each instrument's latest bulletin to continue the previous close and the
totals since listing.
"""

import csv
import io
from collections.abc import Iterable
from typing import Protocol

import msgspec

from surveillance.market_data.messages import DailyBulletin


class BulletinStore(Protocol):
    def add(self, bulletin: DailyBulletin) -> None:
        """Keeps `bulletin`; refuses a second one for the same instrument and date."""
        ...

    def latest(self, instrument: str) -> DailyBulletin | None: ...

    def history(
        self, instrument: str | None = None, trading_date: str | None = None
    ) -> list[DailyBulletin]:
        """Bulletins in the order they were published, optionally filtered."""
        ...


class DuplicateBulletin(ValueError):
    def __init__(self, instrument: str, trading_date: str):
        super().__init__(f"a bulletin for {instrument} on {trading_date} is already kept")


class BulletinHistory:
    __slots__ = ("_bulletins", "_keys", "_latest")

    def __init__(self, bulletins: Iterable[DailyBulletin] = ()):
        self._bulletins: list[DailyBulletin] = []
        self._keys: set[tuple[str, str]] = set()
        self._latest: dict[str, DailyBulletin] = {}
        for bulletin in bulletins:
            self.add(bulletin)

    def add(self, bulletin: DailyBulletin) -> None:
        key = (bulletin.instrument, bulletin.trading_date)
        if key in self._keys:
            raise DuplicateBulletin(*key)
        self._keys.add(key)
        self._bulletins.append(bulletin)
        self._latest[bulletin.instrument] = bulletin

    def latest(self, instrument: str) -> DailyBulletin | None:
        return self._latest.get(instrument)

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
