"""Detector parameters: one named, versioned set per pattern, the surveillance.md defaults.

A supervisor changes them with a TOML file, one table per pattern:

    [spoofing]
    version = 2
    size_multiple = 6.0

Fields not given keep their defaults. Anything unknown or malformed is refused with a
`ParameterError` naming the field (`spoofing.size_multiple`), before any detector runs, so
a typo never silently back-tests or goes live with a default instead. Each alert names the
set and version that raised it, so a back-test is traceable to the parameters it used.
"""

import tomllib
from pathlib import Path
from typing import Annotated

import msgspec

Count = Annotated[int, msgspec.Meta(ge=1)]
Seconds = Annotated[int, msgspec.Meta(ge=1)]
Percent = Annotated[float, msgspec.Meta(gt=0, le=100)]
Multiple = Annotated[float, msgspec.Meta(gt=0)]
Version = Annotated[int, msgspec.Meta(ge=1)]


class ParameterSet(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    version: Version = 1


class SelfTrade(ParameterSet, frozen=True):
    escalate_above_per_day: Count = 5


class FrequentCancels(ParameterSet, frozen=True):
    max_cancels_per_day: Count = 500


class LargeCancels(ParameterSet, frozen=True):
    max_large_cancels_per_day: Count = 50
    large_order_percent: Percent = 80.0  # of the instrument's maximum order quantity


class Spoofing(ParameterSet, frozen=True):
    size_multiple: Multiple = 5.0  # of the median top-of-book size
    cancelled_within_s: Seconds = 10
    max_filled_percent: Percent = 10.0
    opposite_trade_within_s: Seconds = 30
    escalate_at_repeats: Count = 3
    min_book_samples: Count = 20  # top-of-book sightings before the median is trusted


class Layering(ParameterSet, frozen=True):
    min_levels: Annotated[int, msgspec.Meta(ge=2)] = 3
    placed_within_ms: Count = 1000
    cancelled_within_ms: Count = 1000


class MarkingTheClose(ParameterSet, frozen=True):
    closing_window_min: Count = 30
    min_volume_share_percent: Percent = 30.0
    min_close_move_percent: Percent = 1.0


class Ramping(ParameterSet, frozen=True):
    window_s: Seconds = 300
    min_move_percent: Percent = 2.0
    min_volume_share_percent: Percent = 50.0


class AbnormalPriceMove(ParameterSet, frozen=True):
    return_window_s: Seconds = 300
    sigmas: Multiple = 4.0
    lookback_returns: Count = 48  # completed windows in the rolling standard deviation
    min_returns: Annotated[int, msgspec.Meta(ge=2)] = 6
    min_std_bps: Multiple = 25.0  # a floor (a typical 5-minute volatility of carbon allowances)
    band_ticks: Annotated[int, msgspec.Meta(ge=0)] = 1


class PositionLimit(ParameterSet, frozen=True):
    warning_percent: Percent = 90.0


class CircularTrading(ParameterSet, frozen=True):
    max_accounts: Annotated[int, msgspec.Meta(ge=2, le=6)] = 4
    quantity_tolerance_percent: Percent = 1.0
    # legs are whole orders meeting each other, as arranged transfers are; equal partial
    # fills against a market maker's quote are the book's coincidence, not a transfer
    whole_orders: bool = True


class PreArrangedTrades(ParameterSet, frozen=True):
    entered_within_s: Seconds = 5
    min_repeats: Count = 3


class MessageFlooding(ParameterSet, frozen=True):
    max_messages_per_second: Count = 300
    max_order_to_trade_ratio: Multiple = 50.0
    min_messages_per_day: Count = 1000


class AuctionConcentration(ParameterSet, frozen=True):
    concentration_percent: Percent = 30.0  # of an auction's volume sold, per control group


class AuctionFloorMarking(ParameterSet, frozen=True):
    min_move_percent: Percent = 1.0  # how far the bidder's trades lowered the floor's VWAP


class Parameters(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Every detector's set; the field name is the pattern name alerts carry."""

    self_trade: SelfTrade = SelfTrade()
    frequent_cancels: FrequentCancels = FrequentCancels()
    large_cancels: LargeCancels = LargeCancels()
    spoofing: Spoofing = Spoofing()
    layering: Layering = Layering()
    marking_the_close: MarkingTheClose = MarkingTheClose()
    ramping: Ramping = Ramping()
    abnormal_price_move: AbnormalPriceMove = AbnormalPriceMove()
    position_limit: PositionLimit = PositionLimit()
    circular_trading: CircularTrading = CircularTrading()
    pre_arranged_trades: PreArrangedTrades = PreArrangedTrades()
    message_flooding: MessageFlooding = MessageFlooding()
    auction_concentration: AuctionConcentration = AuctionConcentration()
    auction_floor_marking: AuctionFloorMarking = AuctionFloorMarking()


PATTERNS: tuple[str, ...] = Parameters.__struct_fields__
# Government auctions are not part of a simulated continuous-market day (scenarios/)
AUCTION_PATTERNS = ("auction_concentration", "auction_floor_marking")
SIMULATED_PATTERNS = tuple(p for p in PATTERNS if p not in AUCTION_PATTERNS)


class ParameterError(ValueError):
    def __init__(self, path: str | Path, field_name: str, reason: str):
        super().__init__(f"{path}: {field_name}: {reason}")
        self.path = str(path)
        self.field = field_name
        self.reason = reason


def load_parameters(path: str | Path) -> Parameters:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ParameterError(path, "(file)", "no such file") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ParameterError(path, "(syntax)", str(exc)) from exc
    return parse_parameters(raw, path)


def parse_parameters(raw: dict, path: str | Path = "<memory>") -> Parameters:
    sets = {}
    for pattern, table in raw.items():
        if pattern not in PATTERNS:
            raise ParameterError(path, pattern, f"unknown detector; known: {', '.join(PATTERNS)}")
        if not isinstance(table, dict):
            raise ParameterError(path, pattern, "must be a table of parameters")
        sets[pattern] = _parameter_set(path, pattern, table)
    return Parameters(**sets)


def _parameter_set(path: str | Path, pattern: str, table: dict) -> ParameterSet:
    kind = Parameters.__annotations__[pattern]
    fields = {field.name: field.type for field in msgspec.structs.fields(kind)}
    for name, value in table.items():
        if name not in fields:
            raise ParameterError(
                path, f"{pattern}.{name}", f"unknown parameter; known: {', '.join(fields)}"
            )
        try:
            msgspec.convert(value, fields[name])
        except msgspec.ValidationError as exc:
            reason = str(exc).split(" - at ", 1)[0]
            raise ParameterError(path, f"{pattern}.{name}", f"{value!r}: {reason}") from exc
    return msgspec.convert(table, kind)


def label(pattern: str, parameter_set: ParameterSet) -> str:
    """How an alert names the parameters that raised it: `spoofing v2`."""
    return f"{pattern} v{parameter_set.version}"
