"""The registry ledger on SQLite and on a real PostgreSQL: DvP, exactly-once, failures."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from settlement_builders import INSTRUMENT, TS, EventLog, with_fees

import settlement.database
from engine.events import CommandRejected
from engine.orders import AccountKind, CashMovementKind, HoldingMovementKind
from engine.reference import ReferenceData
from settlement.database import MIGRATIONS, migrate, migrations, open_database, schema_version
from settlement.ledger import Ledger, SequenceError

CASH = ("CNY", "cash")
TONNES = (INSTRUMENT, "available")


@pytest.fixture
def log() -> EventLog:
    return EventLog()


def funded(ledger: Ledger, log: EventLog) -> None:
    """BUYER with 1,000,000.00 CNY, SELLER with 1,000 t."""
    assert (
        ledger.book(
            [
                log.open("BUYER"),
                log.open("SELLER"),
                log.cash("BUYER", 1_000_000_00),
                log.holding("SELLER", 1_000),
            ]
        )
        == []
    )


def test_a_trade_books_delivery_versus_payment(ledger: Ledger, log: EventLog):
    funded(ledger, log)
    assert ledger.book([log.trade("BUYER", "SELLER", 100, 5000)]) == []
    assert ledger.balances("BUYER") == {CASH: 1_000_000_00 - 500_000, TONNES: 100}
    assert ledger.balances("SELLER") == {CASH: 500_000, TONNES: 900}
    assert ledger.verify() == []


def test_fees_go_to_the_exchange_exactly(database_url, reference: ReferenceData, log):
    ledger = Ledger.open(database_url, with_fees(reference, 25))
    try:
        funded(ledger, log)
        ledger.book([log.trade("BUYER", "SELLER", 7, 4999)])
        fee = 7 * 4999 * 25 // 10_000
        assert ledger.balance("@fees", "CNY", "cash") == 2 * fee
        assert ledger.balance("BUYER", "CNY", "cash") == 1_000_000_00 - 7 * 4999 - fee
        assert ledger.balance("SELLER", "CNY", "cash") == 7 * 4999 - fee
        assert ledger.verify() == []
    finally:
        ledger.close()


def test_a_redelivered_batch_books_nothing(ledger: Ledger, log: EventLog):
    funded(ledger, log)
    batch = [log.trade("BUYER", "SELLER", 10, 5000), log.trade("BUYER", "SELLER", 5, 5001)]
    ledger.book(batch)
    before = ledger.all_balances()
    assert ledger.book(batch) == []
    assert ledger.book(batch[1:]) == []
    assert ledger.all_balances() == before
    assert ledger.last_seq() == batch[-1].seq


def test_an_overlapping_batch_books_only_the_new_events(ledger: Ledger, log: EventLog):
    funded(ledger, log)
    first = log.trade("BUYER", "SELLER", 10, 5000)
    second = log.trade("BUYER", "SELLER", 20, 5000)
    ledger.book([first])
    ledger.book([first, second])
    assert ledger.balance("BUYER", *TONNES) == 30


def test_a_batch_out_of_order_or_with_a_gap_is_refused_whole(ledger: Ledger, log: EventLog):
    funded(ledger, log)
    first = log.trade("BUYER", "SELLER", 10, 5000)
    second = log.trade("BUYER", "SELLER", 20, 5000)
    third = log.trade("BUYER", "SELLER", 30, 5000)
    before = ledger.all_balances()
    with pytest.raises(SequenceError, match="seq 6 where 5 was due"):
        ledger.book([second, first])
    with pytest.raises(SequenceError, match="seq 7 where 6 was due"):
        ledger.book([first, third])  # seq 6 lost on the way
    assert ledger.all_balances() == before
    assert ledger.last_seq() == 4
    ledger.book([first, second, third])
    assert ledger.balance("BUYER", *TONNES) == 60


def test_a_trade_the_seller_cannot_deliver_fails_and_books_nothing(ledger, log):
    funded(ledger, log)
    pledge = log.holding("SELLER", 950, HoldingMovementKind.PLEDGE)
    trade = log.trade("BUYER", "SELLER", 100, 5000)
    failures = ledger.book([pledge, trade])
    assert [(f.seq, f.event, f.trade_id, f.account) for f in failures] == [
        (trade.seq, "trade", trade.trade_id, "SELLER")
    ]
    assert "seller" in failures[0].reason
    assert ledger.failures() == failures
    assert ledger.balances("BUYER") == {CASH: 1_000_000_00}
    assert ledger.balances("SELLER") == {TONNES: 50, (INSTRUMENT, "pledged"): 950}
    assert ledger.last_seq() == trade.seq  # consumed: it is a failure record, not a retry
    assert ledger.verify() == []


def test_a_trade_the_buyer_cannot_pay_fails(ledger: Ledger, log: EventLog):
    funded(ledger, log)
    failures = ledger.book([log.trade("BUYER", "SELLER", 1_000, 1_000_01)])
    assert len(failures) == 1 and "buyer" in failures[0].reason
    assert ledger.balance("SELLER", *TONNES) == 1_000


def test_unknown_accounts_and_instruments_fail(ledger: Ledger, log: EventLog):
    funded(ledger, log)
    failures = ledger.book(
        [
            log.trade("BUYER", "GHOST", 1, 5000),
            log.trade("BUYER", "SELLER", 1, 5000, instrument="NOPE"),
            log.cash("GHOST", 100),
            log.holding("SELLER", 1, instrument="NOPE"),
        ]
    )
    assert [f.reason for f in failures] == [
        "unknown account",
        "unknown instrument",
        "unknown account",
        "unknown instrument",
    ]
    assert ledger.balances("BUYER") == {CASH: 1_000_000_00}


def test_a_second_movement_with_the_same_reference_fails(ledger: Ledger, log: EventLog):
    funded(ledger, log)
    failures = ledger.book(
        [
            log.holding("SELLER", 500, ref="ALLOC-2025-1"),
            log.holding("SELLER", 500, ref="ALLOC-2025-1"),
        ]
    )
    assert len(failures) == 1 and "ALLOC-2025-1" in failures[0].reason
    assert ledger.balance("SELLER", *TONNES) == 1_500
    assert ledger.reference_used("ALLOC-2025-1")


def test_a_withdrawal_beyond_the_cash_fails(ledger: Ledger, log: EventLog):
    funded(ledger, log)
    failures = ledger.book([log.cash("BUYER", 1_000_000_01, CashMovementKind.WITHDRAW)])
    assert len(failures) == 1
    ledger.book([log.cash("BUYER", 400_000_00, CashMovementKind.WITHDRAW)])
    assert ledger.balance("BUYER", "CNY", "cash") == 600_000_00
    assert ledger.balance("@bank", "CNY", "cash") == -600_000_00


def test_registry_operations_move_tonnes_between_states_and_out(ledger: Ledger, log: EventLog):
    funded(ledger, log)
    ledger.book(
        [
            log.holding("SELLER", 300, HoldingMovementKind.FREEZE),
            log.holding("SELLER", 100, HoldingMovementKind.UNFREEZE),
            log.holding("SELLER", 50, HoldingMovementKind.SURRENDER),
            log.holding("SELLER", 25, HoldingMovementKind.CANCEL),
            log.holding("SELLER", 10, HoldingMovementKind.TRANSFER_OUT),
            log.holding("SELLER", 5, HoldingMovementKind.TRANSFER_IN),
        ]
    )
    assert ledger.balances("SELLER") == {TONNES: 720, (INSTRUMENT, "frozen"): 200}
    assert ledger.balance("@surrendered", *TONNES) == 50
    assert ledger.balance("@cancelled", *TONNES) == 25
    assert ledger.balance("@outside", *TONNES) == 5
    assert ledger.verify() == []
    failures = ledger.book([log.holding("SELLER", 721, HoldingMovementKind.TRANSFER_OUT)])
    assert len(failures) == 1 and "available" in failures[0].reason


def test_accounts_control_groups_and_the_audit_trail(ledger: Ledger, log: EventLog):
    events = [
        log.open("CO1", AccountKind.COMPLIANCE, allocation=50_000, group="OWNER"),
        log.open("CO2", AccountKind.COMPLIANCE, allocation=10_000),
        log.group("CO2", "OWNER"),
    ]
    log.seq += 1
    events.append(CommandRejected(log.seq, TS, "$", "CO1", "R1", "clerk", 22, "not withdrawable"))
    ledger.book(events)
    assert ledger.account("CO1").allocation == 50_000
    assert ledger.control_group("OWNER") == ["CO1", "CO2"]
    audit = ledger.audit("CO2")
    assert [(a.kind, a.actor) for a in audit] == [("open_account", "ops"), ("control_group", "ops")]
    assert audit[0].ts == TS + 2
    assert ledger.audit("CO1")[-1].kind == "rejected:$"
    twice, reserved = ledger.book([log.open("CO1"), log.open("@fees")])
    assert twice.reason == "account already exists"
    assert reserved.reason == "account ids may not be empty or start with '@'"
    assert ledger.account("@fees") is None


def test_the_schema_is_versioned_and_migrations_apply_once(database_url, reference):
    ledger = Ledger.open(database_url, reference)
    latest = migrations()[-1][0]
    assert schema_version(ledger.database) == latest
    ledger.close()
    again = open_database(database_url)  # re-opening must not re-apply (it would fail)
    assert schema_version(again) == latest
    again.close()


def test_sqlite_urls_open_a_wal_database(tmp_path, reference):
    database = open_database(f"sqlite:///{tmp_path}/registry.db")
    try:
        assert database.query("PRAGMA journal_mode") == [("wal",)]
        assert (tmp_path / "registry.db").exists()
    finally:
        database.close()


def test_a_newer_migration_applies_on_top_of_a_live_registry(
    database_url, reference, monkeypatch, tmp_path
):
    ledger = Ledger.open(database_url, reference)
    log = EventLog()
    ledger.book([log.open("A"), log.cash("A", 100)])
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in MIGRATIONS.glob("*.sql"):
        (folder / path.name).write_text(path.read_text())
    (folder / "900_notes.sql").write_text(
        "-- a later schema change\n"
        "CREATE TABLE notes (seq BIGINT PRIMARY KEY, text TEXT NOT NULL);\n"
        "INSERT INTO notes (seq, text) VALUES (1, 'added by 900');"
    )
    monkeypatch.setattr(settlement.database, "MIGRATIONS", folder)
    assert migrate(ledger.database) == 900
    assert migrate(ledger.database) == 900  # applied once
    assert ledger.database.query("SELECT text FROM notes") == [("added by 900",)]
    assert ledger.balance("A", "CNY", "cash") == 100
    ledger.close()


def test_processes_opening_a_fresh_registry_at_once_migrate_it_once(database_url):
    def open_and_read(_: int) -> tuple[int, int]:
        database = open_database(database_url)
        try:
            ((applied,),) = database.query("SELECT COUNT(*) FROM schema_migrations")
            return schema_version(database), applied
        finally:
            database.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        seen = set(pool.map(open_and_read, range(4)))
    assert seen == {(migrations()[-1][0], len(migrations()))}
