"""Decimal text <-> integer fen, for the edges (TOML, FIX, REST, dashboard) only."""

import re

# Plain decimal text in ASCII digits: no sign but a minus, no exponent, no other script's
# digits ("+5", "1e2" and "٣" are not amounts a member typed on purpose).
_DECIMAL = re.compile(r"(-?)([0-9]*)(?:\.([0-9]*))?")
MAX_WHOLE_DIGITS = 18  # fits 63 bits with two decimals to spare


class TooLarge(ValueError):
    """More digits than an integer column holds."""


class ExcessPrecision(ValueError):
    """More decimals than the unit has: refused, never rounded."""


def parse_units(text: str, places: int) -> int:
    """Decimal `text` as an exact whole number of 10**-places units, computed from the
    digits (never through a rounding decimal context): '50.00', 2 -> 5000; '50.001', 2
    and anything not plain decimal text are refused."""
    match = _DECIMAL.fullmatch(text)
    whole, fraction = (match.group(2), match.group(3) or "") if match else ("", "")
    if match is None or not (whole or fraction):
        raise ValueError(f"{text[:40]!r} is not a decimal number")
    fraction = fraction.rstrip("0")
    if len(fraction) > places:
        raise ExcessPrecision(f"{text[:40]!r} has more than {places} decimals")
    whole = whole.lstrip("0")
    if len(whole) > MAX_WHOLE_DIGITS:
        raise TooLarge(f"{text[:40]!r} is too large")
    units = int(whole or "0") * 10**places + int(fraction.ljust(places, "0") or "0")
    return -units if match.group(1) else units


def parse_cny(text: str | int) -> int:
    """'50.00' -> 5000 fen. Refuses more than two decimals rather than rounding."""
    try:
        return parse_units(str(text), 2)
    except ExcessPrecision:
        tick = "has more than two decimals (the tick is 0.01 CNY)"
        raise ExcessPrecision(f"{str(text)[:40]!r} {tick}") from None


def format_cny(fen: int) -> str:
    """5000 -> '50.00'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
