"""Each public report against a hand-built registry (SQLite and PostgreSQL), the
suppression of small categories, the publication schedule across holidays, and the
publication history with corrections."""

import datetime as dt

import pytest

from engine.orders import AccountKind, HoldingMovementKind
from engine.reference import load_reference_data
from gateway.disclosure.desk import DisclosureDesk
from gateway.disclosure.publications import Publications
from gateway.disclosure.registry_source import RegistrySource
from gateway.disclosure.report import Closing, ReportTable
from gateway.disclosure.reports import reports
from gateway.disclosure.reports.weekly_holdings import SUPPRESSED
from gateway.disclosure.schedule import DAILY, WEEKLY, due
from settlement.ledger import Ledger
from surveillance.market_data.bulletin import daily_bulletin
from surveillance.market_data.registry_bulletins import RegistryBulletins
from tests.settlement.settlement_builders import EventLog

REFERENCE = load_reference_data()
COVERED = AccountKind.COMPLIANCE


@pytest.fixture
def source(database_url: str):
    ledger = Ledger.open(database_url, REFERENCE)
    RegistryBulletins(ledger.database)  # creates the bulletins' table
    yield RegistrySource(ledger, Publications(ledger.database))
    ledger.close()


def cells(table: ReportTable) -> list:
    return [cell for row in table.rows for cell in row]


def registry(source: RegistrySource) -> tuple[EventLog, int]:
    """Six covered entities and three investors hold TJEA25; five covered entities hold
    TJEA24. Returns the log and the seq of the day's close."""
    log = EventLog()
    events = []
    for number in range(6):
        events.append(log.open(f"E{number}", COVERED, allocation=100_000))
        events.append(log.holding(f"E{number}", 10_000 * (number + 1)))
        if number < 5:
            events.append(log.holding(f"E{number}", 1_000, instrument="TJEA24"))
    for number, held in enumerate((600_001, 400_000, 1)):
        events.append(log.open(f"I{number}"))
        events.append(log.holding(f"I{number}", held))
    events.append(log.holding("E5", 700_000))  # E5 now holds 760,000 > 100,000 + 500,000
    events.append(log.holding("E4", 500, kind=HoldingMovementKind.PLEDGE))  # still held
    events.append(log.close("2026-11-27", "TJEA24"))
    events.append(log.close("2026-11-27", "TJEA25"))
    assert source.ledger.book(events) == []
    return log, log.seq


def test_weekly_holdings_suppress_a_category_of_fewer_than_five_holders(source) -> None:
    _, seq = registry(source)
    report = reports(REFERENCE)["weekly-holdings"]
    table = report.build(source, Closing("2026-11-27", seq, 1))
    rows = {(row[0], row[1]): row[2:] for row in table.rows}
    # TJEA25: 6 covered entities shown, 3 investors suppressed, so no shares at all
    assert rows[("TJEA25", "covered_entities")] == [6, 210_000 + 700_000, None, None]
    assert rows[("TJEA25", "investors")] == [SUPPRESSED, None, None, None]
    # TJEA24: 5 covered entities, no investors: nothing to hide, shares shown
    assert rows[("TJEA24", "covered_entities")] == [5, 5_000, "100.00", None]
    assert rows[("TJEA24", "investors")] == [0, 0, "0.00", None]
    assert 600_001 not in cells(table) and 400_000 not in cells(table)


def test_weekly_holdings_change_on_the_last_report_and_holdings_as_of_the_close(source) -> None:
    log, seq = registry(source)
    report = reports(REFERENCE)["weekly-holdings"]
    first = report.build(source, Closing("2026-11-27", seq, 1))
    assert source.publications.publish(report.name, "2026-11-27", seq, 1, first)
    booked = [log.holding("E0", 2_000, instrument="TJEA24")]
    assert source.ledger.book(booked) == []
    # built again as of the same close, the later movement is not in it
    assert report.build(source, Closing("2026-11-27", seq, 1)).rows == first.rows
    later = report.build(source, Closing("2026-12-04", log.seq, 2))
    rows = {(row[0], row[1]): row[2:] for row in later.rows}
    assert rows[("TJEA24", "covered_entities")] == [5, 7_000, "100.00", 2_000]
    assert rows[("TJEA25", "investors")][-1] is None  # suppressed both weeks


def test_the_large_holder_list_names_holders_above_their_threshold_without_figures(source):
    _, seq = registry(source)
    table = reports(REFERENCE)["large-holders"].build(source, Closing("2026-11-27", seq, 1))
    assert table.rows == [
        ["TJEA25", "E5", "M1", "covered_entities", 600_000],
        ["TJEA25", "I0", "M1", "investors", 500_000],
    ]
    assert 760_000 not in cells(table) and 600_001 not in cells(table)


def test_the_daily_bulletin_carries_block_trades(source) -> None:
    log, seq = registry(source)
    bulletins = RegistryBulletins(source.ledger.database)
    closed = log.close("2026-11-27")
    bulletins.add(daily_bulletin(closed, 1, 4_900, 1_000, 5_000_000))
    table = reports(REFERENCE)["daily-bulletin"].build(source, Closing("2026-11-27", seq, 1))
    (row,) = table.rows
    record = dict(zip(table.columns, row, strict=True))
    assert record["instrument"] == "TJEA25" and record["close"] == "50.00"
    assert record["change"] == "1.00" and record["change_percent"] == "2.04"
    assert (record["block_volume_t"], record["block_turnover_cny"]) == (0, "0.00")


@pytest.mark.parametrize(
    ("day", "weekly"),
    [
        ("2026-11-27", True),  # a plain Friday
        ("2026-11-26", False),
        ("2026-09-24", True),  # Thursday: Friday 25 September is a holiday
        ("2026-09-30", True),  # Wednesday: the National Day holidays follow to 7 October
        ("2026-09-28", False),
        ("2026-10-08", False),  # Thursday after the holidays: Friday trades
        ("2026-10-09", True),
        ("2026-12-31", True),  # Thursday: 1 January 2027 is a holiday
    ],
)
def test_the_publication_schedule_across_holidays(day: str, weekly: bool) -> None:
    calendar = REFERENCE.calendar
    date = dt.date.fromisoformat(day)
    assert due(DAILY, date, calendar)
    assert due(WEEKLY, date, calendar) is weekly


def test_the_desk_makes_the_weekly_report_due_on_the_thursday_before_a_holiday() -> None:
    desk = DisclosureDesk(":memory:", REFERENCE)
    assert [r.name for r in desk.due_reports("2026-09-24")] == [
        "daily-bulletin",
        "weekly-holdings",
        "large-holders",
    ]
    assert "weekly-holdings" not in [r.name for r in desk.due_reports("2026-09-23")]


def test_a_week_without_a_friday_close_still_gets_one_weekly_report() -> None:
    """Over a whole year, exactly one weekly publication per ISO week that trades."""
    calendar = REFERENCE.calendar
    day, weeks, published = dt.date(2026, 1, 5), set(), []
    while day.year == 2026:
        if calendar.is_trading_day(day):
            weeks.add(day.isocalendar()[:2])
            if due(WEEKLY, day, calendar):
                published.append(day.isocalendar()[:2])
        day += dt.timedelta(days=1)
    assert sorted(published) == sorted(weeks)


def test_publications_keep_history_and_corrections(source) -> None:
    store = source.publications
    first = ReportTable(["a"], [[1]])
    assert store.publish("weekly-holdings", "2026-11-27", 10, 100, first)
    assert not store.publish("weekly-holdings", "2026-11-27", 10, 100, ReportTable(["a"], [[9]]))
    corrected = store.republish("weekly-holdings", "2026-11-27", 200, "SUP-1", "typo", first)
    assert (corrected.version, corrected.published_by, corrected.reason) == (2, "SUP-1", "typo")
    versions = store.versions("weekly-holdings", "2026-11-27")
    assert [(v.version, v.superseded_ts) for v in versions] == [(2, 0), (1, 200)]
    assert [p.version for p in store.periods("weekly-holdings")] == [2]
    assert store.periods("weekly-holdings", now=99) == []
    with pytest.raises(LookupError):
        store.republish("weekly-holdings", "2026-11-20", 300, "SUP-1", "x", first)


def test_every_report_has_a_unique_url_name_and_a_known_schedule() -> None:
    found = reports(REFERENCE)
    assert set(found) == {"daily-bulletin", "weekly-holdings", "large-holders"}
    assert {report.schedule for report in found.values()} <= {DAILY, WEEKLY}
