"""Reference data: the shipped file loads, bands follow market-rules.md, bad values are named."""

import datetime as dt
import tomllib

import pytest

from engine.money import format_cny, parse_cny
from engine.reference import (
    DEFAULT_PATH,
    ReferenceDataError,
    load_reference_data,
    parse_reference_data,
    price_band,
)


def shipped() -> dict:
    return tomllib.loads(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_shipped_file_lists_the_tianjin_instruments():
    reference = load_reference_data()
    assert {"TJEA24", "TJEA25", "TJCER", "CCER"} <= set(reference.instruments)
    tjea25 = reference.instruments["TJEA25"]
    assert (tjea25.tick, tjea25.lot, tjea25.max_order_quantity) == (1, 1, 99_999)
    assert (tjea25.band_bps, tjea25.block_band_bps, tjea25.t_plus_one) == (1000, 3000, True)
    assert tjea25.reference_price == 5000
    assert reference.instruments["CCER"].kind == "offset"


@pytest.mark.parametrize(
    ("reference_price", "tick", "band"),
    [
        (5000, 1, (4500, 5500)),
        (4855, 1, (4370, 5340)),  # 4369.5 rounds up, 5340.5 rounds down
        (4855, 5, (4370, 5340)),
        (4856, 5, (4375, 5340)),  # 4370.4 -> ceil to 4371 -> next tick 4375
    ],
)
def test_band_rounds_inwards_to_the_tick(reference_price, tick, band):
    assert price_band(reference_price, 1000, tick) == band


def test_sessions_are_beijing_time_on_trading_days_only():
    calendar = load_reference_data().calendar
    tuesday = dt.date(2026, 11, 24)
    windows = calendar.session_windows(tuesday)
    starts = [dt.datetime.fromtimestamp(s / 1e9, dt.UTC).strftime("%H:%M") for s, _ in windows]
    assert starts == ["01:30", "05:00"]  # 09:30 and 13:00 at UTC+8
    assert calendar.session_windows(dt.date(2026, 11, 28)) == ()  # Saturday
    assert calendar.session_windows(dt.date(2026, 10, 1)) == ()  # National Day
    assert calendar.next_trading_day(dt.date(2026, 9, 30)) == dt.date(2026, 10, 8)


@pytest.mark.parametrize(
    ("section", "key", "value", "field", "reason"),
    [
        ("market", "timezone", "Mars/Olympus", "market.timezone", "not a known time zone"),
        ("market", "commission_bps", -1, "market.commission_bps", "below the minimum"),
        ("market", "self_trade_prevention", "ignore", "market.self_trade_prevention", "one of"),
        ("market", "sessions", [["15:00", "13:00"]], "market.sessions", "ends before it starts"),
        ("market", "holidays", ["2026-13-01"], "market.holidays", "not a date"),
        ("instrument_defaults", "tick", "0.001", "instruments.TJEA24.tick", "two decimals"),
        ("instrument_defaults", "lot", 0, "instruments.TJEA24.lot", "below the minimum"),
        ("instrument_defaults", "band_percent", 120, "instruments.TJEA24.band_percent", "between"),
        ("instrument_defaults", "t_plus_one", "yes", "instruments.TJEA24.t_plus_one", "true or"),
    ],
)
def test_a_bad_value_is_refused_naming_file_field_and_reason(section, key, value, field, reason):
    raw = shipped()
    raw[section][key] = value
    with pytest.raises(ReferenceDataError) as error:
        parse_reference_data(raw, "market.toml")
    assert error.value.field == field
    assert reason in error.value.reason
    assert str(error.value).startswith("market.toml: " + field)


def test_a_missing_field_and_an_off_tick_reference_are_named():
    raw = shipped()
    del raw["market"]["sessions"]
    with pytest.raises(ReferenceDataError, match=r"market\.sessions: missing"):
        parse_reference_data(raw)
    raw = shipped()
    raw["instruments"]["TJEA25"]["tick"] = "0.05"
    raw["instruments"]["TJEA25"]["reference_price"] = "50.01"
    with pytest.raises(ReferenceDataError, match=r"TJEA25\.reference_price: is not a multiple"):
        parse_reference_data(raw)


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(ReferenceDataError, match="no such file"):
        load_reference_data(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[market\n")
    with pytest.raises(ReferenceDataError, match=r"broken.toml: \(syntax\)"):
        load_reference_data(broken)


@pytest.mark.parametrize(("text", "fen"), [("50.00", 5000), ("0.01", 1), ("48.5", 4850), (7, 700)])
def test_money_round_trips(text, fen):
    assert parse_cny(text) == fen
    assert parse_cny(format_cny(fen)) == fen


@pytest.mark.parametrize("text", ["50.001", "abc", "NaN", "inf"])
def test_money_refuses_what_it_cannot_represent(text):
    with pytest.raises(ValueError):
        parse_cny(text)
