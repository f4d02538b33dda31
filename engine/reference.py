"""Reference data: instruments, the trading calendar and the market's rules.

Loaded from one human-editable TOML file (engine/reference_data.toml is the default).
A bad value is refused at load time with a `ReferenceDataError` naming the file, the field
and the reason, so a supervisor's typo never reaches the running market.
"""

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.money import parse_cny
from engine.orders import SelfTradePrevention

DEFAULT_PATH = Path(__file__).with_name("reference_data.toml")
NS_PER_SECOND = 1_000_000_000


class ReferenceDataError(ValueError):
    def __init__(self, path: str | Path, field_name: str, reason: str):
        super().__init__(f"{path}: {field_name}: {reason}")
        self.path = str(path)
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    kind: str  # "allowance" or "offset" (the position-limit class)
    name: str
    vintage: int  # 0 for offsets
    tick: int  # fen
    lot: int  # tonnes
    max_order_quantity: int  # largest continuous-book order, tonnes
    band_bps: int  # continuous-book band, basis points either side of the reference
    block_band_bps: int
    block_min_quantity: int
    t_plus_one: bool  # bought tonnes trade from the next trading day
    reference_price: int  # fen; 0 until the supervisor sets one


def price_band(reference_price: int, band_bps: int, tick: int) -> tuple[int, int]:
    """(lower, upper) limits: upper = floor(ref x (1 + band)) to the tick,
    lower = ceil(ref x (1 - band)) to the tick (market-rules.md)."""
    upper = reference_price * (10_000 + band_bps) // 10_000 // tick * tick
    lower_raw = -(-reference_price * (10_000 - band_bps) // 10_000)
    lower = -(-lower_raw // tick) * tick
    return lower, upper


@dataclass(frozen=True, slots=True)
class TradingCalendar:
    timezone: str
    trading_weekdays: frozenset[int]
    holidays: frozenset[dt.date]
    sessions: tuple[tuple[dt.time, dt.time], ...]
    block_window: tuple[dt.time, dt.time]

    def is_trading_day(self, day: dt.date) -> bool:
        return day.isoweekday() in self.trading_weekdays and day not in self.holidays

    def next_trading_day(self, day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        while not self.is_trading_day(day):
            day += dt.timedelta(days=1)
        return day

    def trading_date(self, ts: int) -> dt.date:
        """The local calendar date of a timestamp (ns since the epoch, UTC)."""
        return dt.datetime.fromtimestamp(ts / NS_PER_SECOND, ZoneInfo(self.timezone)).date()

    def session_windows(self, day: dt.date) -> tuple[tuple[int, int], ...]:
        """The continuous sessions of `day` as [start, end) timestamps in ns; empty on a
        non-trading day. The sequencer computes these once a day, then compares ints."""
        if not self.is_trading_day(day):
            return ()
        zone = ZoneInfo(self.timezone)
        return tuple(
            (_ns(dt.datetime.combine(day, start, zone)), _ns(dt.datetime.combine(day, end, zone)))
            for start, end in self.sessions
        )

    def block_bounds(self, ts: int) -> tuple[int, int] | None:
        """The block session [start, end) in ns of the day of `ts`, None on a non-trading day."""
        day = self.trading_date(ts)
        if not self.is_trading_day(day):
            return None
        zone = ZoneInfo(self.timezone)
        start, end = self.block_window
        return _ns(dt.datetime.combine(day, start, zone)), _ns(dt.datetime.combine(day, end, zone))

    def day_bounds(self, day: dt.date) -> tuple[int, int]:
        """[local midnight, next local midnight) of `day` in ns."""
        zone = ZoneInfo(self.timezone)
        start = dt.datetime.combine(day, dt.time(0), zone)
        return _ns(start), _ns(start + dt.timedelta(days=1))


def _ns(moment: dt.datetime) -> int:
    return int(moment.timestamp()) * NS_PER_SECOND + moment.microsecond * 1000


@dataclass(frozen=True, slots=True)
class MarketRules:
    commission_bps: int
    self_trade_prevention: SelfTradePrevention
    self_trade_scope: str  # "account" or "control_group"
    min_close_volume: int
    compliance_position_extra: int
    investor_position_limit: int
    compliance_large_holder_extra: int
    investor_large_holder: int
    block_commission_bps: int = 0  # per side, on block trades (the book's is commission_bps)
    block_accept_timeout: int = 15 * 60  # seconds an allegation waits for its acceptance


@dataclass(frozen=True, slots=True)
class ReferenceData:
    instruments: dict[str, Instrument]
    calendar: TradingCalendar
    rules: MarketRules
    source: str = field(default="")

    def with_instrument(self, instrument: Instrument) -> "ReferenceData":
        return ReferenceData(
            {**self.instruments, instrument.symbol: instrument},
            self.calendar,
            self.rules,
            self.source,
        )


def load_reference_data(path: str | Path = DEFAULT_PATH) -> ReferenceData:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReferenceDataError(path, "(file)", "no such file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ReferenceDataError(path, "(syntax)", str(exc)) from exc
    return parse_reference_data(raw, path)


def parse_reference_data(raw: dict, path: str | Path = "<memory>") -> ReferenceData:
    reader = _Reader(path)
    market = reader.table(raw, "market")
    calendar = TradingCalendar(
        timezone=reader.timezone(market, "market.timezone"),
        trading_weekdays=frozenset(
            reader.int_in(market, "market.trading_weekdays", day, 1, 7)
            for day in reader.list(market, "market.trading_weekdays")
        ),
        holidays=frozenset(
            reader.date(value, "market.holidays")
            for value in reader.list(market, "market.holidays")
        ),
        sessions=tuple(
            reader.window(window, "market.sessions")
            for window in reader.list(market, "market.sessions")
        ),
        block_window=reader.window(
            reader.get(market, "market.block_window"), "market.block_window"
        ),
    )
    rules = MarketRules(
        commission_bps=reader.int_in(market, "market.commission_bps", None, 0, 10_000),
        self_trade_prevention=reader.choice(
            market,
            "market.self_trade_prevention",
            {
                "cancel_incoming": SelfTradePrevention.CANCEL_INCOMING,
                "cancel_resting": SelfTradePrevention.CANCEL_RESTING,
                "cancel_both": SelfTradePrevention.CANCEL_BOTH,
            },
        ),
        self_trade_scope=reader.choice(
            market,
            "market.self_trade_scope",
            {"account": "account", "control_group": "control_group"},
        ),
        min_close_volume=reader.int_in(market, "market.min_close_volume", None, 0, None),
        compliance_position_extra=reader.int_in(
            market, "market.compliance_position_extra", None, 0, None
        ),
        investor_position_limit=reader.int_in(
            market, "market.investor_position_limit", None, 0, None
        ),
        compliance_large_holder_extra=reader.int_in(
            market, "market.compliance_large_holder_extra", None, 0, None
        ),
        investor_large_holder=reader.int_in(market, "market.investor_large_holder", None, 0, None),
        block_commission_bps=reader.int_in(
            market,
            "market.block_commission_bps",
            market.get("block_commission_bps", market.get("commission_bps")),
            0,
            10_000,
        ),
        block_accept_timeout=60
        * reader.int_in(
            market,
            "market.block_accept_timeout_minutes",
            market.get("block_accept_timeout_minutes", 15),
            1,
            24 * 60,
        ),
    )
    defaults = reader.table(raw, "instrument_defaults")
    instruments = {}
    for symbol, table in reader.table(raw, "instruments").items():
        if not isinstance(table, dict):
            raise ReferenceDataError(path, f"instruments.{symbol}", "must be a table")
        instruments[symbol] = reader.instrument(symbol, {**defaults, **table})
    if not instruments:
        raise ReferenceDataError(path, "instruments", "at least one instrument must be listed")
    return ReferenceData(instruments, calendar, rules, str(path))


class _Reader:
    """Reads typed values out of the parsed TOML, naming the field in every error."""

    def __init__(self, path: str | Path):
        self.path = path

    def fail(self, name: str, reason: str) -> ReferenceDataError:
        return ReferenceDataError(self.path, name, reason)

    def get(self, table: dict, name: str):
        key = name.rsplit(".", 1)[-1]
        if key not in table:
            raise self.fail(name, "missing")
        return table[key]

    def table(self, table: dict, name: str) -> dict:
        value = self.get(table, name)
        if not isinstance(value, dict):
            raise self.fail(name, "must be a table")
        return value

    def list(self, table: dict, name: str) -> list:
        value = self.get(table, name)
        if not isinstance(value, list):
            raise self.fail(name, "must be a list")
        return value

    def int_in(self, table: dict, name: str, value, low: int | None, high: int | None) -> int:
        if value is None:
            value = self.get(table, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"{value!r} is not a whole number")
        if low is not None and value < low:
            raise self.fail(name, f"{value} is below the minimum {low}")
        if high is not None and value > high:
            raise self.fail(name, f"{value} is above the maximum {high}")
        return value

    def choice(self, table: dict, name: str, options: dict):
        value = self.get(table, name)
        if value not in options:
            raise self.fail(name, f"{value!r} is not one of {', '.join(options)}")
        return options[value]

    def timezone(self, table: dict, name: str) -> str:
        value = self.get(table, name)
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise self.fail(name, f"{value!r} is not a known time zone") from exc
        return str(value)

    def date(self, value, name: str) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError as exc:
            raise self.fail(name, f"{value!r} is not a date (YYYY-MM-DD)") from exc

    def time(self, value, name: str) -> dt.time:
        try:
            return dt.time.fromisoformat(str(value))
        except ValueError as exc:
            raise self.fail(name, f"{value!r} is not a time (HH:MM)") from exc

    def window(self, value, name: str) -> tuple[dt.time, dt.time]:
        if not isinstance(value, list) or len(value) != 2:
            raise self.fail(name, f"{value!r} must be a pair [start, end]")
        start, end = self.time(value[0], name), self.time(value[1], name)
        if start >= end:
            raise self.fail(name, f"window {value!r} ends before it starts")
        return start, end

    def price(self, table: dict, name: str, allow_zero: bool) -> int:
        value = self.get(table, name)
        try:
            fen = parse_cny(value)
        except ValueError as exc:
            raise self.fail(name, str(exc)) from exc
        if fen < 0 or (fen == 0 and not allow_zero):
            raise self.fail(name, f"{value!r} must be positive")
        return fen

    def percent_bps(self, table: dict, name: str) -> int:
        value = self.get(table, name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, f"{value!r} is not a number")
        bps = Decimal(str(value)) * 100
        if bps != bps.to_integral_value() or not 0 < bps < 10_000:
            raise self.fail(name, f"{value!r} must be a percentage between 0 and 100, to 0.01")
        return int(bps)

    def instrument(self, symbol: str, table: dict) -> Instrument:
        prefix = f"instruments.{symbol}."
        kind = self.choice(table, prefix + "kind", {"allowance": "allowance", "offset": "offset"})
        tick = self.price(table, prefix + "tick", allow_zero=False)
        reference_price = (
            self.price(table, prefix + "reference_price", allow_zero=True)
            if "reference_price" in table
            else 0
        )
        if reference_price % tick:
            raise self.fail(prefix + "reference_price", "is not a multiple of the tick")
        name = table.get("name", symbol)
        if not isinstance(name, str):
            raise self.fail(prefix + "name", "must be text")
        t_plus_one = self.get(table, prefix + "t_plus_one")
        if not isinstance(t_plus_one, bool):
            raise self.fail(prefix + "t_plus_one", "must be true or false")
        return Instrument(
            symbol=symbol,
            kind=kind,
            name=name,
            vintage=self.int_in(table, prefix + "vintage", table.get("vintage", 0), 0, 9999),
            tick=tick,
            lot=self.int_in(table, prefix + "lot", None, 1, None),
            max_order_quantity=self.int_in(table, prefix + "max_order_quantity", None, 1, None),
            band_bps=self.percent_bps(table, prefix + "band_percent"),
            block_band_bps=self.percent_bps(table, prefix + "block_band_percent"),
            block_min_quantity=self.int_in(table, prefix + "block_min_quantity", None, 1, None),
            t_plus_one=t_plus_one,
            reference_price=reference_price,
        )
