"""The alert store: alerts as supervisors work them, in the registry database.

Recording is idempotent: the same alert raised again (a redelivered event, a replay, the
runner re-sending an alert it merged) updates the stored one when it brings a wider
window, more orders or trades, or a higher score, and otherwise changes nothing.

An alert with a new id for the same pattern, instrument and accounts whose window touches
a stored one is a duplicate: it merges into the stored alert (by
`surveillance.alert.absorb`), and its id becomes an alias that finds the kept alert. A
duplicate of a closed alert merges too (its window was the one decided) and the alert
stays closed; the merge is in the audit trail and goes to subscribers, so the desk sees it.

Every change writes one row to the append-only audit trail and bumps the alert's revision,
in the same transaction; subscribers hear of it after the commit, so a dashboard can push
the alert without a reload. Workflow steps are decided by `surveillance.workflow.decide`
before anything is written, so a refused step changes nothing.

Give the store its own database connection: it serializes its transactions with a lock,
which covers only the calls made through it. On SQLite it must stay on the thread that
opened the connection; `surveillance.store_thread.StoreThread` keeps it there for the
event loop's callers.
"""

import logging
import threading
from collections.abc import Callable, Iterable
from enum import StrEnum

import msgspec

from surveillance.alert import Alert, absorb, windows_touch
from surveillance.migrations import Database, migrate
from surveillance.parameter_history import ParameterHistory
from surveillance.parameters import Parameters
from surveillance.workflow import (
    Action,
    Disposition,
    Reason,
    Refused,
    Status,
    User,
    WorkState,
    decide,
    require_supervisor,
)

SYSTEM_ACTOR = "surveillance"  # who raises and merges alerts in the audit trail
RAISED = "raised"
MERGED = "merged"
MAX_PAGE = 500

log = logging.getLogger(__name__)


class StoredAlert(msgspec.Struct, frozen=True, kw_only=True):
    alert: Alert
    status: Status
    assignee: str
    disposition: Disposition | None
    revision: int  # how many audit entries the alert has
    raised_ts: int
    updated_ts: int

    @property
    def work(self) -> WorkState:
        return WorkState(self.status, self.assignee, self.disposition)


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    alert_id: str
    revision: int
    ts: int
    actor: str
    action: str  # "raised", "merged" or a workflow Action
    from_status: str  # "" for the raise
    to_status: Status
    assignee: str
    disposition: Disposition | None
    comment: str


class AlertFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Every field narrows the list; empty ones do not. Times select alerts whose window
    overlaps [since, until]."""

    statuses: tuple[Status, ...] = ()
    pattern: str = ""
    instrument: str = ""
    account: str = ""
    assignee: str = ""
    min_score: int = 0
    max_score: int = 100
    since: int | None = None
    until: int | None = None


class Page(msgspec.Struct, frozen=True):
    total: int  # alerts matching the filter, on every page
    alerts: list[StoredAlert]


Listener = Callable[[StoredAlert, AuditEntry], None]

_COLUMNS = (
    "id, pattern, instrument, accounts, control_group, score, window_start, window_end, "
    "evidence, order_ids, trade_ids, reason, status, assignee, disposition, revision, "
    "raised_ts, updated_ts"
)
_AUDIT_COLUMNS = (
    "alert_id, revision, ts, actor, action, from_status, to_status, assignee, disposition, comment"
)
_ALERT_FIELDS = (
    "score = ?, window_start = ?, window_end = ?, evidence = ?, order_ids = ?, "
    "trade_ids = ?, reason = ?"
)
_ORDER = "ORDER BY score DESC, window_start DESC, id"


class AlertStore:
    def __init__(self, database: Database, defaults: Parameters | None = None):
        migrate(database)
        self._database = database
        self._lock = threading.Lock()
        # PostgreSQL: another process (gateway and surveillance consumer apart) may change
        # the row between our read and write; SQLite's BEGIN IMMEDIATE already excludes it.
        self._for_update = " FOR UPDATE" if database.dialect == "postgresql" else ""
        self._listeners: list[Listener] = []
        self.parameters = ParameterHistory(database, self._lock, defaults or Parameters())

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Calls `listener` after every committed change; returns the unsubscribe call."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def record(self, alerts: Iterable[Alert], now: int) -> list[StoredAlert]:
        """Saves or merges raised alerts in one transaction; returns those that changed."""
        changes: list[tuple[StoredAlert, AuditEntry]] = []
        with self._lock, self._database.transaction():
            for alert in alerts:
                change = self._record(alert, now)
                if change is not None:
                    changes.append(change)
        self._notify(changes)
        return [stored for stored, _ in changes]

    def act(
        self,
        alert_id: str,
        action: Action,
        user: User,
        comment: str,
        now: int,
        *,
        assignee: str = "",
        disposition: Disposition | None = None,
    ) -> StoredAlert:
        """One workflow step by a supervisor, audited; `Refused` changes nothing."""
        require_supervisor(user)
        with self._lock, self._database.transaction():
            stored = self._find(alert_id, lock=True)
            after = decide(
                stored.work, action, user, comment, assignee=assignee, disposition=disposition
            )
            changed = msgspec.structs.replace(
                stored,
                status=after.status,
                assignee=after.assignee,
                disposition=after.disposition,
                revision=stored.revision + 1,
                updated_ts=now,
            )
            self._database.execute(
                "UPDATE surveillance_alerts SET status = ?, assignee = ?, disposition = ?, "
                "revision = ?, updated_ts = ? WHERE id = ?",
                (
                    str(changed.status),
                    changed.assignee,
                    _text(changed.disposition),
                    changed.revision,
                    now,
                    changed.alert.id,
                ),
            )
            entry = self._audit(
                changed, now, user.name, action, str(stored.status), comment.strip()
            )
        self._notify([(changed, entry)])
        return changed

    def get(self, alert_id: str) -> StoredAlert:
        """The alert, also by the id of a duplicate merged into it; `Refused` if unknown."""
        with self._lock:
            return self._find(alert_id, lock=False)

    def trail(self, alert_id: str) -> list[AuditEntry]:
        """The alert's audit trail, oldest first."""
        with self._lock:
            kept = self._find(alert_id, lock=False).alert.id
            rows = self._database.query(
                f"SELECT {_AUDIT_COLUMNS} FROM surveillance_alert_audit "
                "WHERE alert_id = ? ORDER BY revision",
                (kept,),
            )
        return [_entry(row) for row in rows]

    def search(self, where: AlertFilter, limit: int = 50, offset: int = 0) -> Page:
        """The alert queue: highest score first, then the most recent window."""
        limit = max(1, min(MAX_PAGE, limit))
        clauses, params = _conditions(where)
        condition = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._lock:
            ((total,),) = self._database.query(
                f"SELECT COUNT(*) FROM surveillance_alerts {condition}", params
            )
            rows = self._database.query(
                f"SELECT {_COLUMNS} FROM surveillance_alerts {condition} {_ORDER} LIMIT ? OFFSET ?",
                (*params, limit, max(0, offset)),
            )
        return Page(total, [_stored(row) for row in rows])

    def _record(self, alert: Alert, now: int) -> tuple[StoredAlert, AuditEntry] | None:
        stored = self._kept(alert.id) or self._duplicate_of(alert)
        if stored is None:
            return self._insert(alert, now)
        kept = stored.alert
        if alert.id != kept.id:
            self._database.execute(
                "INSERT INTO surveillance_alert_aliases (alias, alert_id) VALUES (?, ?) "
                "ON CONFLICT (alias) DO NOTHING",
                (alert.id, kept.id),
            )
        merged = absorb(kept, alert)
        if merged is None:
            return None
        self._database.execute(
            f"UPDATE surveillance_alerts SET {_ALERT_FIELDS}, revision = ?, updated_ts = ? "
            "WHERE id = ?",
            (*_alert_values(merged), stored.revision + 1, now, kept.id),
        )
        changed = msgspec.structs.replace(
            stored, alert=merged, revision=stored.revision + 1, updated_ts=now
        )
        entry = self._audit(
            changed, now, SYSTEM_ACTOR, MERGED, str(stored.status), _merged(alert, kept, merged)
        )
        return changed, entry

    def _insert(self, alert: Alert, now: int) -> tuple[StoredAlert, AuditEntry]:
        stored = StoredAlert(
            alert=alert,
            status=Status.NEW,
            assignee="",
            disposition=None,
            revision=1,
            raised_ts=now,
            updated_ts=now,
        )
        self._database.execute(
            f"INSERT INTO surveillance_alerts ({_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                alert.id,
                alert.pattern,
                alert.instrument,
                _json(alert.accounts),
                alert.control_group,
                *_alert_values(alert),
                str(Status.NEW),
                "",
                "",
                1,
                now,
                now,
            ),
        )
        for account in alert.accounts:
            self._database.execute(
                "INSERT INTO surveillance_alert_accounts (account, alert_id) VALUES (?, ?)",
                (account, alert.id),
            )
        return stored, self._audit(stored, now, SYSTEM_ACTOR, RAISED, "", alert.reason)

    def _kept(self, alert_id: str, lock: bool = True) -> StoredAlert | None:
        """The stored alert with this id, or the one it was merged into."""
        suffix = self._for_update if lock else ""
        for sql in (
            f"SELECT {_COLUMNS} FROM surveillance_alerts WHERE id = ?{suffix}",
            f"SELECT {_COLUMNS} FROM surveillance_alerts WHERE id = "
            f"(SELECT alert_id FROM surveillance_alert_aliases WHERE alias = ?){suffix}",
        ):
            rows = self._database.query(sql, (alert_id,))
            if rows:
                return _stored(rows[0])
        return None

    def _find(self, alert_id: str, lock: bool) -> StoredAlert:
        stored = self._kept(alert_id, lock)
        if stored is None:
            raise Refused(Reason.UNKNOWN_ALERT, f"no alert {alert_id!r}")
        return stored

    def _duplicate_of(self, alert: Alert) -> StoredAlert | None:
        """The earliest stored alert on the same subject whose window touches this one."""
        rows = self._database.query(
            f"SELECT {_COLUMNS} FROM surveillance_alerts "
            "WHERE pattern = ? AND instrument = ? AND accounts = ? "
            f"ORDER BY window_start, id{self._for_update}",
            (alert.pattern, alert.instrument, _json(alert.accounts)),
        )
        for row in rows:
            stored = _stored(row)
            if windows_touch(stored.alert, alert):
                return stored
        return None

    def _audit(
        self,
        stored: StoredAlert,
        now: int,
        actor: str,
        action: str,
        from_status: str,
        comment: str,
    ) -> AuditEntry:
        entry = AuditEntry(
            alert_id=stored.alert.id,
            revision=stored.revision,
            ts=now,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=stored.status,
            assignee=stored.assignee,
            disposition=stored.disposition,
            comment=comment,
        )
        self._database.execute(
            f"INSERT INTO surveillance_alert_audit ({_AUDIT_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                entry.alert_id,
                entry.revision,
                entry.ts,
                entry.actor,
                str(entry.action),
                entry.from_status,
                str(entry.to_status),
                entry.assignee,
                _text(entry.disposition),
                entry.comment,
            ),
        )
        return entry

    def _notify(self, changes: list[tuple[StoredAlert, AuditEntry]]) -> None:
        """A failing subscriber must not undo a committed change nor starve the others."""
        for stored, entry in changes:
            for listener in list(self._listeners):
                try:
                    listener(stored, entry)
                except Exception:
                    log.exception("alert subscriber failed on %s", stored.alert.id)


def _conditions(where: AlertFilter) -> tuple[list[str], list]:
    clauses: list[str] = ["score >= ?", "score <= ?"]
    params: list = [where.min_score, where.max_score]
    if where.statuses:
        clauses.append(f"status IN ({', '.join('?' * len(where.statuses))})")
        params.extend(str(status) for status in where.statuses)
    for column in ("pattern", "instrument", "assignee"):
        value = getattr(where, column)
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if where.account:
        clauses.append("id IN (SELECT alert_id FROM surveillance_alert_accounts WHERE account = ?)")
        params.append(where.account)
    if where.since is not None:
        clauses.append("window_end >= ?")
        params.append(where.since)
    if where.until is not None:
        clauses.append("window_start <= ?")
        params.append(where.until)
    return clauses, params


def _merged(alert: Alert, kept: Alert, merged: Alert) -> str:
    what = "a later sighting" if alert.id == kept.id else f"duplicate {alert.id}"
    return (
        f"merged {what}: score {kept.score} -> {merged.score}, "
        f"{len(merged.order_ids)} orders, {len(merged.trade_ids)} trades; {merged.reason}"
    )


def _text(value: StrEnum | None) -> str:
    """An enum's value as text: psycopg would send an Enum's name."""
    return "" if value is None else str(value)


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode()


def _alert_values(alert: Alert) -> tuple:
    """What a merge may change, in the order of `_ALERT_FIELDS`."""
    return (
        alert.score,
        alert.window_start,
        alert.window_end,
        _json(alert.evidence),
        _json(alert.order_ids),
        _json(alert.trade_ids),
        alert.reason,
    )


def _stored(row: tuple) -> StoredAlert:
    decode = msgspec.json.decode
    alert = Alert(
        id=row[0],
        pattern=row[1],
        instrument=row[2],
        accounts=tuple(decode(row[3])),
        control_group=row[4],
        score=row[5],
        window_start=row[6],
        window_end=row[7],
        evidence=decode(row[8]),
        order_ids=tuple(decode(row[9])),
        trade_ids=tuple(decode(row[10])),
        reason=row[11],
    )
    return StoredAlert(
        alert=alert,
        status=Status(row[12]),
        assignee=row[13],
        disposition=Disposition(row[14]) if row[14] else None,
        revision=row[15],
        raised_ts=row[16],
        updated_ts=row[17],
    )


def _entry(row: tuple) -> AuditEntry:
    return AuditEntry(
        alert_id=row[0],
        revision=row[1],
        ts=row[2],
        actor=row[3],
        action=row[4],
        from_status=row[5],
        to_status=Status(row[6]),
        assignee=row[7],
        disposition=Disposition(row[8]) if row[8] else None,
        comment=row[9],
    )
