"""The daily bulletin's arithmetic and its history's exports."""

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.events import DayClosed
from surveillance.market_data import (
    BulletinHistory,
    DuplicateBulletin,
    bulletins_from_json,
    bulletins_to_csv,
    bulletins_to_json,
)
from surveillance.market_data.bulletin import change_percent, daily_bulletin


def closed(date: str, instrument: str, close: int, volume: int, turnover: int) -> DayClosed:
    return DayClosed(
        seq=1,
        ts=0,
        trading_date=date,
        instrument=instrument,
        open_price=close,
        high_price=close,
        low_price=close,
        close_price=close,
        carried_over=False,
        volume=volume,
        turnover=turnover,
        expired_orders=0,
        next_reference=close,
        next_band_low=close * 9 // 10,
        next_band_high=close * 11 // 10,
    )


@given(st.integers(-1_000_000, 1_000_000), st.integers(1, 1_000_000))
def test_change_percent_is_decimal_arithmetic_rounded_half_away_from_zero(change, base):
    exact = Decimal(change) * 100 / Decimal(base)
    magnitude = abs(exact).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert Decimal(change_percent(change, base)) == (-magnitude if change < 0 else magnitude)


def test_change_percent_examples():
    assert change_percent(125, 5000) == "2.50"
    assert change_percent(-125, 5125) == "-2.44"
    assert change_percent(1, 200_000) == "0.00"  # 0.0005 %
    assert change_percent(-1, 20_000) == "-0.01"  # -0.005 %: half away from zero


def test_no_previous_close_means_no_change():
    bulletin = daily_bulletin(closed("2026-11-24", "TJEA26", 5000, 1, 5000), 1, 0, 0, 0)
    assert (bulletin.previous_close, bulletin.change, bulletin.change_percent) == (None, None, None)
    assert bulletin.close == "50.00"


def _history() -> BulletinHistory:
    return BulletinHistory(
        [
            daily_bulletin(closed("2026-11-24", "TJEA25", 5100, 10, 51_000), 1, 5000, 0, 0),
            daily_bulletin(closed("2026-11-24", "CCER", 6000, 0, 0), 1, 6000, 5, 30_000),
            daily_bulletin(closed("2026-11-25", "TJEA25", 5050, 2, 10_100), 5, 5100, 10, 51_000),
        ]
    )


def test_history_filters_by_instrument_and_date_in_publication_order():
    history = _history()
    assert [b.trading_date for b in history.history("TJEA25")] == ["2026-11-24", "2026-11-25"]
    assert [b.instrument for b in history.history(trading_date="2026-11-24")] == [
        "TJEA25",
        "CCER",
    ]
    assert history.latest("TJEA25").cumulative_turnover == "611.00"
    assert history.latest("NOPE") is None


def test_json_export_round_trips():
    bulletins = _history().history()
    assert bulletins_from_json(bulletins_to_json(bulletins)) == bulletins


def test_csv_export_has_a_header_and_one_row_per_bulletin():
    rows = list(csv.DictReader(io.StringIO(bulletins_to_csv(_history().history()))))
    assert len(rows) == 3
    first = rows[0]
    assert (first["instrument"], first["trading_date"], first["close"]) == (
        "TJEA25",
        "2026-11-24",
        "51.00",
    )
    assert (first["change"], first["change_percent"], first["turnover"]) == (
        "1.00",
        "2.00",
        "510.00",
    )
    assert rows[1]["change"] == "0.00"
    assert rows[2]["cumulative_volume"] == "12"


def test_the_same_bulletin_again_is_a_replay_and_another_for_the_day_is_refused():
    history = _history()
    first = history.history()[0]
    history.add(first)
    assert history.history() == _history().history()
    other = msgspec.structs.replace(first, event_seq=first.event_seq + 1, close="52.00")
    with pytest.raises(DuplicateBulletin, match="TJEA25 on 2026-11-24"):
        history.add(other)
    assert history.history() == _history().history()


def test_latest_before_an_event_is_the_close_a_restart_continues_from():
    history = BulletinHistory()
    for seq, date in ((10, "2026-11-24"), (20, "2026-11-25")):
        day = msgspec.structs.replace(closed(date, "TJEA25", 5000, 1, 5000), seq=seq)
        history.add(daily_bulletin(day, 1, 5000, 0, 0))
    assert history.latest("TJEA25").trading_date == "2026-11-25"
    assert history.latest("TJEA25", before_event_seq=20).trading_date == "2026-11-24"
    assert history.latest("TJEA25", before_event_seq=10) is None
