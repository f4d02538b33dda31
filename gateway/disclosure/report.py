"""What a report is: a named table built from the registry as of one closed trading day.

Adding a report is one module in gateway/disclosure/reports/ with a class like these and one line
in `reports()` there: a `name` (the URL's), a `title`, a `schedule` (schedule.py), and
`build`, which must read only `Source` as of `closing.seq` so that building it again later
gives the same table (a republished report differs only where the registry was corrected).
Everything a report returns is public: aggregates, or what an entity chose to publish,
never an account's exact holdings or an order before it was published.
"""

from typing import ClassVar, Protocol

import msgspec

from settlement.ledger import AccountRecord
from surveillance.market_data.messages import DailyBulletin

Cell = str | int | None  # None: suppressed or not applicable


class ReportTable(msgspec.Struct):
    columns: list[str]
    rows: list[list[Cell]]
    notes: list[str] = []


class Closing(msgspec.Struct, frozen=True):
    """The trading day a publication is for: its date, the seq of its last DayClosed and
    that event's time (the publication time of scheduled reports)."""

    trading_date: str
    seq: int
    ts: int


class Source(Protocol):
    """The registry as reports read it (gateway/disclosure/registry_source.py)."""

    def holdings(self, upto_seq: int) -> dict[tuple[str, str], int]:
        """(account, instrument) -> tonnes held (available, pledged and frozen) after the
        events up to `upto_seq`; system owners left out."""
        ...

    def accounts(self) -> list[AccountRecord]: ...

    def bulletins(self, trading_date: str) -> list[DailyBulletin]: ...

    def previous(self, report: str, before: str) -> ReportTable | None:
        """The current version of `report`'s latest publication for a period before `before`."""
        ...


class Report(Protocol):
    name: ClassVar[str]
    title: ClassVar[str]
    schedule: ClassVar[str]  # schedule.DAILY or schedule.WEEKLY
    description: ClassVar[str]

    def build(self, source: Source, closing: Closing) -> ReportTable: ...
