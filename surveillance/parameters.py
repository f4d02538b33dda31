"""Detector parameters: one named, versioned set per pattern, the surveillance.md defaults.

A supervisor changes them with a TOML file, one table per pattern:

    [spoofing]
    version = 2
    size_multiple = 6.0

`acts_by` says whom a detector counts as one party (surveillance/acting.py): `account`,
`control_group`, `session` or `member`. Fields not given keep their defaults. Anything
unknown or malformed is refused with a `ParameterError` naming the field
(`spoofing.size_multiple`), before any detector runs, so a typo never silently back-tests
or goes live with a default instead. Each alert names the
set and version that raised it, so a back-test is traceable to the parameters it used.
"""

import tomllib
from pathlib import Path
from typing import Annotated

import msgspec

from surveillance.acting import ActsBy

Count = Annotated[int, msgspec.Meta(ge=1)]
Seconds = Annotated[int, msgspec.Meta(ge=1)]
Percent = Annotated[float, msgspec.Meta(gt=0, le=100)]
Multiple = Annotated[float, msgspec.Meta(gt=0)]
Version = Annotated[int, msgspec.Meta(ge=1)]
Share = Annotated[float, msgspec.Meta(ge=0, le=100)]


class ParameterSet(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    version: Version = 1


class SelfTrade(ParameterSet, frozen=True):
    escalate_above_per_day: Count = 5


class FrequentCancels(ParameterSet, frozen=True):
    max_cancels_per_day: Count = 500
    acts_by: ActsBy = "control_group"


class LargeCancels(ParameterSet, frozen=True):
    max_large_cancels_per_day: Count = 50
    large_order_percent: Percent = 80.0  # of the instrument's maximum order quantity
    acts_by: ActsBy = "control_group"


class Spoofing(ParameterSet, frozen=True):
    size_multiple: Multiple = 5.0  # of the median top-of-book size
    cancelled_within_s: Seconds = 10
    max_filled_percent: Percent = 10.0
    opposite_trade_within_s: Seconds = 30  # of the placement, before or after
    escalate_at_repeats: Count = 3
    min_book_samples: Count = 20  # top-of-book sightings before the median is trusted
    acts_by: ActsBy = "control_group"
    # an amendment leaving at most this much of the order withdraws it, as a cancel does
    withdrawn_percent: Share = 10.0
    # orders on one side placed within this of each other at adjacent prices are one order
    placed_together_ms: Count = 1000
    adjacent_ticks: Count = 2
    # the party's open quantity on the other side, as a share of the spoof, up to which it
    # is still one-sided; above it the party quotes both sides (a market maker)
    negligible_opposite_percent: Share = 50.0


class Layering(ParameterSet, frozen=True):
    min_levels: Annotated[int, msgspec.Meta(ge=2)] = 3
    placed_within_ms: Count = 1000
    cancelled_within_ms: Count = 1000
    opposite_trade_within_s: Seconds = 30  # of the first layer's placement
    acts_by: ActsBy = "control_group"
    withdrawn_percent: Share = 10.0
    negligible_opposite_percent: Share = 50.0  # of the layers' quantity (see spoofing)


class MarkingTheClose(ParameterSet, frozen=True):
    closing_window_min: Count = 30
    min_volume_share_percent: Percent = 30.0
    min_close_move_percent: Percent = 1.0
    acts_by: ActsBy = "control_group"
    min_one_sided_percent: Share = 60.0  # net bought (or sold) of the party's window volume
    min_aggressive_percent: Share = 50.0  # of the party's window volume, as the aggressor


class Ramping(ParameterSet, frozen=True):
    window_s: Seconds = 300
    min_move_percent: Percent = 2.0
    min_volume_share_percent: Percent = 50.0
    acts_by: ActsBy = "control_group"


class AbnormalPriceMove(ParameterSet, frozen=True):
    return_window_s: Seconds = 300
    sigmas: Multiple = 4.0
    lookback_returns: Count = 48  # completed windows in the rolling standard deviation
    min_returns: Annotated[int, msgspec.Meta(ge=2)] = 6
    min_std_bps: Multiple = 25.0  # a floor (a typical 5-minute volatility of carbon allowances)
    band_ticks: Annotated[int, msgspec.Meta(ge=0)] = 1
    # the instrument's historical daily volatility, scaled to one window: the estimate's
    # floor, so a thin market's unchanged prices do not make 1 % look abnormal (carbon
    # allowances in the thin pilot markets: about 3 % a day)
    daily_volatility_percent: Percent = 3.0
    trading_hours_per_day: Multiple = 4.0


class PositionLimit(ParameterSet, frozen=True):
    warning_percent: Percent = 90.0


class CircularTrading(ParameterSet, frozen=True):
    max_accounts: Annotated[int, msgspec.Meta(ge=2, le=6)] = 4
    quantity_tolerance_percent: Percent = 1.0
    # legs are whole orders meeting each other, as arranged transfers are; equal partial
    # fills against a market maker's quote are the book's coincidence, not a transfer
    whole_orders: bool = True
    # a leg is a transfer seller -> buyer summed over the window (one leg split into
    # several trades is one leg), made of crosses unlike ordinary liquidity taking: the
    # counter order entered within `max_entry_gap_s` of the resting one, at least
    # `min_leg_tonnes`
    window_min: Count = 240
    max_entry_gap_s: Seconds = 10
    min_leg_tonnes: Count = 100


class PreArrangedTrades(ParameterSet, frozen=True):
    entered_within_s: Seconds = 5
    min_repeats: Count = 3
    # a cross is an order filled wholly by one counterparty's orders entered within
    # `entered_within_s` of it (a cross split into several trades is one), of at least
    # `min_cross_tonnes`; a resting order of a party quoting the other side too is a
    # market maker's quote, and a taker lifting it is ordinary liquidity taking
    min_cross_tonnes: Count = 100


class MessageFlooding(ParameterSet, frozen=True):
    max_messages_per_second: Count = 300
    max_order_to_trade_ratio: Multiple = 50.0
    min_messages_per_day: Count = 1000
    acts_by: tuple[ActsBy, ...] = ("session", "member")


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
