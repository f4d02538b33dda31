"""The registry ledger: the durable system of record for cash and tonnes.

`Ledger.book(events)` applies a batch of the sequencer's events in ONE transaction that
also stores the last sequence number applied, so a redelivered event (seq at or below the
stored one) books nothing, and a crash before the commit books nothing at all. The new
events must continue the stored seq without a gap (see SequenceError). The cursor
row is locked first, so two writers never book the same batch. What each event books is
booking.py's business; this module reads and writes the database (database.py).
"""

from collections.abc import Sequence

import msgspec

from engine.events import (
    AccountOpened,
    BidAllotted,
    CashMoved,
    ControlGroupSet,
    Event,
    HoldingMoved,
    Trade,
)
from engine.reference import ReferenceData
from settlement.booking import Booking, Key, SettlementFailure
from settlement.database import Database, open_database
from settlement.lots import REVERSAL_PREFIX, SURRENDERED, LotRow, Lots

_CHUNK = 500  # values per IN (...) list: well under SQLite's parameter limit
_MARKS = ", ".join("?" * _CHUNK)


class SequenceError(ValueError):
    """A batch that does not continue the sequence exactly: the sequencer numbers its
    events without gaps and settlement reads them all, so a gap is a lost event (booking
    past it would silently lose a trade) and a step back is a stream delivering out of
    order. The batch is refused whole, loudly."""


class AccountRecord(msgspec.Struct, frozen=True):
    account: str
    member: str
    kind: int
    control_group: str
    allocation: int
    opened_seq: int
    opened_ts: int
    opened_by: str


class AuditEntry(msgspec.Struct, frozen=True):
    seq: int
    ts: int
    kind: str
    account: str
    instrument: str
    amount: int
    reference: str
    actor: str
    detail: str


class TradeRecord(msgspec.Struct, frozen=True):
    trade_id: int
    seq: int
    ts: int
    instrument: str
    price: int
    quantity: int
    buy_account: str
    sell_account: str
    fee: int  # per side


class Ledger:
    def __init__(self, database: Database, reference: ReferenceData, consumer: str = "settlement"):
        self.database = database
        self.reference = reference
        self.consumer = consumer
        self.database.execute(
            "INSERT INTO consumer_cursor (consumer, last_seq) VALUES (?, 0) "
            "ON CONFLICT (consumer) DO NOTHING",
            (consumer,),
        )
        self._lock_cursor = "SELECT last_seq FROM consumer_cursor WHERE consumer = ?" + (
            " FOR UPDATE" if database.dialect == "postgresql" else ""
        )

    @classmethod
    def open(cls, url: str, reference: ReferenceData) -> "Ledger":
        return cls(open_database(url), reference)

    def close(self) -> None:
        self.database.close()

    # -- booking -------------------------------------------------------------------------

    def book(self, events: Sequence[Event]) -> list[SettlementFailure]:
        """Books the events not yet applied, all in one transaction; returns the failures
        (also stored) so the caller can raise them to supervisors."""
        database = self.database
        with database.transaction():
            ((last,),) = database.query(self._lock_cursor, (self.consumer,))
            fresh = [event for event in events if event.seq > last]
            if not fresh:
                return []
            expected = last + 1
            for event in fresh:
                if event.seq != expected:
                    raise SequenceError(
                        f"event seq {event.seq} where {expected} was due: events lost or out "
                        "of order; nothing of this batch was booked"
                    )
                expected += 1
            booking = self._booking_for(fresh)
            for event in fresh:
                booking.book(event)
            self._write(booking)
            database.execute(
                "UPDATE consumer_cursor SET last_seq = ? WHERE consumer = ?",
                (fresh[-1].seq, self.consumer),
            )
        return booking.failures

    def _booking_for(self, events: list[Event]) -> Booking:
        """A Booking pre-loaded with every balance, account and reference the batch names."""
        owners: set[str] = set()
        references: set[str] = set()
        reversed_surrenders: set[str] = set()
        for event in events:
            kind = type(event)
            if kind is Trade:
                owners.add(event.buy_account)
                owners.add(event.sell_account)
            elif kind is CashMoved or kind is HoldingMoved:
                owners.add(event.account)
                references.add(event.reference)
                if event.reference.startswith(REVERSAL_PREFIX):
                    reversed_surrenders.add(event.reference.removeprefix(REVERSAL_PREFIX))
            elif kind is AccountOpened or kind is ControlGroupSet:
                owners.add(event.account)
            elif kind is BidAllotted:
                owners.add(event.account)
                owners.add(event.seller)
        # System owners ('@...') by an index range scan, then the batch's accounts.
        rows = self.database.query(
            "SELECT owner, asset, state, amount FROM balances WHERE owner >= '@' AND owner < 'A'"
        )
        rows += self._select_in(
            "SELECT owner, asset, state, amount FROM balances WHERE owner IN", owners
        )
        balances: dict[Key, int] = {(row[0], row[1], row[2]): row[3] for row in rows}
        accounts = {
            row[0]
            for row in self._select_in("SELECT account FROM accounts WHERE account IN", owners)
        }
        used = {
            row[0]
            for row in self._select_in(
                "SELECT reference FROM movement_references WHERE reference IN", references
            )
        }
        lots = self._select_in(f"{_LOT_SELECT} WHERE quantity <> 0 AND owner IN", owners)
        if reversed_surrenders:
            lots += self._select_in(
                f"{_LOT_SELECT} WHERE owner = '{SURRENDERED}' AND tag IN", reversed_surrenders
            )
        return Booking(self.reference, balances, accounts, used, Lots(lots))

    def _select_in(self, sql: str, values: set[str]) -> list[tuple]:
        values = sorted(values) or [""]
        rows: list[tuple] = []
        for start in range(0, len(values), _CHUNK):
            chunk = values[start : start + _CHUNK]
            # Padded to a fixed length, so the statement text repeats and stays prepared.
            chunk += chunk[-1:] * (_CHUNK - len(chunk))
            rows.extend(self.database.query(f"{sql} ({_MARKS})", chunk))
        return rows

    def _write(self, booking: Booking) -> None:
        database = self.database
        database.insert_rows("postings", "seq, owner, asset, state, amount, kind", booking.postings)
        database.insert_rows(
            "trades",
            "trade_id, seq, ts, instrument, price, quantity, buy_account, sell_account, fee",
            booking.trades,
        )
        database.insert_rows(
            "accounts",
            "account, member, kind, control_group, allocation, opened_seq, opened_ts, opened_by",
            booking.new_accounts,
        )
        database.insert_rows(
            "entries",
            "seq, ts, kind, account, instrument, amount, reference, actor, detail",
            booking.entries,
        )
        database.insert_rows("movement_references", "reference, seq", booking.references)
        database.insert_rows(
            "day_closes", "seq, trading_date, instrument, close_price", booking.day_closes
        )
        database.insert_rows(
            "settlement_failures",
            "seq, ts, event, trade_id, account, instrument, quantity, amount, reason",
            [tuple(msgspec.structs.astuple(failure)) for failure in booking.failures],
        )
        if booking.control_groups:
            database.executemany(
                "UPDATE accounts SET control_group = ? WHERE account = ?", booking.control_groups
            )
        database.upsert_rows(
            "lots",
            "owner, instrument, state, tag, acquired_seq, source, quantity",
            "owner, instrument, state, tag, acquired_seq, source",
            booking.lots.rows(),
        )
        balances = booking.balances
        touched = {(row[1], row[2], row[3]) for row in booking.postings}
        database.upsert_rows(
            "balances",
            "owner, asset, state, amount",
            "owner, asset, state",
            [(*key, balances[key]) for key in sorted(touched)],
        )

    # -- reading -------------------------------------------------------------------------

    def last_seq(self) -> int:
        ((last,),) = self.database.query(
            "SELECT last_seq FROM consumer_cursor WHERE consumer = ?", (self.consumer,)
        )
        return last

    def balance(self, owner: str, asset: str, state: str) -> int:
        rows = self.database.query(
            "SELECT amount FROM balances WHERE owner = ? AND asset = ? AND state = ?",
            (owner, asset, state),
        )
        return rows[0][0] if rows else 0

    def balances(self, owner: str) -> dict[tuple[str, str], int]:
        """(asset, state) -> amount for one owner, zero balances left out."""
        rows = self.database.query(
            "SELECT asset, state, amount FROM balances WHERE owner = ? AND amount <> 0 "
            "ORDER BY asset, state",
            (owner,),
        )
        return {(asset, state): amount for asset, state, amount in rows}

    def all_balances(self) -> dict[Key, int]:
        rows = self.database.query(
            "SELECT owner, asset, state, amount FROM balances WHERE amount <> 0 "
            "ORDER BY owner, asset, state"
        )
        return {(owner, asset, state): amount for owner, asset, state, amount in rows}

    def lots(self, owner: str) -> list[LotRow]:
        """The owner's lots, (owner, instrument, state, tag, acquired seq, source, quantity),
        in the consumption order per instrument and state."""
        return self.database.query(
            f"{_LOT_SELECT} WHERE owner = ? AND quantity <> 0 "
            "ORDER BY instrument, state, acquired_seq, source",
            (owner,),
        )

    def account(self, account: str) -> AccountRecord | None:
        rows = self.database.query(f"{_ACCOUNT_SELECT} WHERE account = ?", (account,))
        return AccountRecord(*rows[0]) if rows else None

    def accounts(self) -> list[AccountRecord]:
        return [
            AccountRecord(*row)
            for row in self.database.query(f"{_ACCOUNT_SELECT} ORDER BY account")
        ]

    def control_group(self, control_group: str) -> list[str]:
        rows = self.database.query(
            "SELECT account FROM accounts WHERE control_group = ? ORDER BY account",
            (control_group,),
        )
        return [row[0] for row in rows]

    def reference_used(self, reference: str) -> bool:
        return bool(
            self.database.query(
                "SELECT 1 FROM movement_references WHERE reference = ?", (reference,)
            )
        )

    def failures(self, after_seq: int = 0) -> list[SettlementFailure]:
        rows = self.database.query(
            "SELECT seq, ts, event, trade_id, account, instrument, quantity, amount, reason "
            "FROM settlement_failures WHERE seq > ? ORDER BY seq",
            (after_seq,),
        )
        return [SettlementFailure(*row) for row in rows]

    def audit(self, account: str | None = None) -> list[AuditEntry]:
        """Who did what to which account and when, oldest first."""
        sql = (
            "SELECT seq, ts, kind, account, instrument, amount, reference, actor, detail "
            "FROM entries"
        )
        if account is None:
            rows = self.database.query(sql + " ORDER BY seq")
        else:
            rows = self.database.query(sql + " WHERE account = ? ORDER BY seq", (account,))
        return [AuditEntry(*row) for row in rows]

    def trades(self, account: str, after_seq: int, upto_seq: int) -> list[TradeRecord]:
        """The account's trades (as buyer or seller) with after_seq < seq <= upto_seq."""
        rows = self.database.query(
            f"{_TRADE_SELECT} WHERE (buy_account = ? OR sell_account = ?) AND seq > ? AND seq <= ? "
            "ORDER BY seq",
            (account, account, after_seq, upto_seq),
        )
        return [TradeRecord(*row) for row in rows]

    def trades_after(self, after_seq: int) -> list[TradeRecord]:
        rows = self.database.query(f"{_TRADE_SELECT} WHERE seq > ? ORDER BY seq", (after_seq,))
        return [TradeRecord(*row) for row in rows]

    def postings(
        self, owner: str, after_seq: int, upto_seq: int
    ) -> list[tuple[int, str, str, int, str]]:
        """(seq, asset, state, amount, kind) of one owner's legs in (after_seq, upto_seq]."""
        return self.database.query(
            "SELECT seq, asset, state, amount, kind FROM postings "
            "WHERE owner = ? AND seq > ? AND seq <= ? ORDER BY seq, asset, state",
            (owner, after_seq, upto_seq),
        )

    def close_seq(self, trading_date: str) -> int | None:
        """The seq that closed `trading_date` (its last DayClosed), None if not closed."""
        ((seq,),) = self.database.query(
            "SELECT MAX(seq) FROM day_closes WHERE trading_date = ?", (trading_date,)
        )
        return seq

    def previous_close_seq(self, trading_date: str) -> int:
        """The seq that closed the trading day before `trading_date` (0 before any)."""
        ((seq,),) = self.database.query(
            "SELECT MAX(seq) FROM day_closes WHERE trading_date < ?", (trading_date,)
        )
        return seq or 0

    def last_close_seq(self) -> int:
        ((seq,),) = self.database.query("SELECT MAX(seq) FROM day_closes")
        return seq or 0

    def verify(self) -> list[str]:
        """Every way the registry could disagree with itself, as sentences (empty = sound):
        an asset whose balances do not sum to zero, a balance that is not the sum of its
        postings, an event whose legs do not balance, a member balance below zero, a member's tonnes
        whose acquisition lots do not add up to the balance."""
        problems = []
        for asset, total in self.database.query(
            "SELECT asset, SUM(amount) FROM balances GROUP BY asset HAVING SUM(amount) <> 0"
        ):
            problems.append(f"{asset}: balances sum to {total}, not 0 (not conserved)")
        for owner, asset, state, balance, posted in self.database.query(
            "SELECT b.owner, b.asset, b.state, b.amount, COALESCE(p.total, 0) FROM balances b "
            "LEFT JOIN (SELECT owner, asset, state, SUM(amount) AS total FROM postings "
            "GROUP BY owner, asset, state) p "
            "ON p.owner = b.owner AND p.asset = b.asset AND p.state = b.state "
            "WHERE b.amount <> COALESCE(p.total, 0)"
        ):
            problems.append(
                f"{owner} {asset} {state}: balance {balance} but postings sum to {posted}"
            )
        for seq, asset, total in self.database.query(
            "SELECT seq, asset, SUM(amount) FROM postings GROUP BY seq, asset "
            "HAVING SUM(amount) <> 0"
        ):
            problems.append(f"seq {seq} {asset}: legs sum to {total}, not 0")
        for owner, asset, state, amount in self.database.query(
            "SELECT owner, asset, state, amount FROM balances "
            "WHERE amount < 0 AND owner NOT LIKE '@%'"
        ):
            problems.append(f"{owner} {asset} {state}: negative balance {amount}")
        for owner, asset, state, balance, lots in self.database.query(
            "SELECT b.owner, b.asset, b.state, b.amount, COALESCE(l.total, 0) FROM balances b "
            "LEFT JOIN (SELECT owner, instrument, state, SUM(quantity) AS total FROM lots "
            "GROUP BY owner, instrument, state) l "
            "ON l.owner = b.owner AND l.instrument = b.asset AND l.state = b.state "
            "WHERE b.owner NOT LIKE '@%' AND b.asset <> 'CNY' AND b.amount <> COALESCE(l.total, 0)"
        ):
            problems.append(f"{owner} {asset} {state}: balance {balance} but lots sum to {lots}")
        return problems

    def totals_at(self, upto_seq: int) -> dict[str, tuple[int, int]]:
        """Per asset, (what members hold, what system owners hold) after `upto_seq`: the
        two must cancel out, or the asset was created or destroyed somewhere."""
        rows = self.database.query(
            "SELECT asset, SUM(CASE WHEN owner LIKE '@%' THEN 0 ELSE amount END), "
            "SUM(CASE WHEN owner LIKE '@%' THEN amount ELSE 0 END) "
            "FROM postings WHERE seq <= ? GROUP BY asset ORDER BY asset",
            (upto_seq,),
        )
        return {asset: (members, system) for asset, members, system in rows}


_ACCOUNT_SELECT = (
    "SELECT account, member, kind, control_group, allocation, opened_seq, opened_ts, opened_by "
    "FROM accounts"
)
_LOT_SELECT = "SELECT owner, instrument, state, tag, acquired_seq, source, quantity FROM lots"
_TRADE_SELECT = (
    "SELECT trade_id, seq, ts, instrument, price, quantity, buy_account, sell_account, fee "
    "FROM trades"
)
