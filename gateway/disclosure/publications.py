"""Published reports, kept as history in the registry database.

One row per report, period (a trading date) and version. The schedule writes version 1,
once: a replayed or restarted end of day finds the row and adds nothing. A supervisor's
correction adds the next version and marks the one it replaces superseded at that time;
every version stays readable. The table is this module's own, created at open.
"""

import msgspec

from gateway.disclosure.report import ReportTable
from settlement.database import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS disclosure_publications (
    report TEXT NOT NULL,
    period TEXT NOT NULL,             -- the trading date it is for, YYYY-MM-DD
    version INTEGER NOT NULL,         -- 1 from the schedule, then each correction
    published_ts BIGINT NOT NULL,     -- ns, UTC: when the public could first read it
    published_by TEXT NOT NULL,       -- 'schedule' or the supervisor
    reason TEXT NOT NULL,             -- why a correction was published
    event_seq BIGINT NOT NULL,        -- the DayClosed it was built as of
    superseded_ts BIGINT NOT NULL,    -- 0 while current
    body TEXT NOT NULL,               -- the ReportTable, JSON
    PRIMARY KEY (report, period, version)
)
"""
SCHEDULE = "schedule"
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(ReportTable).decode
_COLUMNS = (
    "report, period, version, published_ts, published_by, reason, event_seq, superseded_ts, body"
)


class Publication(msgspec.Struct):
    report: str
    period: str
    version: int
    published_ts: int
    published_by: str
    reason: str
    event_seq: int
    superseded_ts: int
    table: ReportTable

    @property
    def current(self) -> bool:
        return not self.superseded_ts


class Publications:
    def __init__(self, database: Database):
        self.database = database
        with database.transaction():
            database.execute(SCHEMA)

    def publish(self, report: str, period: str, seq: int, ts: int, table: ReportTable) -> bool:
        """The scheduled publication (version 1); False when it was published already."""
        with self.database.transaction():
            if self.database.query(
                "SELECT 1 FROM disclosure_publications WHERE report = ? AND period = ?",
                (report, period),
            ):
                return False
            self._insert(report, period, 1, ts, SCHEDULE, "", seq, table, first=True)
        return True

    def republish(
        self, report: str, period: str, ts: int, actor: str, reason: str, table: ReportTable
    ) -> Publication:
        """A correction: the next version, current from `ts`; the one before is superseded."""
        with self.database.transaction():
            found = self.current(report, period)
            if found is None:
                raise LookupError(f"{report} has no publication for {period}")
            self.database.execute(
                "UPDATE disclosure_publications SET superseded_ts = ? "
                "WHERE report = ? AND period = ? AND version = ?",
                (ts, report, period, found.version),
            )
            self._insert(
                report, period, found.version + 1, ts, actor, reason, found.event_seq, table
            )
        return self.current(report, period)

    def _insert(self, report, period, version, ts, actor, reason, seq, table, first=False):
        """`first`: the schedule's, which another gateway process may write at once: the
        same row (built as of the same seq), so the later insert does nothing."""
        self.database.execute(
            f"INSERT INTO disclosure_publications ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)"
            + (" ON CONFLICT (report, period, version) DO NOTHING" if first else ""),
            (report, period, version, ts, actor, reason, seq, _encode(table).decode()),
        )

    def _select(self, where: str, params: tuple, order: str) -> list[Publication]:
        rows = self.database.query(
            f"SELECT {_COLUMNS} FROM disclosure_publications WHERE {where} ORDER BY {order}",
            params,
        )
        return [Publication(*row[:-1], table=_decode(row[-1])) for row in rows]

    def current(self, report: str, period: str) -> Publication | None:
        found = self._select(
            "report = ? AND period = ? AND superseded_ts = 0", (report, period), "version"
        )
        return found[0] if found else None

    def versions(self, report: str, period: str) -> list[Publication]:
        """Every version of one period's report, newest first."""
        return self._select("report = ? AND period = ?", (report, period), "version DESC")

    def periods(
        self, report: str, first: str = "", last: str = "9999-12-31", now: int | None = None
    ) -> list[Publication]:
        """The current version of each period in [first, last], newest period first;
        with `now`, only what was published by then."""
        where = "report = ? AND period >= ? AND period <= ? AND superseded_ts = 0"
        params: tuple = (report, first, last)
        if now is not None:
            where += " AND published_ts <= ?"
            params += (now,)
        return self._select(where, params, "period DESC")

    def previous(self, report: str, before: str) -> Publication | None:
        found = self._select(
            "report = ? AND period < ? AND superseded_ts = 0", (report, before), "period DESC"
        )
        return found[0] if found else None
