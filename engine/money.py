"""Decimal text <-> integer fen, for the edges (TOML, FIX, REST, dashboard) only."""

from decimal import Decimal, InvalidOperation


def parse_cny(text: str | int | float) -> int:
    """'50.00' -> 5000 fen. Refuses more than two decimals rather than rounding."""
    try:
        value = Decimal(str(text))
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a number") from exc
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a finite number")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"{text!r} has more than two decimals (the tick is 0.01 CNY)")
    return int(fen)


def format_cny(fen: int) -> str:
    """5000 -> '50.00'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
