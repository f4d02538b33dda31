"""Alert: what a detector raises for a supervisor to work.

An alert's id is derived from what it is about (pattern, instrument, accounts, window
start), so replaying the same day gives the same ids, and a later, larger sighting of the
same episode can be merged into the alert already raised (see `merge`).
"""

import hashlib

import msgspec

Evidence = dict[str, int | float | str]


class Alert(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    pattern: str
    score: int  # 0-100: how far past the thresholds, how often repeated
    instrument: str  # "" when the pattern is not about one instrument (message flooding)
    accounts: tuple[str, ...]
    control_group: str
    window_start: int  # ns since the epoch, UTC
    window_end: int
    evidence: Evidence  # each measured value beside the threshold it was tested against
    order_ids: tuple[int, ...] = ()
    trade_ids: tuple[int, ...] = ()
    reason: str


def alert_id(pattern: str, instrument: str, accounts: tuple[str, ...], window_start: int) -> str:
    key = f"{pattern}|{instrument}|{','.join(accounts)}|{window_start}"
    return f"{pattern}-{hashlib.blake2b(key.encode(), digest_size=8).hexdigest()}"


def raise_alert(
    *,
    pattern: str,
    score: float,
    instrument: str,
    accounts: tuple[str, ...] | list[str],
    control_group: str,
    window_start: int,
    window_end: int,
    evidence: Evidence,
    reason: str,
    order_ids: tuple[int, ...] | list[int] = (),
    trade_ids: tuple[int, ...] | list[int] = (),
) -> Alert:
    """Builds an alert with its deterministic id, sorted accounts and a clamped score."""
    accounts = tuple(sorted(set(accounts)))
    return Alert(
        id=alert_id(pattern, instrument, accounts, window_start),
        pattern=pattern,
        score=max(0, min(100, round(score))),
        instrument=instrument,
        accounts=accounts,
        control_group=control_group,
        window_start=window_start,
        window_end=window_end,
        evidence=evidence,
        order_ids=tuple(order_ids),
        trade_ids=tuple(trade_ids),
        reason=reason,
    )


def same_subject(first: Alert, second: Alert) -> bool:
    return (
        first.pattern == second.pattern
        and first.instrument == second.instrument
        and first.accounts == second.accounts
    )


def windows_touch(first: Alert, second: Alert) -> bool:
    return first.window_start <= second.window_end and second.window_start <= first.window_end


def merge(kept: Alert, later: Alert) -> Alert:
    """One alert for both sightings: the kept id, the union of windows and ids, the
    higher score, and the later evidence and reason (they describe the larger picture)."""
    return msgspec.structs.replace(
        kept,
        score=max(kept.score, later.score),
        window_start=min(kept.window_start, later.window_start),
        window_end=max(kept.window_end, later.window_end),
        evidence=later.evidence,
        order_ids=tuple(sorted(set(kept.order_ids) | set(later.order_ids))),
        trade_ids=tuple(sorted(set(kept.trade_ids) | set(later.trade_ids))),
        reason=later.reason,
    )
